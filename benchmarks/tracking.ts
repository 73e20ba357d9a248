// Local run store speed vs MLflow's own FileStore (Python). Run: node --import tsx benchmarks/tracking.ts
// Prints medians of N repetitions: single logMetric calls, one 5000-point batch, and reading a run back.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalFileTracker, listRuns } from '@emofuse/tracking';

const repoRoot = path.resolve(import.meta.dirname, '..');
const python = process.env.EMOFUSE_PYTHON ?? path.join(repoRoot, '.venv/bin/python');
const N = Number(process.env.N ?? 5);
const SINGLE = 500;
const BATCH = 5000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function ours(): Promise<{ single: number; batch: number; read: number }> {
  const t = { single: [] as number[], batch: [] as number[], read: [] as number[] };
  for (let i = 0; i <= N; i++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-trk-'));
    const run = await new LocalFileTracker(path.join(dir, 'mlruns')).startRun({ experiment: 'bench' });
    let s = performance.now();
    for (let k = 0; k < SINGLE; k++) await run.logMetric('loss', 1 / (k + 1), k);
    const single = performance.now() - s;
    const pts = Array.from({ length: BATCH }, (_, k) => ({ key: `m${k % 10}`, value: Math.sin(k), step: k }));
    s = performance.now();
    await run.logMetrics(pts);
    const batch = performance.now() - s;
    await run.endRun();
    s = performance.now();
    await listRuns({ store: path.join(dir, 'mlruns') });
    const read = performance.now() - s;
    rmSync(dir, { recursive: true, force: true });
    if (i > 0) {
      t.single.push(single);
      t.batch.push(batch);
      t.read.push(read);
    }
  }
  return { single: median(t.single), batch: median(t.batch), read: median(t.read) };
}

function theirs(): { single: number; batch: number; read: number } | null {
  const code = `
import os, tempfile, time, math, statistics, json
os.environ['MLFLOW_ALLOW_FILE_STORE'] = 'true'
from mlflow.tracking import MlflowClient
from mlflow.entities import Metric
res = {'single': [], 'batch': [], 'read': []}
for i in range(${N + 1}):
    d = tempfile.mkdtemp()
    c = MlflowClient(tracking_uri='file://' + d + '/mlruns')
    e = c.create_experiment('bench')
    r = c.create_run(e).info.run_id
    t = time.perf_counter()
    for k in range(${SINGLE}): c.log_metric(r, 'loss', 1 / (k + 1), step=k)
    single = time.perf_counter() - t
    now = int(time.time() * 1000)
    pts = [Metric(f'm{k % 10}', math.sin(k), now, k) for k in range(${BATCH})]
    t = time.perf_counter()
    for j in range(0, len(pts), 1000): c.log_batch(r, metrics=pts[j:j + 1000])
    batch = time.perf_counter() - t
    c.set_terminated(r)
    t = time.perf_counter()
    run = c.get_run(r)
    for k in run.data.metrics: c.get_metric_history(r, k)
    read = time.perf_counter() - t
    if i > 0:
        res['single'].append(single * 1000); res['batch'].append(batch * 1000); res['read'].append(read * 1000)
print(json.dumps({k: statistics.median(v) for k, v in res.items()}))
`;
  try {
    return JSON.parse(execFileSync(python, ['-c', code], { encoding: 'utf8' }).trim().split('\n').pop()!);
  } catch (e) {
    console.log(`(Python MLflow not available: ${(e as Error).message.split('\n')[0]})`);
    return null;
  }
}

const a = await ours();
const b = theirs();
const row = (name: string, x: number, y?: number) =>
  console.log(`${name.padEnd(40)} ours ${x.toFixed(1).padStart(8)} ms${y === undefined ? '' : `   mlflow FileStore ${y.toFixed(1).padStart(8)} ms   ratio ${(x / y).toFixed(2)}`}`);
console.log(`median of ${N} (after one warm-up)`);
row(`${SINGLE} single logMetric calls`, a.single, b?.single);
row(`one batch of ${BATCH} points (10 keys)`, a.batch, b?.batch);
row('read the run back (all histories)', a.read, b?.read);
