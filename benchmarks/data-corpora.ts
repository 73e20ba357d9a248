// Corpus reading and splitting speed. Run: node --import tsx benchmarks/data-corpora.ts
// Prints the median of N runs per step, and the ratio to Python's own pickle.load of the same file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeFolds, makeSplit, readEmodb, readIemocapFeaturesPickle, readIemocapPickle } from '@emofuse/data';

const repoRoot = path.resolve(import.meta.dirname, '..');
const shared = process.env.EMOFUSE_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data');
const python = process.env.EMOFUSE_PYTHON ?? path.join(repoRoot, '.venv/bin/python');
const pkl = path.join(shared, 'iemocap/iemocap.pkl');
const fixture = path.join(shared, 'iemocap/fixtures/features_raw_layout.pkl');
const N = Number(process.env.N ?? 15);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
function bench(name: string, fn: () => unknown): number {
  fn(); // warm-up (module loading, JIT)
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  const m = median(times);
  console.log(`${name.padEnd(44)} median ${m.toFixed(1).padStart(7)} ms  (n=${N}, min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`);
  return m;
}
function pythonLoad(file: string): number | null {
  const code = `import pickle,time,statistics,sys
ts=[]
for _ in range(${N + 1}):
  t=time.perf_counter(); pickle.load(open(sys.argv[1],'rb'),encoding='latin1'); ts.append((time.perf_counter()-t)*1000)
print(statistics.median(ts[1:]))`;
  try {
    return Number(execFileSync(python, ['-c', code, file], { encoding: 'utf8' }).trim());
  } catch {
    return null;
  }
}

const tPkl = bench('readIemocapPickle (iemocap.pkl, 7433 utts)', () => readIemocapPickle(pkl));
const tFeat = bench('readIemocapFeaturesPickle (fixture, 107 utts)', () => readIemocapFeaturesPickle(fixture));
bench('readEmodb (535 files)', () => readEmodb(path.join(shared, 'emodb')));
const iemocap = readIemocapPickle(pkl);
bench('makeSplit paper (IEMOCAP)', () => makeSplit(iemocap, { protocol: 'paper', validFraction: 0.2, seed: 1 }));
bench('makeFolds loso (IEMOCAP, 5 folds)', () => makeFolds(iemocap, { protocol: 'loso', validFraction: 0.2, seed: 1 }));
const emodb = readEmodb(path.join(shared, 'emodb'));
bench('makeFolds loso-speaker (EmoDB, 10 folds)', () => makeFolds(emodb, { protocol: 'loso-speaker', seed: 1 }));

for (const [name, file, ours] of [['iemocap.pkl', pkl, tPkl], ['features fixture', fixture, tFeat]] as const) {
  const py = pythonLoad(file);
  if (py === null) console.log(`python pickle.load ${name}: skipped (no ${python})`);
  else console.log(`python pickle.load ${name.padEnd(26)} median ${py.toFixed(1).padStart(7)} ms; ours (incl. validation) / python = ${(ours / py).toFixed(1)}x`);
}

// A full-size IEMOCAP_features_raw.pkl stand-in (7433 utterances, random 100/100/512-d vectors,
// protocol 2 as Python 3 writes it), built in a temp dir, since the real file is not on this machine.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-bench-'));
try {
  const full = path.join(tmp, 'features_full.pkl');
  const gen = `import pickle, sys, numpy as np
spk, lab, sen, tr, te, va = pickle.load(open(sys.argv[1], 'rb'))
r = np.random.default_rng(0)
vec = lambda d, k: [r.standard_normal(k) for _ in spk[d]]
ids = {d: [f"{d}_{g}{i:03d}" for i, g in enumerate(spk[d])] for d in spk}
obj = (ids, spk, lab, {d: vec(d, 100) for d in spk}, {d: vec(d, 100) for d in spk}, {d: vec(d, 512) for d in spk}, sen, set(tr) | set(va), set(te))
pickle.dump(obj, open(sys.argv[2], 'wb'), protocol=2)`;
  execFileSync(python, ['-c', gen, pkl, full]);
  const runs = Math.max(3, Math.floor(N / 5));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    readIemocapFeaturesPickle(full);
    times.push(performance.now() - t);
  }
  const py = pythonLoad(full);
  console.log(`readIemocapFeaturesPickle (full size, 7433 utts) median ${median(times).toFixed(0)} ms (n=${runs})` +
    (py === null ? '' : `; python pickle.load ${py.toFixed(0)} ms; ratio ${(median(times) / py).toFixed(1)}x`));
} catch (e) {
  console.log(`full-size features pickle: skipped (${(e as Error).message.split('\n')[0]})`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
