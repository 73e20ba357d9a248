/**
 * Training speed: emofuse (tfjs-node) against Keras (TensorFlow 2.21, the tensorflow-cpu wheel)
 * on the paper's three models and shapes, random data (timings only, never scores).
 *
 *   node --import tsx benchmarks/train.bench.ts [--utterances 5810] [--epochs 3] [--repeats 2]
 *        [--models speech-cnn,joint-cnn,text-lstm] [--python .cache/bench-venv/bin/python]
 *        [--variants emofuse,plain,im2col,fit] [--lengths real|uniform] [--profile]
 *
 * Variants: `emofuse` = the package as it trains (tfjs-node fast paths on), `plain` = the same
 * model with every fast path off (EMOFUSE_FAST_PATHS=none: the plain tfjs ops), `im2col` = the
 * wasm convolution, `fit` = plain tfjs layers + model.fit (speech-cnn only). Each run is its own
 * process (so peak RSS is that run's), and the runs of a model are interleaved with Keras'
 * (Keras, emofuse, plain, Keras, emofuse, plain, ...) so load drift on a shared machine cancels.
 * Seconds per epoch are steady state: the median over repeats of every epoch but the first
 * (the first pays for kernel setup / graph tracing; it is printed separately). After training,
 * each run predicts every utterance (batch 256, 3 times): utterances/s is the median.
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
import { MODEL_DEFAULTS, buildModel, predict, selectBackend, setConvImplementation, train, type ModelType } from '@emofuse/models';

const root = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    utterances: { type: 'string', default: '5810' },
    epochs: { type: 'string', default: '3' },
    repeats: { type: 'string', default: '2' },
    models: { type: 'string', default: 'speech-cnn,joint-cnn,text-lstm' },
    variants: { type: 'string', default: 'emofuse,plain' },
    child: { type: 'string' },
    python: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-keras': { type: 'boolean', default: false },
    lengths: { type: 'string', default: 'real' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  // the usage is this file's header comment
  const header = readFileSync(import.meta.filename, 'utf8').split('*/')[0].replace(/^\/\*\*\n/, '').replace(/^ \* ?/gm, '');
  console.log(header.trim());
  process.exit(0);
}
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

function randomData(quiet = false) {
  const rng = makeRng('bench');
  const ids = Array.from({ length: N }, (_, i) => `u${i}`);
  const labels = ids.map(() => CLASSES[Math.floor(rng() * CLASSES.length)]);
  const { lengths, source } = lengthsOf(N, rng);
  if (!quiet) console.log(`word sequences: ${STEPS} steps, lengths ${source}, mean ${(lengths.reduce((a, b) => a + b, 0) / N).toFixed(1)}`);
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

/** Wall and CPU seconds (all threads of this process) per epoch; prediction speed; peak RSS (MB). */
interface Times { wall: number[]; cpu: number[]; predict?: number; rss?: number }

function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Utterances per second of predict() over all of `data` (batch 256), median of 3. */
function predictSpeed(m: ReturnType<typeof buildModel>, data: ReturnType<typeof randomData>): number {
  const speeds: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    predict(m, { text: data.text, speech: data.speech }, { batchSize: 256 });
    speeds.push(N / ((performance.now() - t) / 1000));
  }
  return median(speeds);
}

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
  const rss = peakRssMB();
  const speed = predictSpeed(m, data);
  m.net.dispose();
  setConvImplementation(null);
  return { wall: r.history.map((h) => h.seconds), cpu, predict: speed, rss };
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
  times.rss = peakRssMB();
  const speeds: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    tf.tidy(() => (m.predict(x, { batchSize: 256 }) as tf.Tensor).dataSync());
    speeds.push(N / ((performance.now() - t) / 1000));
  }
  times.predict = median(speeds);
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
  return { wall: out.epochs, cpu: out.cpu, predict: out.predict, rss: out.rss };
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

