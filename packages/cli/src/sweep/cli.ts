/**
 * The CLI side of sweeps and multi-seed runs: the --jobs / --launcher / Slurm flags, resume, and
 * the `sweep status | resubmit | aggregate` subcommands. main.ts calls in here.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import type { Config } from '../config/schema.ts';
import type { Sweep, SweepPoint } from '../config/sweep.ts';
import { EXIT, UsageError, codeFor, printError } from '../errors.ts';
import { interruptible } from '../interrupt.ts';
// The executors register themselves, in this order (inline, local, slurm).
import './inline.ts';
import './local.ts';
import './slurm.ts';
import { aggregate } from './aggregate.ts';
import { changedInputs, inputFingerprints } from './inputs.ts';
import { defaultPlanDir, keyOf, readPlan, runPlan, sweepPlan, writePlan, type Plan, type PlanTask, type SlurmResources } from './plan.ts';
import { executorNames, getExecutor } from './registry.ts';
import { completedRuns, liveRuns } from './store.ts';
import { haveSbatch, formatStatus, resubmit, sweepStatus } from './slurm.ts';

export interface LaunchFlags {
  jobs?: number;
  launcher?: string;
  threads?: number;
  fresh?: boolean;
  sweepDir?: string;
  partition?: string;
  account?: string;
  cpusPerTask?: number;
  mem?: string;
  time?: string;
  sbatch: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];
function positive(flag: string) {
  return (v: string) => {
    if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError(`expected a positive integer, e.g. ${flag} 2`);
    return Number(v);
  };
}

/** Add the launch flags to `run` or `sweep`. */
export function addLaunchOptions(cmd: Command): Command {
  return cmd
    .option('--jobs <n>', 'run tasks in N worker processes on this machine (each gets cores/N TensorFlow threads)', positive('--jobs'))
    .option('--launcher <name>', `where tasks run: ${executorNames().join(' | ')} (default: inline, or local with --jobs > 1)`)
    .option('--threads <n>', 'TensorFlow intra-op threads per task (default: cores / jobs; results depend on it)', positive('--threads'))
    .option('--fresh', 'do not skip (config, seed) pairs already complete in the run store')
    .option('--sweep-dir <dir>', 'where task configs, logs and the result go (default <output.dir>/.sweeps/<name>-<time>)')
    .option('--partition <name>', 'slurm: partition (sbatch --partition)')
    .option('--account <name>', 'slurm: account to charge (sbatch --account)')
    .option('--cpus-per-task <n>', 'slurm: CPUs per array task, also its TensorFlow threads (default 1)', positive('--cpus-per-task'))
    .option('--mem <size>', "slurm: memory per task, e.g. 4G (sbatch --mem)")
    .option('--time <limit>', 'slurm: time limit per task, e.g. 1:00:00 (sbatch --time)')
    .option('--sbatch <option>', 'slurm: one more sbatch option for every job, e.g. --sbatch=--qos=short (repeatable)', collect, []);
}

function resources(flags: LaunchFlags, sweep?: Sweep): SlurmResources {
  const s = sweep?.slurm ?? {};
  return {
    partition: flags.partition ?? s.partition,
    account: flags.account ?? s.account,
    cpusPerTask: flags.cpusPerTask ?? s.cpusPerTask ?? 1,
    mem: flags.mem ?? s.mem,
    time: flags.time ?? s.time,
    extra: [...(s.extra ?? []), ...flags.sbatch],
  };
}

