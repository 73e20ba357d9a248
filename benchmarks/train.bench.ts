/**
 * Training speed: emofuse (tfjs-node) against Keras (TensorFlow 2.21, the tensorflow-cpu wheel)
 * on the paper's three models and shapes, random data (timings only, never scores).
 *
 *   node --import tsx benchmarks/train.bench.ts [--utterances 5810] [--epochs 2] [--repeats 1]
 *        [--models speech-cnn,joint-cnn,text-lstm] [--python .cache/bench-venv/bin/python]
 *        [--variants emofuse,im2col,fit] [--lengths real|uniform] [--profile]
 *
 * Seconds per epoch are steady state: the median over repeats of every epoch but the first
 * (the first pays for kernel setup / graph tracing; it is printed separately).
 * Python: --python, else env EMOFUSE_BENCH_PYTHON, else .cache/bench-venv/bin/python, else .venv/bin/python;
 * it needs `tensorflow` (pip install .cache/tensorflow/tensorflow_cpu-*.whl into a venv).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { Parser } from 'pickleparser';
import { makeRng } from '@emofuse/core';
import { MODEL_DEFAULTS, buildModel, selectBackend, setConvImplementation, train, type ModelType } from '@emofuse/models';

const root = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    utterances: { type: 'string', default: '5810' },
    epochs: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '1' },
    models: { type: 'string', default: 'speech-cnn,joint-cnn,text-lstm' },
    variants: { type: 'string', default: 'emofuse,im2col,fit' },
    python: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-keras': { type: 'boolean', default: false },
    lengths: { type: 'string', default: 'real' },
  },
});
const N = Number(args.utterances);
const EPOCHS = Number(args.epochs);
const REPEATS = Number(args.repeats);
const MODELS = args.models!.split(',') as ModelType[];
const VARIANTS = new Set(args.variants!.split(','));
const STEPS = 50;
const EMB = 100;
const DS = 100;
const CLASSES = ['hap', 'sad', 'neu', 'ang', 'exc', 'fru'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Utterance lengths in words: those of the real IEMOCAP sessions 1-4 transcripts when the shared
 * pkl is there (capped at 50, the default maxTokens), else uniform 3..50.
 */
