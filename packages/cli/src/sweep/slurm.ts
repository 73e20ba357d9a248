/**
 * `--launcher slurm`: one `sbatch --array` job (one array task per pending (point, seed) task,
 * each `emofuse run <task.yaml> --seed N` with $SLURM_CPUS_PER_TASK TensorFlow threads) and an
 * aggregation job with `--dependency=afterany:<array>` that chooses on validation and writes the
 * report. `status` reads squeue / scontrol (sacct where the cluster keeps accounting) and the run
 * store; `resubmit` sends chosen tasks again as a new array job with a new aggregation job.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { EmofuseError } from '@emofuse/core';
import { RUN_TAGS, redactUri } from '@emofuse/tracking';
import type { RunContext } from '../context.ts';
import { EXIT, UsageError } from '../errors.ts';
import { cliInvocation } from './command.ts';
import { keyOf, readPlan, savePlan, type Plan, type PlanTask, type SlurmResources } from './plan.ts';
import { registerExecutor } from './registry.ts';
import { completedRuns } from './store.ts';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function run(cmd: string, args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return { code: 127, out: '', err: (r.error as Error).message };
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

/** True when sbatch is on PATH. */
export function haveSbatch(): boolean {
  return run('sbatch', ['--version']).code === 0;
}

function sbatch(args: string[], where: string): string {
  const r = run('sbatch', ['--parsable', ...args]);
  if (r.code !== 0) {
    throw new EmofuseError(`sbatch refused the job: ${(r.err || r.out).trim() || `exit ${r.code}`}`, {
      where, fix: r.code === 127 ? 'sbatch is not on PATH: run this on a Slurm login node (or start one: bash scripts/slurm-local.sh)' : 'check --partition, --account, --mem and --time against `sinfo` and your allocation',
    });
  }
  return r.out.trim().split(';')[0];
}

function sbatchLines(res: SlurmResources, cpus: number): string[] {
  const lines = [`--cpus-per-task=${cpus}`];
  if (res.partition) lines.push(`--partition=${res.partition}`);
  if (res.account) lines.push(`--account=${res.account}`);
  if (res.mem) lines.push(`--mem=${res.mem}`);
  if (res.time) lines.push(`--time=${res.time}`);
  return [...lines, ...res.extra].map((l) => `#SBATCH ${l}`);
}

function environment(plan: Plan): string[] {
  const cli = cliInvocation();
  const env: Record<string, string> = { ...cli.env, EMOFUSE_MLRUNS: plan.tracking.store, PATH: `${path.dirname(cli.node)}:$PATH` };
  // A redacted URI (it had credentials) is not exported: sbatch hands the job the submitter's own MLFLOW_TRACKING_URI.
  if (plan.tracking.uri && plan.tracking.uri === redactUri(plan.tracking.uri)) env.MLFLOW_TRACKING_URI = plan.tracking.uri;
  return Object.entries(env).map(([k, v]) => `export ${k}=${k === 'PATH' ? `"${v}"` : q(v)}`);
}

/** Write job.sh (the array task) and aggregate.sh into the sweep directory. */
export function writeScripts(plan: Plan, res: SlurmResources): { job: string; aggregate: string } {
  const dir = plan.dir!;
  const cli = cliInvocation();
  const node = [cli.node, ...cli.args].map(q).join(' ');
  const job = path.join(dir, 'job.sh');
  writeFileSync(job, [
    '#!/bin/bash',
    `# emofuse: one task of ${plan.kind} ${plan.name} per array index (line index+1 of tasks.tsv).`,
    `#SBATCH --job-name=emofuse-${plan.name}`,
    `#SBATCH --output=${dir}/logs/task-%a-%A.out`,
    `#SBATCH --chdir=${plan.cwd}`,
    ...sbatchLines(res, res.cpusPerTask),
    'set -eu',
    'K="${SLURM_ARRAY_TASK_ID:?submit this with sbatch --array}"',
    `IFS=$'\\t' read -r cfg seed < <(sed -n "$((K + 1))p" ${q(path.join(dir, 'tasks.tsv'))})`,
    ...environment(plan),
    // The threads Slurm gave the task, so tasks sharing a node do not oversubscribe it.
    'export TF_NUM_INTRAOP_THREADS="${SLURM_CPUS_PER_TASK:-1}" TF_NUM_INTEROP_THREADS=1',
    'echo "emofuse task $K: $cfg seed $seed on $(hostname), job ${SLURM_ARRAY_JOB_ID}_$K, $TF_NUM_INTRAOP_THREADS thread(s)"',
    `exec ${node} run "$cfg" --seed "$seed" --set report.enabled=false --set "tags.${RUN_TAGS.tfThreads}=\\"$TF_NUM_INTRAOP_THREADS\\"" --set "tags.${RUN_TAGS.slurmJob}=\\"\${SLURM_ARRAY_JOB_ID}_$K\\""`,
    '',
  ].join('\n'));
  const aggregate = path.join(dir, 'aggregate.sh');
  writeFileSync(aggregate, [
    '#!/bin/bash',
    `# emofuse: after the array ends, choose on validation and write the report.`,
    `#SBATCH --job-name=emofuse-${plan.name}-aggregate`,
    `#SBATCH --output=${dir}/logs/aggregate-%j.out`,
    `#SBATCH --chdir=${plan.cwd}`,
    ...sbatchLines(res, 1),
    'set -eu',
    ...environment(plan),
    'export TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1',
    `exec ${node} sweep aggregate ${q(dir)}`,
    '',
  ].join('\n'));
  chmodSync(job, 0o755);
  chmodSync(aggregate, 0o755);
  return { job, aggregate };
}