/** One timed run in a fresh process (own RSS, own native state): this script with --child. */
function timeChild(type: ModelType, variant: string): Times {
  const env = { ...process.env, EMOFUSE_FAST_PATHS: variant === 'plain' ? 'none' : 'all' };
  const r = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, ...process.argv.slice(2).filter((a) => !a.startsWith('--child')), '--child', `${type}:${variant}`],
    { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`${type} ${variant} failed:\n${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as Times;
}

const backend = await selectBackend('auto');
if (args.child) {
  const [type, variant] = args.child.split(':') as [ModelType, string];
  const data = randomData(true);
  const t = variant === 'fit' ? await timeTfjsFit(data) : await timeEmofuse(type, data, variant === 'im2col' ? 'im2col' : 'native');
  console.log(JSON.stringify(t));
  process.exit(0);
}
const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`emofuse training benchmark: ${N} utterances, batch 32, ${EPOCHS} epochs x ${REPEATS} repeats; backend ${backend.name} (${backend.reason})`);
console.log(`machine: ${os.cpus().length} cpus, load average ${load} at start (shared with other jobs: read ratios, not absolutes)`);
if (backend.name !== 'tensorflow') console.log('WARNING: tfjs-node is not loaded; the emofuse numbers are for the fallback backend');
randomData(false);
const py = args['no-keras'] ? undefined : python();
if (!args['no-keras'] && !py) console.log('Keras side skipped: no Python with tensorflow (see the header of this file)');

type Row = { model: string; impl: string; first: number; steady: number; cpu: number; predict: number; rss: number };
const rows: Row[] = [];
const steadyOf = (runs: number[][]) => median(runs.flatMap((r) => (r.length > 1 ? r.slice(1) : r)));
const record = (model: string, impl: string, runs: Times[]) => {
  const first = median(runs.map((r) => r.wall[0]));
  const steady = steadyOf(runs.map((r) => r.wall));
  const cpu = steadyOf(runs.map((r) => r.cpu));
  const predictSp = median(runs.map((r) => r.predict ?? NaN));
  const rss = median(runs.map((r) => r.rss ?? NaN));
  rows.push({ model, impl, first, steady, cpu, predict: predictSp, rss });
  console.log(`  ${model.padEnd(10)} ${impl.padEnd(26)} first ${first.toFixed(2).padStart(7)} s   steady ${steady.toFixed(2).padStart(7)} s/epoch wall, ${cpu.toFixed(2).padStart(7)} s cpu;`
    + ` predict ${predictSp.toFixed(0).padStart(6)} utt/s; peak RSS ${rss.toFixed(0)} MB`);
};

const IMPLS: Record<string, string> = {
  emofuse: 'emofuse (fast paths)', plain: 'emofuse (plain tfjs ops)', im2col: 'emofuse (im2col conv)', fit: 'tfjs layers + model.fit',
};
for (const type of MODELS) {
  const runs: Record<string, Times[]> = {};
  for (let r = 0; r < REPEATS; r++) {
    if (py) (runs.keras ??= []).push(timeKeras(py, type));
    for (const v of ['emofuse', 'plain', 'im2col', 'fit']) {
      if (!VARIANTS.has(v) || (v === 'im2col' && type === 'text-lstm') || (v === 'fit' && type !== 'speech-cnn')) continue;
      (runs[IMPLS[v]] ??= []).push(timeChild(type, v));
    }
    console.log(`  (${type} repeat ${r + 1}/${REPEATS} done, load ${os.loadavg()[0].toFixed(1)})`);
  }
  for (const [impl, rs] of Object.entries(runs)) record(type, impl, rs);
}

console.log('\nsteady-state seconds per epoch, wall (cpu); ratio = tfjs / Keras, wall (cpu); prediction utt/s and peak RSS, ratio to Keras:');
for (const type of MODELS) {
  const keras = rows.find((r) => r.model === type && r.impl === 'keras');
  for (const r of rows.filter((x) => x.model === type && x.impl !== 'keras')) {
    console.log(`  ${type.padEnd(10)} ${r.impl.padEnd(26)} ${r.steady.toFixed(2).padStart(7)} s (${r.cpu.toFixed(2)})`
      + (keras ? `   Keras ${keras.steady.toFixed(2)} s (${keras.cpu.toFixed(2)})   ratio ${(r.steady / keras.steady).toFixed(2)}x (${(r.cpu / keras.cpu).toFixed(2)}x)`
        + `   predict ${(r.predict / keras.predict).toFixed(2)}x of Keras' ${keras.predict.toFixed(0)} utt/s   RSS ${(r.rss / keras.rss).toFixed(2)}x of ${keras.rss.toFixed(0)} MB` : ''));
  }
}
if (args.profile) await profileSpeech(randomData(true));
console.log(`\nload average at end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
