/**
 * Sweep wall time: a small EmoDB sweep (4 points x 2 seeds = 8 trainings of the speech CNN, one
 * leave-one-speaker-out fold, few epochs) run serially (one process), with --jobs 2 (a local pool),
 * and through Slurm (`--launcher slurm`, timed from submission until the aggregation job has left
 * the queue). Prints each wall time, the chosen point, and the ratios to the serial run.
 *
 *   node --import tsx benchmarks/sweep.bench.ts [--epochs 2] [--modes serial,jobs2,slurm]
 *        [--repeats 1] [--cpus-per-task 1] [--partition P] [--account A]
 *
 * Every mode starts from an empty output folder (so resume skips nothing) and the feature cache
 * warm (the first mode pays nothing extra: the openSMILE features are extracted once, up front).
 * On a real cluster run it from a login node with --partition/--account; the array tasks then
 * run side by side on as many nodes as the scheduler gives, and the ratio says what that bought.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cliInvocation } from '../packages/cli/src/sweep/command.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '2' },
    modes: { type: 'string', default: 'serial,jobs2,slurm' },
    repeats: { type: 'string', default: '1' },
    'cpus-per-task': { type: 'string', default: '1' },
    partition: { type: 'string' },
    account: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const modes = args.modes!.split(',');
const repeats = Number(args.repeats);
const work = mkdtempSync(path.join(os.tmpdir(), 'emofuse-sweep-bench-'));
const sweepFile = path.join(work, 'bench.yaml');
writeFileSync(sweepFile, [
  `base: ${path.join(root, 'experiments/emodb/speech_cnn.yaml')}`,
  'grid: { model.speech.filters: [32, 64], train.batchSize: [16, 32] }',
  'metric: ua', 'split: valid', 'mode: max', '',
].join('\n'));
const sets = (out: string) => ['--set', 'seeds=[1,2]', '--set', "split.folds=['03']", '--set', `train.epochs=${args.epochs}`, '--set', `output.dir=${out}`];

function cli(cliArgs: string[], env: Record<string, string> = {}) {
  const c = cliInvocation();
  const r = spawnSync(c.node, [...c.args, ...cliArgs], { cwd: work, env: { ...process.env, ...c.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`emofuse ${cliArgs.join(' ')} exited ${r.status}:\n${r.stderr.slice(-3000)}`);
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const queued = (job: string) => spawnSync('squeue', ['-h', '-j', job, '-o', '%i'], { encoding: 'utf8' }).stdout.trim() !== '';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function once(mode: string, k: number): Promise<{ seconds: number; best: string }> {
  const out = path.join(work, `${mode}-${k}`);
  const dir = path.join(out, 'sweep');
  const env = { EMOFUSE_MLRUNS: path.join(out, 'mlruns') };
  const t0 = performance.now();
  if (mode === 'serial') cli(['sweep', sweepFile, ...sets(out), '--sweep-dir', dir], env);
  else if (mode === 'jobs2') cli(['sweep', sweepFile, ...sets(out), '--jobs', '2', '--sweep-dir', dir], env);
  else if (mode === 'slurm') {
    const extra = [...(args.partition ? ['--partition', args.partition] : []), ...(args.account ? ['--account', args.account] : [])];
    cli(['sweep', sweepFile, ...sets(out), '--launcher', 'slurm', '--cpus-per-task', args['cpus-per-task']!, ...extra, '--sweep-dir', dir], env);
    const plan = JSON.parse(readFileSync(path.join(dir, 'plan.json'), 'utf8')) as { slurm: { aggregateJobs: { jobId: string }[] } };
    const agg = plan.slurm.aggregateJobs[0].jobId;
    while (queued(agg)) await sleep(1000);
  } else throw new Error(`unknown mode ${mode} (serial, jobs2, slurm)`);
  const seconds = (performance.now() - t0) / 1000;
  const result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as { complete: boolean; best?: string };
  if (!result.complete) throw new Error(`${mode}: the sweep did not complete (see ${dir})`);
  return { seconds, best: result.best! };
}

// Warm the feature cache once so no mode pays for openSMILE.
cli(['run', path.join(root, 'experiments/emodb/speech_cnn.yaml'), ...sets(path.join(work, 'warm')), '--set', 'seeds=[1]', '--set', 'train.epochs=1', '--set', 'report.enabled=false'], { EMOFUSE_MLRUNS: path.join(work, 'warm', 'mlruns') });

const haveSbatch = spawnSync('sbatch', ['--version']).status === 0;
const rows: { mode: string; seconds: number; best: string }[] = [];
console.log(`sweep benchmark: 4 points x 2 seeds, EmoDB speech CNN, fold 03, ${args.epochs} epoch(s); ${os.availableParallelism()} cores; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (const mode of modes) {
  if (mode === 'slurm' && !haveSbatch) {
    console.log('slurm: skipped (sbatch is not on PATH; start a one-node cluster with bash scripts/slurm-local.sh)');
    continue;
  }
  const times: number[] = [];
  let best = '';
  for (let k = 0; k < repeats; k++) {
    const r = await once(mode, k);
    times.push(r.seconds);
    best = r.best;
    console.log(`  ${mode} run ${k + 1}/${repeats}: ${r.seconds.toFixed(1)} s (best ${r.best})`);
  }
  rows.push({ mode, seconds: median(times), best });
}
const serial = rows.find((r) => r.mode === 'serial')?.seconds;
console.log('\nmode     wall (s)  vs serial  chosen point');
for (const r of rows) console.log(`${r.mode.padEnd(8)} ${r.seconds.toFixed(1).padStart(8)}  ${serial ? `${(serial / r.seconds).toFixed(2)}x`.padStart(9) : '        -'}  ${r.best}`);
console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
if (!args.keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
