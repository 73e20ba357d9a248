/**
 * `--launcher local --jobs N`: N worker processes on this machine, each running one task
 * (`emofuse run <task.yaml> --seed N`) at a time with cores/N TensorFlow threads. One line per task
 * start and end, an overall bar with the time left. Ctrl-C sends SIGTERM to every worker, which
 * stops at its next safe point and removes its temp run directory; a second Ctrl-C kills them and
 * removes what they left. Finished tasks stay finished, so rerunning resumes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { RunContext } from '../context.ts';
import { EXIT } from '../errors.ts';
import { PARENT_PID_ENV } from '../interrupt.ts';
import { aggregate } from './aggregate.ts';
import { cliInvocation, taskArgs, threadEnv, threadsPerTask } from './command.ts';
import { keyOf, type Plan, type PlanTask } from './plan.ts';
import { registerExecutor } from './registry.ts';
import { completedRuns, partialDirs } from './store.ts';

export interface TaskOutcome { task: PlanTask; code: number | null; signal: NodeJS.Signals | null; seconds: number; log: string }

const fmt = (s: number) => (s >= 90 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);

/** Overall progress: a bar with the time left on a terminal, plain lines otherwise. */
function overall(total: number) {
  const started = Date.now();
  let done = 0;
  const eta = () => (done ? fmt(((Date.now() - started) / 1000 / done) * (total - done)) : '?');
  if (process.stderr.isTTY) {
    const multi = new MultiBar({ format: 'tasks [{bar}] {value}/{total} | elapsed {duration_formatted} | left ~{eta_formatted}', hideCursor: true, clearOnComplete: false, stream: process.stderr, etaBuffer: 4 }, Presets.shades_classic);
    const bar: SingleBar = multi.create(total, 0);
    return { line: (s: string) => multi.log(`${s}\n`), tick: () => { done++; bar.increment(); }, stop: () => multi.stop() };
  }
  return {
    line: (s: string) => process.stderr.write(`${s}\n`),
    tick: () => { done++; process.stderr.write(`tasks: ${done}/${total} ended, about ${eta()} left\n`); },
    stop: () => {},
  };
}

/** Run `pending` in a pool of `jobs` processes; resolves when every started worker has exited. */
export async function runPool(plan: Plan, pending: PlanTask[], jobs: number, threads: number, ctx: RunContext): Promise<TaskOutcome[]> {
  const cli = cliInvocation();
  const live = new Map<number, ChildProcess>();
  const limit = pLimit(jobs);
  const bar = overall(pending.length);
  const experiments = plan.tasks.map((t) => t.experiment);
  // The temp run dirs of these worker pids (a run dir is named .partial-<pid>-... until it completes)
  const removePartialsOf = (of: Iterable<number>) => {
    const owners = [...of];
    for (const d of partialDirs(plan.outputDir, experiments)) if (owners.some((pid) => d.includes(`.partial-${pid}-`))) rmSync(d, { recursive: true, force: true });
  };
  // Last resort (a second Ctrl-C exits at once): kill the workers and remove their temp dirs.
  const onExit = () => {
    for (const [pid] of live) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    }
    removePartialsOf(live.keys());
  };
  const onAbort = () => {
    for (const [pid] of live) {
      try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
    }
  };
  process.on('exit', onExit);
  ctx.signal.addEventListener('abort', onAbort);
  let started = 0;
  const pids: number[] = [];
  try {
    return await Promise.all(pending.map((task) => limit(async (): Promise<TaskOutcome> => {
      const log = path.join(plan.dir!, 'logs', `task-${String(task.index).padStart(3, '0')}.out`);
      if (ctx.signal.aborted) return { task, code: null, signal: 'SIGTERM', seconds: 0, log };
      const n = ++started;
      const label = `task ${task.index} (${plan.kind === 'sweep' ? `${task.point}, ` : ''}seed ${task.seed})`;
      bar.line(`start ${n}/${pending.length}: ${label}  log ${log}`);
      const t0 = Date.now();
      const fd = openSync(log, 'a');
      // Own process group: a terminal Ctrl-C reaches the pool, which stops the workers in order.
      const child = spawn(cli.node, [...cli.args, ...taskArgs(task, String(threads))], {
        cwd: plan.cwd, detached: true, stdio: ['ignore', fd, fd],
        env: { ...process.env, ...cli.env, ...threadEnv(threads), EMOFUSE_MLRUNS: plan.tracking.store, [PARENT_PID_ENV]: String(process.pid) },
      });
      closeSync(fd);
      if (child.pid) { live.set(child.pid, child); pids.push(child.pid); }
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
        child.on('error', () => resolve([127, null]));
        child.on('exit', (c, s) => resolve([c, s]));
      });
      if (child.pid) live.delete(child.pid);
      const seconds = (Date.now() - t0) / 1000;
      const out: TaskOutcome = { task, code, signal, seconds, log };
      if (code === 0) {
        const run = completedRuns(plan.outputDir, [task.experiment]).get(keyOf(task));
        const score = plan.choose && run ? run.metrics[plan.choose.target]?.valid?.[plan.choose.metric] : undefined;
        bar.line(`done  ${label} in ${fmt(seconds)}${score !== undefined ? `  ${plan.choose!.metric}(valid) ${(100 * score).toFixed(2)}` : ''}  ${run?.dir ?? ''}`);
      } else if (ctx.signal.aborted) {
        bar.line(`stopped ${label} (interrupted; nothing saved for it${signal ? `; the worker ended by ${signal}` : ''})`);
      } else {
        bar.line(`FAILED ${label} (exit ${code ?? signal}) after ${fmt(seconds)}; log ${log}`);
      }
      bar.tick();
      return out;
    })));
  } finally {
    bar.stop();
    ctx.signal.removeEventListener('abort', onAbort);
    process.off('exit', onExit);
    // Every worker has exited: a temp run dir one of them left (it was killed or crashed
    // before its own clean-up) is garbage now.
    if (ctx.signal.aborted) removePartialsOf(pids);
  }
}

registerExecutor({
  name: 'local',
  summary: 'a pool of --jobs N worker processes on this machine',
  needsDir: true,
  async launch(plan, pending, opts, ctx) {
    const threads = threadsPerTask(opts.jobs, opts.threads);
    ctx.log(`${pending.length} task(s) in ${Math.min(opts.jobs, pending.length)} worker(s), ${threads} TensorFlow thread(s) each; sweep directory ${plan.dir}`);
    const outcomes = await runPool(plan, pending, opts.jobs, threads, ctx);
    if (ctx.signal.aborted) return EXIT.interrupted;
    const failed = outcomes.filter((o) => o.code !== EXIT.ok);
    if (failed.length) {
      for (const f of failed) ctx.warn(`task ${f.task.index} (${f.task.point}, seed ${f.task.seed}) failed: see ${f.log}`);
      ctx.warn(`${failed.length} task(s) failed; the others are saved. Rerun the same command to redo only the failed ones.`);
      return EXIT.failure;
    }
    await aggregate(plan, ctx);
    return EXIT.ok;
  },
});
