/**
 * Where a training step's time goes on tfjs-node: every call into the native binding
 * (TensorFlow eager ops, tensor creation/deletion, reads) counted and timed by op name, for one
 * training step of each model (the mean over `--steps` steps after a warm-up epoch). Time not
 * spent inside the binding is JavaScript (tfjs' engine, gradient bookkeeping, our layers).
 *
 *   node --import tsx benchmarks/train-profile.ts [--models speech-cnn,joint-cnn,text-lstm] [--steps 30]
 *        [--fast none|all|name,...] [--lengths real|uniform] [--top 18]
 *
 * Same data shapes as benchmarks/train.bench.ts (batch 32, 50 word steps, real IEMOCAP lengths).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { Parser } from 'pickleparser';
import { makeRng } from '@emofuse/core';
import { MODEL_DEFAULTS, buildModel, selectBackend, train, type ModelType } from '@emofuse/models';
import { setFastPaths, type FastPath } from '../packages/models/src/tensors.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'speech-cnn,joint-cnn,text-lstm' },
    steps: { type: 'string', default: '30' },
    fast: { type: 'string', default: 'all' },
    lengths: { type: 'string', default: 'real' },
    top: { type: 'string', default: '18' },
    trace: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: node --import tsx benchmarks/train-profile.ts [--models speech-cnn,joint-cnn,text-lstm] [--steps 30]\n'
    + '         [--fast none|all|name,...] [--lengths real|uniform] [--top 18] [--trace]\n'
    + '  --trace  also print the last step\'s binding calls in order (op, ms)');
  process.exit(0);
}
const STEPS = 50;
const EMB = 100;
const DS = 100;
const CLASSES = ['hap', 'sad', 'neu', 'ang', 'exc', 'fru'];
const BATCH = 32;
const N = BATCH * Number(args.steps);

function lengths(n: number): Int32Array {
  const pkl = path.join(process.env.EMOFUSE_SHARED_DATA ?? path.resolve(root, '../shared/data'), 'iemocap/iemocap.pkl');
  const rng = makeRng('profile');
  if (args.lengths === 'real' && existsSync(pkl)) {
    const [, , sentences, trainIds] = new Parser().parse(readFileSync(pkl)) as [unknown, unknown, Map<string, string[]> | Record<string, string[]>, string[]];
    const get = (d: string) => (sentences instanceof Map ? sentences.get(d)! : sentences[d]);
    const real = trainIds.flatMap((d) => get(d).map((t) => Math.min(STEPS, (t.match(/[A-Za-z']+/g) ?? []).length)));
    // a spread of real lengths, not the first dialogue's
    return Int32Array.from({ length: n }, () => real[Math.floor(rng() * real.length)]);
  }
  return Int32Array.from({ length: n }, () => 3 + Math.floor(rng() * (STEPS - 2)));
}

function data() {
  const rng = makeRng('profile-data');
  const ids = Array.from({ length: N }, (_, i) => `u${i}`);
  const len = lengths(N);
  const words = new Float32Array(N * STEPS * EMB);
  for (let i = 0; i < N; i++) for (let t = 0; t < len[i]; t++) for (let d = 0; d < EMB; d++) words[(i * STEPS + t) * EMB + d] = rng() * 2 - 1;
  return {
    labels: ids.map(() => CLASSES[Math.floor(rng() * CLASSES.length)]),
    text: { ids, steps: STEPS, dim: EMB, values: words, lengths: len },
    speech: { ids, dim: DS, values: Float32Array.from({ length: N * DS }, () => rng()) },
  };
}

const INPUT = {
  'text-lstm': { text: { kind: 'sequence' as const, steps: STEPS, dim: EMB } },
  'speech-cnn': { speech: { dim: DS } },
  'joint-cnn': { text: { kind: 'sequence' as const, steps: STEPS, dim: EMB }, speech: { dim: DS } },
};
const JOINT = { ...MODEL_DEFAULTS, joint: { ...MODEL_DEFAULTS.joint, textBranch: 'joint' as const } };

type Binding = Record<string, (...a: unknown[]) => unknown>;
const stats = new Map<string, { calls: number; ms: number }>();
let recording = false;
let sequence: string[] = [];

/** Wraps the native binding's entry points (its object is frozen: the backend gets a stand-in). */
function instrument(backend: { binding: Binding }): void {
  const binding = backend.binding;
  const wrapped = Object.create(binding) as Binding;
  for (const fn of ['executeOp', 'createTensor', 'deleteTensor', 'tensorDataSync']) {
    const orig = binding[fn].bind(binding);
    Object.defineProperty(wrapped, fn, { value: (...a: unknown[]) => {
      if (!recording) return orig(...a);
      const t = performance.now();
      const r = orig(...a);
      const key = fn === 'executeOp' ? String(a[0]) : `(${fn})`;
      const s = stats.get(key) ?? { calls: 0, ms: 0 };
      s.calls++;
      const ms = performance.now() - t;
      s.ms += ms;
      stats.set(key, s);
      if (args.trace && key !== '(deleteTensor)') sequence.push(`${key} ${ms.toFixed(3)}`);
      return r;
    } });
  }
  backend.binding = wrapped;
}

