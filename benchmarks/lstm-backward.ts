/**
 * The LSTM's backward pass two ways on tfjs-node, on the text LSTM's shapes (batch 32, d 100,
 * 128 units): TensorFlow's BlockLSTMGradV2 (one op) against `lstmBackward` (what the `lstm` fast
 * path runs: LSTMBlockCellGrad and one recurrent matmul a step, then the weight and input
 * gradients of all steps as three matmuls). Prints median wall and CPU ms per backward pass for
 * each sequence length and the largest relative difference between the two gradients.
 *
 *   node --import tsx benchmarks/lstm-backward.ts [--steps 10,25,40,50] [--repeats 30]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@emofuse/models';
import { lstmBackward } from '../packages/models/src/native.ts';
import { attr, int64Scalar, native } from '../packages/models/src/tensors.ts';

const { values: args } = parseArgs({ options: { steps: { type: 'string', default: '10,25,40,50' }, repeats: { type: 'string', default: '30' } } });
const B = 32;
const D = 100;
const U = 128;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median wall and CPU ms of f (its outputs disposed), after 5 warm-up calls. */
function time(f: () => tf.Tensor[]): { wall: number; cpu: number } {
  for (let i = 0; i < 5; i++) tf.tidy(() => { f(); });
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < Number(args.repeats); i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    tf.tidy(() => { f(); });
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const choice = await selectBackend('auto');
if (choice.name !== 'tensorflow') {
  console.error(`needs tfjs-node (got ${choice.name}): BlockLSTMGradV2 is a TensorFlow kernel`);
  process.exit(2);
}
console.log(`LSTM backward, batch ${B}, input ${D}, units ${U}; median of ${args.repeats} passes`);
console.log('steps | BlockLSTMGradV2 wall (cpu) ms | lstmBackward wall (cpu) ms | ratio wall (cpu) | max rel. diff');
const T = attr.type('T', 'float32');
for (const steps of args.steps!.split(',').map(Number)) {
  const x = tf.randomNormal([steps, B, D], 0, 1, 'float32', 1);
  const w = tf.randomNormal([D + U, 4 * U], 0, 0.1, 'float32', 2);
  const b = tf.randomNormal([4 * U], 0, 0.1, 'float32', 3);
  const z = tf.zeros([B, U]);
  const zu = tf.zeros([U]);
  const len = int64Scalar(steps);
  const outs = native('BlockLSTMV2', [attr.float('cell_clip', 0), attr.bool('use_peephole', false), T], [len, x, z, z, w, zu, zu, zu, b], 7);
  const dh = tf.randomNormal([steps, B, U], 0, 1, 'float32', 4);
  const zcs = tf.zerosLike(outs[1]);
  const block = () => native('BlockLSTMGradV2', [attr.bool('use_peephole', false), T], [len, x, z, z, w, zu, zu, zu, b, ...outs, zcs, dh], 8);
  // lstmBackward returns the weight gradients in EmofuseLSTM's gate order; compare in BlockLSTM's
  const ours = () => {
    const g = lstmBackward(x, w, b, z, zu, outs, dh);
    return [g.dx, g.dKernel, g.dRecurrent, g.dBias];
  };
  const diff = tf.tidy(() => {
    const r = block();
    const o = ours();
    const perm = tf.tensor1d(Int32Array.from({ length: 4 * U }, (_, j) => (j < 2 * U ? j : j < 3 * U ? j + U : j - U)), 'int32');
    const rw = tf.gather(r[3], perm, 1);
    const pairs: [tf.Tensor, tf.Tensor][] = [[r[0], o[0]], [tf.slice(rw, [0, 0], [D, 4 * U]), o[1]], [tf.slice(rw, [D, 0], [U, 4 * U]), o[2]], [tf.gather(r[7], perm), o[3]]];
    return Math.max(...pairs.map(([a, c]) => tf.max(tf.abs(tf.sub(a, c))).dataSync()[0] / tf.max(tf.abs(a)).dataSync()[0]));
  });
  const a = time(block);
  const c = time(ours);
  console.log(`${String(steps).padStart(5)} | ${a.wall.toFixed(2)} (${a.cpu.toFixed(2)}) | ${c.wall.toFixed(2)} (${c.cpu.toFixed(2)}) | ${(c.wall / a.wall).toFixed(2)}x (${(c.cpu / a.cpu).toFixed(2)}x) | ${diff.toExponential(1)}`);
  tf.dispose([x, w, b, z, zu, ...outs, dh, zcs]);
}
