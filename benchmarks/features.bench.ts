// Feature extraction speed. Run: node --import tsx benchmarks/features.bench.ts (ONLY=opensmile: part 1 only)
// 1. openSMILE ComParE_2016 on FILES=100 EmoDB WAVs, emofuse's extractOpensmile against the opensmile
//    Python package's Smile.process_files (the reference tool, through .venv/bin/python), each with 1 and
//    2 workers: median seconds of REPEATS=3 runs, interleaved (emofuse then Python, then the other way
//    round), the ratio emofuse / Python, and whether the two give the same 6373 numbers per file.
//    The Python time is the process_files call alone (its import and Smile() setup, ~1-2 s, shown apart);
//    emofuse's includes starting its extractor processes. Beside wall time, CPU seconds (user+system):
//    on a loaded machine they say what each tool costs, while wall time mostly says how busy it was.
//    emofuse's CPU is this process's plus its finished children's (/proc/self/stat cutime+cstime);
//    Python's is time.process_time() around process_files (all its threads).
// 2. Loading the default wink embeddings: all 341k words, and filtered to the IEMOCAP vocabulary
//    (median of REPEATS=3 runs each, with the process RSS after the load).
// 3. L2 feature selection 6373 -> 100 on the real EmoDB ComParE matrix and at IEMOCAP training size
//    (5810 x 6373, made by resampling the real EmoDB rows with 5% noise), all rows and maxRows=2000.
// 4. The Arrow feature cache: write and read of the 5810 x 6373 matrix.
// Shared machine: the load average is printed so the figures can be judged.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeRng } from '@emofuse/core';
import type { FeatureMatrix } from '@emofuse/core';
import {
  FeatureCache, L2Selector, corpusVocabulary, extractOpensmile, readEmodb, readIemocapPickle,
} from '@emofuse/data';

const repoRoot = path.resolve(import.meta.dirname, '..');
const shared = process.env.EMOFUSE_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data');
const REPEATS = Number(process.env.REPEATS ?? 3);
const FILES = Number(process.env.FILES ?? 100);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const secs = (t0: number) => (performance.now() - t0) / 1000;
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');

console.log(`machine: ${os.cpus().length} cores, load average ${load()}`);