/** Refuse bad launch input before anything is written (exit 2). */
function checkLaunch(flags: LaunchFlags, res: SlurmResources, tasks: number): string {
  const launcher = flags.launcher ?? ((flags.jobs ?? 1) > 1 ? 'local' : 'inline');
  if (!getExecutor(launcher)) throw new UsageError(`unknown launcher '${launcher}'`, { where: '--launcher', fix: `choose one of: ${executorNames().join(', ')}` });
  if (launcher === 'inline' && (flags.jobs ?? 1) > 1) throw new UsageError('--launcher inline runs one task at a time', { where: '--jobs', fix: 'drop --launcher inline (--jobs N uses the local worker pool)' });
  if (launcher === 'slurm') {
    if (!haveSbatch()) throw new UsageError('sbatch is not on PATH', { where: '--launcher slurm', fix: 'run this on a Slurm login node, or start a one-node cluster: bash scripts/slurm-local.sh' });
    // sbatch --test-only checks partition, account, mem and time against the cluster and submits nothing.
    const args = ['--test-only', `--array=0-${Math.max(0, tasks - 1)}`, `--cpus-per-task=${res.cpusPerTask}`, ...(res.partition ? [`--partition=${res.partition}`] : []), ...(res.account ? [`--account=${res.account}`] : []), ...(res.mem ? [`--mem=${res.mem}`] : []), ...(res.time ? [`--time=${res.time}`] : []), ...res.extra, '--wrap', 'true'];
    const r = spawnSync('sbatch', args, { encoding: 'utf8' });
    const text = `${r.stdout}${r.stderr}`;
    if (r.status !== 0 || /error/i.test(text) && !/to start at/i.test(text)) {
      throw new UsageError(`the cluster refuses these resources: ${text.trim().split('\n').at(-1)}`, { where: 'sbatch --test-only', fix: 'check --partition, --account, --cpus-per-task, --mem, --time and --sbatch against `sinfo` and your allocation' });
    }
  } else {
    const slurmFlags = (['partition', 'account', 'cpusPerTask', 'mem', 'time'] as const).filter((k) => flags[k] !== undefined);
    if (slurmFlags.length || flags.sbatch.length) throw new UsageError(`Slurm options given without --launcher slurm`, { where: slurmFlags.length ? `--${slurmFlags[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : '--sbatch', fix: 'add --launcher slurm, or drop the Slurm options' });
  }
  return launcher;
}

/** Refuse a folder that cannot be written (its nearest existing ancestor, when it is still to be made). */
function checkWritable(dir: string, what: string, fix: string): void {
  let d = path.resolve(dir);
  while (!existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  try {
    accessSync(d, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'is on a read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'is not writable by this user' : `cannot be written (${code})`;
    throw new UsageError(`${d} ${why}; nothing was run`, { where: what, fix });
  }
}

/** Resume, write the plan (for executors that need a directory), and launch. Returns the exit code. */
async function launch(plan: Plan & { configs: Map<string, Config> }, flags: LaunchFlags, sweep: Sweep | undefined, label: string): Promise<number> {
  let launcher: string, res: SlurmResources;
  try {
    res = resources(flags, sweep);
    launcher = checkLaunch(flags, res, plan.tasks.length);
    // Before any work: a read-only output folder or store would otherwise fail mid-run with a raw stack.
    checkWritable(plan.outputDir, 'output.dir', 'set output.dir (or --set output.dir=...) to a writable folder');
    if (flags.sweepDir) checkWritable(flags.sweepDir, '--sweep-dir', 'pass a writable folder');
    checkWritable(plan.tracking.store, 'the local run store (EMOFUSE_MLRUNS, else ./mlruns)', 'set EMOFUSE_MLRUNS to a writable folder, or run from a writable working directory');
    // Local workers would each refuse a model too big for this machine's memory: refuse it once, here.
    if (launcher === 'local') (await import('../pipeline/memory.ts')).checkLaunchMemory(plan.configs.values(), (m) => process.stderr.write(`warning: ${m}\n`));
  } catch (e) {
    printError(e);
    return codeFor(e);
  }
  plan.launcher = launcher;
  const executor = getExecutor(launcher)!;
  let saved: Plan = plan;
  if (executor.needsDir || plan.kind === 'sweep') saved = writePlan(plan, flags.sweepDir ?? defaultPlanDir(plan));
  const withConfigs = Object.assign(saved, { configs: plan.configs });
  const done = completedRuns(saved.outputDir, saved.tasks.map((t) => t.experiment));
  // A complete run made from other data (a relabelled manifest, new feature files) is redone.
  const inputsNow = new Map([...plan.configs].map(([point, c]) => [point, inputFingerprints(c)]));
  const stale = new Map<PlanTask, string>();
  const unchecked: PlanTask[] = [];
  for (const t of saved.tasks) {
    const run = done.get(keyOf(t));
    if (!run || flags.fresh) continue;
    if (!run.inputs) {
      unchecked.push(t);
      continue;
    }
    const changed = changedInputs(run.inputs, inputsNow.get(t.point) ?? {});
    if (changed.length) stale.set(t, `data changed since run ${run.runId} (${changed.join(', ')}); redoing ${saved.kind === 'sweep' ? `${t.point} ` : ''}seed ${t.seed}`);
  }
  for (const why of stale.values()) process.stderr.write(`${why}\n`);
  for (const t of unchecked) process.stderr.write(`note: run ${done.get(keyOf(t))!.runId} predates data fingerprints: reused without checking its data (--fresh redoes it)\n`);
  // A task another live process is running now (a coordinator killed with its workers still up, a
  // second terminal) is not started twice: its result appears when that process ends.
  const live = liveRuns(saved.outputDir, saved.tasks.map((t) => t.experiment));
  const busy = saved.tasks.filter((t) => live.has(keyOf(t)) && (!done.has(keyOf(t)) || stale.has(t) || flags.fresh));
  for (const t of busy) {
    const { dir, owner } = live.get(keyOf(t))!;
    process.stderr.write(`running elsewhere: ${saved.kind === 'sweep' ? `${t.point} ` : ''}seed ${t.seed} is being run by process ${owner.pid} (${dir}); not started again. Run this command again after it ends to use its result.\n`);
  }
  const pending = (flags.fresh ? saved.tasks : saved.tasks.filter((t) => !done.has(keyOf(t)) || stale.has(t))).filter((t) => !busy.includes(t));
  const skipped = saved.tasks.length - pending.length - busy.length;
  if (skipped) {
    process.stderr.write(`resume: ${skipped} of ${saved.tasks.length} task(s) already complete in ${saved.outputDir} (same config fingerprint and seed); skipping them (--fresh to redo)\n`);
    for (const t of saved.tasks) if (!pending.includes(t) && !busy.includes(t)) process.stderr.write(`  skip ${saved.kind === 'sweep' ? `${t.point} ` : ''}seed ${t.seed}: ${done.get(keyOf(t))!.dir}\n`);
  }
  let code: number = EXIT.ok;
  const rc = await interruptible(label, async (ctx) => {
    if (!pending.length && busy.length) {
      ctx.log(`${busy.length} task(s) are being run by other processes and the rest are complete; nothing to run now`);
      return;
    }
    if (!pending.length) {
      ctx.log(`all ${plan.tasks.length} task(s) are complete; nothing to run`);
      if (plan.kind === 'sweep' || plan.report) await aggregate(withConfigs, ctx);
      return;
    }
    code = await executor.launch(withConfigs, pending, { jobs: flags.jobs ?? 1, threads: flags.threads, slurm: res }, ctx);
  });
  return rc !== EXIT.ok ? rc : code;
}

export function launchRun(config: Config, flags: LaunchFlags, file?: string): Promise<number> {
  return launch(runPlan(config, 'inline', file), flags, undefined, `experiment ${config.experiment}`);
}

export function launchSweep(sweep: Sweep, points: SweepPoint[], flags: LaunchFlags): Promise<number> {
  return launch(sweepPlan(sweep, points, 'inline'), flags, sweep, `sweep ${sweep.name}`);
}

/** `sweep status | resubmit | aggregate <dir>` under the `sweep` command. */
export function addSweepSubcommands(sweepCmd: Command, setCode: (code: number) => void): void {
  sweepCmd
    .command('status')
    .description('progress of a sweep directory: each task from squeue/scontrol (sacct where kept) and the run store')
    .argument('<dir>', 'the sweep directory the launch printed (<output.dir>/.sweeps/...)')
    .option('--json', 'print JSON')
    .action((dir: string, opts: { json?: boolean }) => {
      try {
        const s = sweepStatus(dir);
        process.stdout.write(opts.json ? `${JSON.stringify(s, null, 2)}\n` : `${formatStatus(s)}\n`);
        setCode(EXIT.ok);
      } catch (e) {
        printError(e);
        setCode(codeFor(e));
      }
    });
  sweepCmd
    .command('resubmit')
    .description('submit failed or cancelled Slurm tasks again (and a new aggregation job after them)')
    .argument('<dir>', 'the sweep directory')
    .option('--task <k>', 'task index, or a comma list (repeatable)', collect, [])
    .option('--failed', 'every task that failed, was cancelled or vanished')
    .action(async (dir: string, opts: { task: string[]; failed?: boolean }) => {
      let tasks: number[];
      try {
        tasks = opts.task.flatMap((t) => t.split(',')).map((t) => {
          if (!/^\d+$/.test(t.trim())) throw new UsageError(`expected a task index, got '${t}'`, { where: '--task', fix: 'for example --task 3 or --task 1,4' });
          return Number(t);
        });
        if (!tasks.length && !opts.failed) throw new UsageError('say which tasks', { where: 'sweep resubmit', fix: '--task K (see `emofuse sweep status <dir>`) or --failed' });
        readPlan(dir);
      } catch (e) {
        printError(e);
        return setCode(codeFor(e));
      }
      setCode(await interruptible('the resubmission', async (ctx) => {
        resubmit(dir, { tasks, failed: !!opts.failed }, ctx);
      }));
    });
  sweepCmd
    .command('aggregate')
    .description('choose the point on validation and write the report from the finished runs of a sweep directory')
    .argument('<dir>', 'the sweep directory')
    .option('--show-test-all', "also list every grid point's test score (off by default: only the point chosen on validation has one, so nobody picks on test)")
    .addHelpText('after', `
The point is chosen on the validation metric the sweep file names; the report shows that point's
test score. --show-test-all adds the others' test scores, marked as not chosen, for a post-hoc look.

Example:
  $ emofuse sweep aggregate runs/.sweeps/lr-grid-20261207T101500`)
    .action(async (dir: string, opts: { showTestAll?: boolean }) => {
      let plan: Plan;
      try {
        plan = readPlan(dir);
      } catch (e) {
        printError(e);
        return setCode(codeFor(e));
      }
      setCode(await interruptible(`aggregation of ${plan.name}`, async (ctx) => {
        const r = await aggregate(plan, ctx, { showTestAll: !!opts.showTestAll });
        if (r.best) ctx.log(`best on validation: ${r.best}`);
      }));
    });
}