/** Submit `tasks` as one array job and an aggregation job after it; records both in plan.json. */
export function submit(plan: Plan, tasks: PlanTask[], res: SlurmResources, ctx: RunContext, waitFor: string[] = []): { array?: string; aggregate: string } {
  const { job, aggregate } = writeScripts(plan, res);
  plan.slurm ??= { resources: res, arrayJobs: [], aggregateJobs: [] };
  plan.slurm.resources = res;
  const now = new Date().toISOString();
  let array: string | undefined;
  if (tasks.length) {
    array = sbatch([`--array=${tasks.map((t) => t.index).join(',')}`, job], job);
    plan.slurm.arrayJobs.push({ jobId: array, tasks: tasks.map((t) => t.index), submitted: now });
    for (const t of tasks) plan.tasks[t.index].jobs.push(`${array}_${t.index}`);
    savePlan(plan);
    ctx.log(`submitted array job ${array}: ${tasks.length} task(s) (${tasks.map((t) => t.index).join(',')}), logs ${plan.dir}/logs/task-<K>-${array}.out`);
  }
  const deps = [...(array ? [array] : []), ...waitFor];
  const agg = sbatch([...(deps.length ? [`--dependency=afterany:${deps.join(':')}`] : []), aggregate], aggregate);
  plan.slurm.aggregateJobs.push({ jobId: agg, submitted: now });
  savePlan(plan);
  ctx.log(`submitted aggregation job ${agg}${deps.length ? ` (after ${deps.join(', ')} end${deps.length > 1 ? '' : 's'})` : ''}: chooses on validation, writes ${plan.dir}/result.json and ${plan.dir}/report/`);
  return { array, aggregate: agg };
}

// ---- status -------------------------------------------------------------------------------

export type TaskState = 'done' | 'pending' | 'running' | 'failed' | 'cancelled' | 'not submitted' | 'not done' | 'unknown';

export interface TaskStatus {
  index: number;
  point: string;
  seed: number;
  state: TaskState;
  /** Slurm's word for it (RUNNING, CANCELLED, TIMEOUT ...) and where it came from. */
  slurm?: string;
  job?: string;
  log?: string;
  run?: string;
}

export interface SweepStatus {
  dir: string;
  name: string;
  kind: Plan['kind'];
  tasks: TaskStatus[];
  counts: Record<string, number>;
  aggregate?: { job: string; slurm?: string; log: string };
  result?: { complete: boolean; best?: string; report?: string; missing: number[] };
  sources: string[];
}

