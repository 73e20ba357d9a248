// Feature extraction speed. Run: node --import tsx benchmarks/features.bench.ts
// 1. openSMILE ComParE_2016 on the EmoDB WAVs (all 535; FILES=n for fewer) with 1 and 2 workers:
//    seconds, files/s and the 2-vs-1 ratio (one pass each: a pass is minutes of CPU).
// 2. Loading the default wink embeddings: all 341k words, and filtered to the IEMOCAP vocabulary
//    (median of REPEATS=3 runs each, with the process RSS after the load).
// 3. L2 feature selection 6373 -> 100 on the real EmoDB ComParE matrix and at IEMOCAP training size
//    (5810 x 6373, made by resampling the real EmoDB rows with 5% noise), all rows and maxRows=2000.
// 4. The Arrow feature cache: write and read of the 5810 x 6373 matrix.
// Shared machine: the load average is printed so the figures can be judged.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
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
const FILES = Number(process.env.FILES ?? 535);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const secs = (t0: number) => (performance.now() - t0) / 1000;
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');

console.log(`machine: ${os.cpus().length} cores, load average ${load()}`);

// 1. openSMILE
const emodb = readEmodb(path.join(shared, 'emodb'));
const files = emodb.utterances.slice(0, FILES);
let compare: FeatureMatrix | undefined;
let command: string[] = [];
const runs: { workers: number; seconds: number; rate: number; failures: number }[] = [];
for (const workers of [1, 2]) {
  const t0 = performance.now();
  const r = await extractOpensmile(files, { workers });
  const s = secs(t0);
  runs.push({ workers, seconds: s, rate: files.length / s, failures: r.failures.length });
  compare = r.matrix;
  command = r.command;
}
console.log(`\nopenSMILE ComParE_2016, ${files.length} EmoDB files (2.0 s each, 22.05 kHz), dim ${compare!.dim}`);
console.log('workers | seconds | files/s | failures');
for (const r of runs) console.log(`${String(r.workers).padStart(7)} | ${r.seconds.toFixed(1).padStart(7)} | ${r.rate.toFixed(2).padStart(7)} | ${r.failures}`);
console.log(`2 workers vs 1: ${(runs[1].rate / runs[0].rate).toFixed(2)}x files/s`);
console.log(`command per file: ${command.join(' ')}`);

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