function lengthsOf(n: number, rng: () => number): { lengths: Int32Array; source: string } {
  const pkl = path.join(process.env.EMOFUSE_SHARED_DATA ?? path.resolve(root, '../shared/data'), 'iemocap/iemocap.pkl');
  if (args.lengths === 'real' && existsSync(pkl)) {
    const [, , sentences, trainIds, , validIds] = new Parser().parse(readFileSync(pkl)) as [unknown, unknown, Map<string, string[]> | Record<string, string[]>, string[], unknown, string[]];
    const get = (d: string) => (sentences instanceof Map ? sentences.get(d)! : sentences[d]);
    const real = [...trainIds, ...validIds].flatMap((d) => get(d).map((t) => Math.min(STEPS, (t.match(/[A-Za-z']+/g) ?? []).length)));
    return { lengths: Int32Array.from({ length: n }, (_, i) => real[i % real.length]), source: `real IEMOCAP transcript lengths (${pkl})` };
  }
  return { lengths: Int32Array.from({ length: n }, () => 3 + Math.floor(rng() * (STEPS - 2))), source: 'uniform 3..50' };
}

function randomData() {
  const rng = makeRng('bench');
  const ids = Array.from({ length: N }, (_, i) => `u${i}`);
  const labels = ids.map(() => CLASSES[Math.floor(rng() * CLASSES.length)]);
  const { lengths, source } = lengthsOf(N, rng);
  console.log(`word sequences: ${STEPS} steps, lengths ${source}, mean ${(lengths.reduce((a, b) => a + b, 0) / N).toFixed(1)}`);
  const words = new Float32Array(N * STEPS * EMB);
  for (let i = 0; i < N; i++) for (let t = 0; t < lengths[i]; t++) for (let d = 0; d < EMB; d++) words[(i * STEPS + t) * EMB + d] = rng() * 2 - 1;
  const speech = Float32Array.from({ length: N * DS }, () => rng());
  return { labels, text: { ids, steps: STEPS, dim: EMB, values: words, lengths }, speech: { ids, dim: DS, values: speech } };
}

const INPUT = {
  'text-lstm': { text: { kind: 'sequence' as const, steps: STEPS, dim: EMB } },
  'speech-cnn': { speech: { dim: DS } },
  'joint-cnn': { text: { kind: 'sequence' as const, steps: STEPS, dim: EMB }, speech: { dim: DS } },
};
const JOINT = { ...MODEL_DEFAULTS, joint: { ...MODEL_DEFAULTS.joint, textBranch: 'joint' as const } };

/** Wall and CPU seconds (all threads of this process) per epoch. */
interface Times { wall: number[]; cpu: number[] }

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function timeEmofuse(type: ModelType, data: ReturnType<typeof randomData>, conv: 'native' | 'im2col'): Promise<Times> {
  setConvImplementation(conv);
  const m = buildModel({ type, classes: CLASSES, input: INPUT[type], model: JOINT, seed: 1 });
  const cpu: number[] = [];
  let c0 = cpuSeconds();
  const r = await train(m, { train: { inputs: { text: data.text, speech: data.speech }, labels: data.labels } }, {
    epochs: EPOCHS, batchSize: 32, seed: 1,
    onEpochEnd: () => { const c = cpuSeconds(); cpu.push(c - c0); c0 = c; },
  });
  m.net.dispose();
  setConvImplementation(null);
  return { wall: r.history.map((h) => h.seconds), cpu };
}

/** "Before": the speech CNN as plain tfjs layers (tf.layers.conv1d, maxPooling1d) trained with model.fit. */
async function timeTfjsFit(data: ReturnType<typeof randomData>): Promise<Times> {
  const m = tf.sequential({
    layers: [
      tf.layers.reshape({ inputShape: [DS], targetShape: [DS, 1] }),
      tf.layers.conv1d({ filters: 128, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.conv1d({ filters: 128, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 512, activation: 'relu' }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 6, activation: 'softmax' }),
    ],
  });
  m.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const x = tf.tensor2d(data.speech.values, [N, DS]);
  const y = tf.oneHot(tf.tensor1d(data.labels.map((l) => CLASSES.indexOf(l)), 'int32'), 6);
  const times: Times = { wall: [], cpu: [] };
  let t = 0;
  let c = 0;
  await m.fit(x, y, {
    epochs: EPOCHS, batchSize: 32, shuffle: true, verbose: 0,
    callbacks: {
      onEpochBegin: async () => { t = performance.now(); c = cpuSeconds(); },
      onEpochEnd: async () => { times.wall.push((performance.now() - t) / 1000); times.cpu.push(cpuSeconds() - c); },
    },
  });
  x.dispose();
  y.dispose();
  m.dispose();
  return times;
}

function python(): string | undefined {
  const cands = [args.python, process.env.EMOFUSE_BENCH_PYTHON, path.join(root, '.cache/bench-venv/bin/python'), path.join(root, '.venv/bin/python')];
  for (const p of cands) {
    if (p && existsSync(p) && spawnSync(p, ['-c', 'import tensorflow'], { stdio: 'ignore' }).status === 0) return p;
  }
  return undefined;
}

function timeKeras(py: string, type: ModelType): Times {
  // Keras' masked LSTM runs every step whatever the lengths, so its data keep uniform lengths
  const r = spawnSync(py, [path.join(root, 'benchmarks/train_keras.py'), '--model', type, '--utterances', String(N), '--epochs', String(EPOCHS)], {
    encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`keras ${type} failed:\n${r.stderr.slice(-2000)}`);
  const out = JSON.parse(line);
  return { wall: out.epochs, cpu: out.cpu };
}

/** Where the time of one tfjs training step goes: kernel time by kernel vs wall time. */
async function profileSpeech(data: ReturnType<typeof randomData>): Promise<void> {
  for (const conv of ['native', 'im2col'] as const) {
    setConvImplementation(conv);
    const m = buildModel({ type: 'speech-cnn', classes: CLASSES, input: INPUT['speech-cnn'], model: JOINT, seed: 1 });
    const small = { ids: data.speech.ids.slice(0, 640), dim: DS, values: data.speech.values.subarray(0, 640 * DS) };
    const part = { inputs: { speech: small }, labels: data.labels.slice(0, 640) };
    await train(m, { train: part }, { epochs: 1, batchSize: 32 }); // warm up
    const t0 = performance.now();
    const info = await tf.profile(async () => { await train(m, { train: part }, { epochs: 1, batchSize: 32 }); });
    const wall = performance.now() - t0;
    const byKernel = new Map<string, number>();
    for (const k of info.kernels) if (!k.name.endsWith('__op')) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
    const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
    const t1 = performance.now();
    await train(m, { train: part }, { epochs: 1, batchSize: 32 });
    const plain = performance.now() - t1;
    console.log(`\nprofile speech-cnn (${conv} conv), 20 batches of 32: ${info.kernels.length} kernel calls (${(info.kernels.length / 20).toFixed(0)} per batch),`
      + ` kernel time ${total.toFixed(0)} ms, wall ${plain.toFixed(0)} ms unprofiled (${wall.toFixed(0)} ms profiled)`);
    for (const [k, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${k.padEnd(24)} ${ms.toFixed(1).padStart(8)} ms  ${(100 * ms / total).toFixed(0)}%`);
    m.net.dispose();
  }
  setConvImplementation(null);
}

const backend = await selectBackend('auto');
const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`emofuse training benchmark: ${N} utterances, batch 32, ${EPOCHS} epochs x ${REPEATS} repeats; backend ${backend.name} (${backend.reason})`);
console.log(`machine: ${os.cpus().length} cpus, load average ${load} at start (shared with other jobs: read ratios, not absolutes)`);
if (backend.name !== 'tensorflow') console.log('WARNING: tfjs-node is not loaded; the emofuse numbers are for the fallback backend');
const data = randomData();
const py = args['no-keras'] ? undefined : python();
if (!args['no-keras'] && !py) console.log('Keras side skipped: no Python with tensorflow (see the header of this file)');

type Row = { model: string; impl: string; first: number; steady: number; cpu: number };
const rows: Row[] = [];
const steadyOf = (runs: number[][]) => median(runs.flatMap((r) => (r.length > 1 ? r.slice(1) : r)));
const record = (model: string, impl: string, runs: Times[]) => {
  const first = median(runs.map((r) => r.wall[0]));
  const steady = steadyOf(runs.map((r) => r.wall));
  const cpu = steadyOf(runs.map((r) => r.cpu));
  rows.push({ model, impl, first, steady, cpu });
  console.log(`  ${model.padEnd(10)} ${impl.padEnd(26)} first ${first.toFixed(2).padStart(7)} s   steady ${steady.toFixed(2).padStart(7)} s/epoch wall, ${cpu.toFixed(2).padStart(7)} s cpu`);
};

for (const type of MODELS) {
  const runs: Record<string, Times[]> = {};
  for (let r = 0; r < REPEATS; r++) {
    if (py) (runs.keras ??= []).push(timeKeras(py, type));
    if (VARIANTS.has('emofuse')) (runs['emofuse (native conv)'] ??= []).push(await timeEmofuse(type, data, 'native'));
    if (VARIANTS.has('im2col') && type !== 'text-lstm') (runs['emofuse (im2col conv)'] ??= []).push(await timeEmofuse(type, data, 'im2col'));
    if (VARIANTS.has('fit') && type === 'speech-cnn') (runs['tfjs layers + model.fit'] ??= []).push(await timeTfjsFit(data));
  }
  for (const [impl, rs] of Object.entries(runs)) record(type, impl, rs);
}

console.log('\nsteady-state seconds per epoch, wall (cpu); ratio = tfjs / Keras, wall (cpu):');
for (const type of MODELS) {
  const keras = rows.find((r) => r.model === type && r.impl === 'keras');
  for (const r of rows.filter((x) => x.model === type && x.impl !== 'keras')) {
    console.log(`  ${type.padEnd(10)} ${r.impl.padEnd(26)} ${r.steady.toFixed(2).padStart(7)} s (${r.cpu.toFixed(2)})`
      + (keras ? `   Keras ${keras.steady.toFixed(2)} s (${keras.cpu.toFixed(2)})   ratio ${(r.steady / keras.steady).toFixed(2)}x (${(r.cpu / keras.cpu).toFixed(2)}x)` : ''));
  }
}
if (args.profile) await profileSpeech(data);
console.log(`\nload average at end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