/** Job id (`123_4` for an array task) -> Slurm state, from squeue, scontrol and (if kept) sacct. */
function jobStates(ids: string[]): { states: Map<string, { state: string; from: string }>; sources: string[] } {
  const states = new Map<string, { state: string; from: string }>();
  const sources: string[] = [];
  const put = (id: string, state: string, from: string) => { if (!states.has(id)) states.set(id, { state, from }); };
  if (!ids.length) return { states, sources };
  let squeueOk = false;
  for (const id of ids) {
    // One id per call: squeue refuses the whole list when any id has left the queue.
    const r = run('squeue', ['-h', '-r', '-j', id, '-o', '%i|%T']);
    if (r.code === 127) break;
    squeueOk = true;
    for (const line of r.out.split('\n').filter(Boolean)) {
      const [jid, st] = line.split('|');
      put(jid.trim(), st.trim(), 'squeue');
    }
  }
  if (squeueOk) sources.push('squeue');
  let scontrolOk = false;
  for (const id of ids) {
    const r = run('scontrol', ['-o', 'show', 'job', id]);
    if (r.code === 127) break;
    if (r.code !== 0) continue;
    scontrolOk = true;
    for (const line of r.out.split('\n').filter(Boolean)) {
      const f = Object.fromEntries(line.split(/\s+/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      const st = f.JobState;
      if (!st) continue;
      if (f.ArrayJobId && f.ArrayTaskId) for (const k of expandRange(f.ArrayTaskId)) put(`${f.ArrayJobId}_${k}`, st, 'scontrol');
      else put(f.JobId, st, 'scontrol');
    }
  }
  if (scontrolOk) sources.push('scontrol');
  // sacct only answers where accounting storage is configured; elsewhere it exits non-zero.
  const acct = run('sacct', ['-n', '-P', '-X', '-j', ids.join(','), '-o', 'JobID,State']);
  if (acct.code === 0) {
    sources.push('sacct');
    for (const line of acct.out.split('\n').filter(Boolean)) {
      const [jid, st] = line.split('|');
      put(jid.trim(), st.trim().split(' ')[0], 'sacct');
    }
  }
  return { states, sources };
}

/** `2-4,7%2` -> 2,3,4,7 */
export function expandRange(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    for (let k = a; k <= b; k += step) out.push(k);
  }
  return out;
}

function classify(state: string): TaskState {
  if (/^(PENDING|CONFIGURING|REQUEUED|RESIZING|SUSPENDED)/.test(state)) return 'pending';
  if (/^(RUNNING|COMPLETING|STAGE_OUT|SIGNALING)/.test(state)) return 'running';
  if (/^CANCELLED/.test(state)) return 'cancelled';
  return 'failed'; // COMPLETED without a run, FAILED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, BOOT_FAIL, DEADLINE, PREEMPTED
}

export function taskLog(plan: Plan, job: string): string {
  const [arr, k] = job.split('_');
  return path.join(plan.dir!, 'logs', `task-${k}-${arr}.out`);
}

export function sweepStatus(dir: string): SweepStatus {
  const plan = readPlan(dir);
  const done = completedRuns(plan.outputDir, plan.tasks.map((t) => t.experiment));
  const ids = [...(plan.slurm?.arrayJobs.map((a) => a.jobId) ?? []), ...(plan.slurm?.aggregateJobs.map((a) => a.jobId) ?? [])];
  const { states, sources } = jobStates(ids);
  sources.push('run store');
  const tasks: TaskStatus[] = plan.tasks.map((t) => {
    const base = { index: t.index, point: t.point, seed: t.seed };
    const run = done.get(keyOf(t));
    const job = t.jobs.at(-1);
    const s = job ? states.get(job) : undefined;
    const log = job ? taskLog(plan, job) : undefined;
    if (run) return { ...base, state: 'done', run: run.dir, job, log, slurm: s && `${s.state} (${s.from})` };
    // Local and inline plans have no jobs: a task is done or not (rerun the command to finish it).
    if (!job) return { ...base, state: plan.slurm ? 'not submitted' : 'not done' };
    if (!s) {
      const array = job.split('_')[0];
      // scancel of a pending element removes it from its array, leaving no record of its own.
      if ([...states.keys()].some((id) => id.startsWith(`${array}_`)) && !(log && existsSync(log))) {
        return { ...base, state: 'cancelled', job, log, slurm: `gone from array ${array} before it started` };
      }
      // The scheduler has forgotten the job (no accounting, past MinJobAge): it ended without a run.
      return { ...base, state: log && existsSync(log) ? 'failed' : 'unknown', job, log };
    }
    const state = classify(s.state);
    return { ...base, state, job, log, slurm: `${s.state} (${s.from})` };
  });
  const counts: Record<string, number> = {};
  for (const t of tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
  const aggJob = plan.slurm?.aggregateJobs.at(-1)?.jobId;
  const aggState = aggJob ? states.get(aggJob) : undefined;
  const out: SweepStatus = { dir: plan.dir!, name: plan.name, kind: plan.kind, tasks, counts, sources };
  if (aggJob) out.aggregate = { job: aggJob, slurm: aggState && `${aggState.state} (${aggState.from})`, log: path.join(plan.dir!, 'logs', `aggregate-${aggJob}.out`) };
  const resultFile = path.join(plan.dir!, 'result.json');
  if (existsSync(resultFile)) {
    const r = JSON.parse(readFileSync(resultFile, 'utf8')) as SweepStatus['result'];
    out.result = { complete: r!.complete, best: r!.best, report: r!.report, missing: r!.missing };
  }
  return out;
}

export function formatStatus(s: SweepStatus): string {
  const rows = s.tasks.map((t) => [String(t.index), t.point, String(t.seed), t.state, t.slurm ?? '-', t.run ?? (t.state === 'done' ? '' : t.log ?? '-')]);
  const head = ['task', 'point', 'seed', 'state', 'slurm', 'run / log'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = [`${s.kind} ${s.name}  (${s.dir})`, `states from: ${s.sources.join(', ')}`, '', line(head), ...rows.map(line), ''];
  out.push(`${s.tasks.length} task(s): ${Object.entries(s.counts).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  const bad = s.tasks.filter((t) => ['failed', 'cancelled', 'unknown'].includes(t.state));
  for (const t of bad) out.push(`  task ${t.index} ${t.state}${t.log ? `: log ${t.log}` : ''}`);
  if (bad.length) out.push(`resubmit: emofuse sweep resubmit ${s.dir} --task ${bad.map((t) => t.index).join(',')}`);
  if (s.aggregate) out.push(`aggregation job ${s.aggregate.job}: ${s.aggregate.slurm ?? 'ended'}  log ${s.aggregate.log}`);
  if (s.result?.complete) out.push(`best on validation: ${s.result.best ?? '-'}${s.result.report ? `  report ${s.result.report}` : ''}`);
  else if (s.result) out.push(`last aggregation found task(s) ${s.result.missing.join(',')} missing`);
  return out.join('\n');
}

// ---- resubmit -----------------------------------------------------------------------------

/** Submit tasks again (those listed, or every failed/cancelled one) and a new aggregation job. */
export function resubmit(dir: string, which: { tasks: number[]; failed: boolean }, ctx: RunContext): { array?: string; aggregate: string } {
  const status = sweepStatus(dir);
  const plan = readPlan(dir);
  if (!plan.slurm) throw new UsageError('this sweep was not submitted to Slurm', { where: dir, fix: 'rerun the sweep command: finished tasks are skipped' });
  for (const k of which.tasks) {
    if (!plan.tasks[k]) throw new UsageError(`no task ${k}: the plan has tasks 0-${plan.tasks.length - 1}`, { where: '--task', fix: `see emofuse sweep status ${dir}` });
  }
  const wanted = which.failed ? status.tasks.filter((t) => ['failed', 'cancelled', 'unknown'].includes(t.state)).map((t) => t.index) : which.tasks;
  const send: PlanTask[] = [];
  for (const k of wanted) {
    const st = status.tasks[k];
    if (st.state === 'done') ctx.log(`task ${k} is already complete (${st.run}); not resubmitted`);
    else if (st.state === 'pending' || st.state === 'running') ctx.log(`task ${k} is ${st.state} as job ${st.job}; not resubmitted`);
    else send.push(plan.tasks[k]);
  }
  if (!send.length) throw new EmofuseError('nothing to resubmit', { where: dir, fix: `see emofuse sweep status ${dir}` });
  // The old aggregation job would run on an incomplete sweep: cancel it if it has not started.
  for (const a of plan.slurm.aggregateJobs) {
    const st = run('squeue', ['-h', '-j', a.jobId, '-o', '%T']).out.trim();
    if (st === 'PENDING') {
      run('scancel', [a.jobId]);
      ctx.log(`cancelled the pending aggregation job ${a.jobId} (a new one follows the resubmitted tasks)`);
    }
  }
  // The new aggregation also waits for array jobs of this sweep that are still queued or running.
  const stillQueued = plan.slurm.arrayJobs.map((a) => a.jobId).filter((id) => run('squeue', ['-h', '-j', id, '-o', '%i']).out.trim() !== '');
  return submit(plan, send, plan.slurm.resources, ctx, stillQueued);
}

registerExecutor({
  name: 'slurm',
  summary: 'an sbatch job array (one task per point and seed) and a dependent aggregation job',
  needsDir: true,
  async launch(plan, pending, opts, ctx) {
    const r = submit(plan, pending, opts.slurm, ctx);
    ctx.log(`\nfollow it:  emofuse sweep status ${plan.dir}`);
    ctx.log(`a failed task:  emofuse sweep resubmit ${plan.dir} --task <K>   (or --failed)`);
    ctx.log(`the result (when job ${r.aggregate} ends):  ${plan.dir}/result.json`);
    return EXIT.ok;
  },
});