// 1. openSMILE: emofuse against opensmile-python
const emodb = readEmodb(path.join(shared, 'emodb'));
const files = emodb.utterances.slice(0, FILES);
const python = process.env.EMOFUSE_PYTHON ?? path.join(repoRoot, '.venv', 'bin', 'python');
const work = mkdtempSync(path.join(os.tmpdir(), 'emofuse-bench-smile-'));
const fileList = path.join(work, 'files.json');
writeFileSync(fileList, JSON.stringify(files.map((u) => u.wav)));
const reference = [
  'import json, sys, time',
  't0 = time.perf_counter()',
  'import opensmile',
  'files, workers, out = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]',
  's = opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016, feature_level=opensmile.FeatureLevel.Functionals, num_workers=workers)',
  't1, c1 = time.perf_counter(), time.process_time()',
  'df = s.process_files(files)',
  't2, c2 = time.perf_counter(), time.process_time()',
  "if out != '-': json.dump({'names': list(df.columns), 'values': df.to_numpy().tolist()}, open(out, 'w'))",
  "print(json.dumps({'setup': t1 - t0, 'process': t2 - t1, 'cpu': c2 - c1}))",
].join('\n');
type Run = { tool: 'emofuse' | 'python'; workers: number; seconds: number; cpu: number; setup?: number; load: number };
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
/** CPU seconds of this process and of its children that have ended. */
const cpuNow = () => {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  const own = process.cpuUsage();
  return (Number(f[13]) + Number(f[14])) / TICK + (own.user + own.system) / 1e6;
};
const smileRuns: Run[] = [];
let compare: FeatureMatrix | undefined;
let command: string[] = [];
let pythonOut: { names: string[]; values: number[][] } | undefined;
let emofuseNames: string[] = [];
const runEmofuse = async (workers: number) => {
  const load1 = os.loadavg()[0];
  const [t0, c0] = [performance.now(), cpuNow()];
  const r = await extractOpensmile(files, { workers });
  const [seconds, cpu] = [secs(t0), cpuNow() - c0];
  if (r.failures.length) throw new Error(`emofuse failed on ${r.failures.length} files: ${r.failures[0].error}`);
  smileRuns.push({ tool: 'emofuse', workers, seconds, cpu, load: load1 });
  compare = r.matrix;
  command = r.command;
  emofuseNames = r.names;
};
const runPython = (workers: number) => {
  const load1 = os.loadavg()[0];
  const out = pythonOut ? '-' : path.join(work, 'reference.json');
  const r = spawnSync(python, ['-c', reference, fileList, String(workers), out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`opensmile-python failed: ${r.stderr}`);
  const t = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { setup: number; process: number; cpu: number };
  smileRuns.push({ tool: 'python', workers, seconds: t.process, cpu: t.cpu, setup: t.setup, load: load1 });
  if (!pythonOut) pythonOut = JSON.parse(readFileSync(out, 'utf8')) as typeof pythonOut;
};
if (process.env.ONLY === undefined || process.env.ONLY === 'opensmile') {
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const workers of [1, 2]) {
      // Interleaved, and in turn first, so a change in the machine's load hits both tools alike.
      if ((rep + workers) % 2 === 0) {
        await runEmofuse(workers);
        runPython(workers);
      } else {
        runPython(workers);
        await runEmofuse(workers);
      }
    }
  }
  rmSync(work, { recursive: true, force: true });
  console.log(`\nopenSMILE ComParE_2016, ${files.length} EmoDB files, median of ${REPEATS} interleaved runs (load average = 1-minute figure when each run started)`);
  console.log('workers | measure  | emofuse s | opensmile-python s | emofuse/python | runs emofuse | runs python | load average');
  for (const workers of [1, 2]) {
    const of = (tool: Run['tool']) => smileRuns.filter((r) => r.tool === tool && r.workers === workers);
    const [e, p] = [of('emofuse'), of('python')];
    const loads = [...e, ...p].map((r) => r.load);
    for (const m of ['seconds', 'cpu'] as const) {
      const [me, mp] = [median(e.map((r) => r[m])), median(p.map((r) => r[m]))];
      const list = (rs: Run[]) => rs.map((r) => r[m].toFixed(2)).join(', ');
      console.log(`${String(workers).padStart(7)} | ${(m === 'cpu' ? 'CPU' : 'wall').padEnd(8)} | ${me.toFixed(2).padStart(9)} | ${mp.toFixed(2).padStart(18)} | ${(me / mp).toFixed(2).padStart(13)}x | ${list(e)} | ${list(p)} | ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
    }
  }
  const setups = smileRuns.filter((r) => r.setup !== undefined).map((r) => r.setup!);
  console.log(`opensmile-python import + Smile() setup, not counted above: median ${median(setups).toFixed(2)} s`);
  // Same numbers: names and every value (the CSV emofuse reads prints 6-7 significant digits).
  const ref = pythonOut!;
  let worst = 0;
  ref.values.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(compare!.values[i * compare!.dim + j] - v) / (Math.abs(v) + 1e-3)))));
  const same = JSON.stringify(ref.names) === JSON.stringify(emofuseNames) && ref.values.length === compare!.ids.length && worst < 1e-4;
  console.log(`same numbers: ${same ? 'yes' : 'NO'} (${compare!.ids.length} x ${compare!.dim} values, ${ref.names.length} names equal: ${JSON.stringify(ref.names) === JSON.stringify(emofuseNames)}, largest relative difference ${worst.toExponential(1)})`);
  console.log(`emofuse command (one per worker): ${command.join(' ')}`);
  if (process.env.ONLY === 'opensmile') process.exit(same ? 0 : 1);
}
if (files.length < emodb.utterances.length) {
  // Parts 3 and 4 work on the whole of EmoDB.
  const t0 = performance.now();
  const r = await extractOpensmile(emodb.utterances, { workers: 2 });
  compare = r.matrix;
  console.log(`\nemofuse, all ${emodb.utterances.length} EmoDB files, 2 workers: ${secs(t0).toFixed(1)} s (load average ${load()})`);
}

// 2. wink embeddings
const iemocap = readIemocapPickle(path.join(shared, 'iemocap', 'iemocap.pkl'));
const vocab = corpusVocabulary(iemocap.utterances);
for (const [name, opts] of [['all words', {}], [`IEMOCAP vocabulary (${vocab.size} types)`, { vocab }]] as const) {
  const times: number[] = [];
  const rss: number[] = [];
  let words = 0;
  for (let i = 0; i < REPEATS; i++) {
    // A fresh process per run, so each load starts cold in memory and RSS is the load's own.
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
      const { loadWinkEmbeddings, corpusVocabulary, readIemocapPickle } = await import('@emofuse/data');
      const vocab = ${'vocab' in opts ? `corpusVocabulary(readIemocapPickle(${JSON.stringify(path.join(shared, 'iemocap', 'iemocap.pkl'))}).utterances)` : 'undefined'};
      const t0 = performance.now();
      const e = await loadWinkEmbeddings({ vocab });
      console.log(JSON.stringify({ s: (performance.now() - t0) / 1000, words: e.words.length, rss: process.memoryUsage().rss / 1e6 }));
    `], { cwd: repoRoot, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { s: number; words: number; rss: number };
    times.push(r.s);
    rss.push(r.rss);
    words = r.words;
  }
  console.log(`\nwink-embeddings-sg-100d, ${name}: median ${median(times).toFixed(2)} s of ${REPEATS} (${times.map((t) => t.toFixed(2)).join(', ')}), ${words} words kept, RSS ${median(rss).toFixed(0)} MB`);
}

// 3. L2 selection
const labelOf = new Map(emodb.utterances.map((u) => [u.id, u.label]));
const emodbLabels = compare!.ids.map((id) => labelOf.get(id)!);
const cpu = (c0: NodeJS.CpuUsage) => (process.cpuUsage(c0).user / 1e6).toFixed(1);
{
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const j = new L2Selector({ k: 100 }).fit(compare!, emodbLabels).toJSON();
  console.log(`\nL2 selection 6373 -> 100, EmoDB ${compare!.ids.length} x 6373: ${secs(t0).toFixed(1)} s wall, ${cpu(c0)} s CPU, ${j.iterations} L-BFGS iterations, ${j.evaluations} passes`);
}
const n = 5810;
const rng = makeRng('features-bench');
const big: FeatureMatrix = { ids: Array.from({ length: n }, (_, i) => `r${i}`), dim: compare!.dim, values: new Float32Array(n * compare!.dim) };
const bigLabels: string[] = [];
for (let i = 0; i < n; i++) {
  const src = Math.floor(rng() * compare!.ids.length);
  bigLabels.push(emodbLabels[src]);
  for (let j = 0; j < big.dim; j++) {
    const v = compare!.values[src * big.dim + j];
    big.values[i * big.dim + j] = v * (1 + 0.05 * (rng() - 0.5) * 2);
  }
}
for (const maxRows of [undefined, 2000]) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const j = new L2Selector({ k: 100, maxRows }).fit(big, bigLabels).toJSON();
  console.log(`L2 selection 6373 -> 100, ${n} x 6373 (resampled EmoDB), ${maxRows ? `maxRows ${maxRows}` : 'all rows'}: ${secs(t0).toFixed(1)} s wall, ${cpu(c0)} s CPU, ${j.iterations} iterations, ${j.evaluations} passes`);
}

// 4. cache
const dir = mkdtempSync(path.join(os.tmpdir(), 'emofuse-bench-cache-'));
try {
  const cache = new FeatureCache(dir);
  const w: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    let t0 = performance.now();
    cache.put('big', big);
    w.push(secs(t0));
    t0 = performance.now();
    cache.get('big');
    r.push(secs(t0));
  }
  console.log(`\nArrow cache, ${n} x 6373 float32 (${(statSync(cache.pathFor('big')).size / 1e6).toFixed(0)} MB): write median ${median(w).toFixed(2)} s, read+verify median ${median(r).toFixed(2)} s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nload average at the end: ${load()}`);