const backend = await selectBackend('tensorflow');
instrument(tf.backend() as unknown as { binding: Binding });
setFastPaths(args.fast === 'all' ? 'all' : args.fast === 'none' ? [] : (args.fast!.split(',') as FastPath[]));
const d = data();
const top = Number(args.top);
console.log(`training-step profile on ${backend.name}: batch ${BATCH}, mean of ${args.steps} steps; fast paths: ${args.fast}; load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (const type of args.models!.split(',') as ModelType[]) {
  const m = buildModel({ type, classes: CLASSES, input: INPUT[type], model: JOINT, seed: 1 });
  const part = { inputs: { text: d.text, speech: d.speech }, labels: d.labels };
  await train(m, { train: part }, { epochs: 1, batchSize: BATCH, seed: 1 }); // warm up
  stats.clear();
  recording = true;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  sequence = [];
  // a step ends where train reports its progress: keep where the last two steps ended
  const stepEnds: number[] = [];
  await train(m, { train: part }, { epochs: 1, batchSize: BATCH, seed: 2, onProgress: () => { stepEnds.push(sequence.length); } });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  recording = false;
  const steps = Number(args.steps);
  const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms);
  const inside = rows.reduce((a, [, s]) => a + s.ms, 0);
  const ops = rows.filter(([k]) => !k.startsWith('(')).reduce((a, [, s]) => a + s.calls, 0);
  console.log(`\n${type}: ${(wall / steps).toFixed(2)} ms a step wall, ${((cpu.user + cpu.system) / 1000 / steps).toFixed(2)} ms cpu; `
    + `${(ops / steps).toFixed(0)} TF ops a step; inside the binding ${(inside / steps).toFixed(2)} ms, JavaScript ${((wall - inside) / steps).toFixed(2)} ms`);
  console.log(`  ${'op'.padEnd(26)} ${'calls/step'.padStart(10)} ${'ms/step'.padStart(8)} ${'share'.padStart(6)}`);
  for (const [k, s] of rows.slice(0, top)) {
    console.log(`  ${k.padEnd(26)} ${(s.calls / steps).toFixed(1).padStart(10)} ${(s.ms / steps).toFixed(3).padStart(8)} ${(100 * s.ms / wall).toFixed(1).padStart(5)}%`);
  }
  const rest = rows.slice(top);
  if (rest.length) {
    console.log(`  ${`(${rest.length} more)`.padEnd(26)} ${(rest.reduce((a, [, s]) => a + s.calls, 0) / steps).toFixed(1).padStart(10)} ${(rest.reduce((a, [, s]) => a + s.ms, 0) / steps).toFixed(3).padStart(8)}`);
  }
  if (args.trace) {
    const last = sequence.slice(stepEnds.at(-2) ?? 0, stepEnds.at(-1));
    console.log(`  one step's binding calls in order (${last.length}, deletions left out):\n    ${last.join('\n    ')}`);
  }
  m.net.dispose();
}
