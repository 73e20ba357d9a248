/**
 * TensorFlow's own kernels (tfjs-node) behind the fast paths, with their gradients: BiasAdd,
 * the dense layer's MatMul + BiasAdd + activation, the LSTM as BlockLSTMV2 and its backward
 * pass; and the global gradient patches (Unpack, Relu, Conv2D). Importing this file registers
 * nothing: `installGradientPatches` (called by selectBackend) installs the kernel and the
 * patches, once a process.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { attr, fastPath, int32Handle, int64Scalar, native } from './tensors.ts';

// A bias over the last axis as TF's BiasAdd, its gradient BiasAddGrad (fast path 'bias'), both
// lazy like any registered gradient; tfjs' add broadcasts the bias, and its gradient is a
// reshape + sum over the other axes (one op more, and 2x the time on the CNN's shapes).
const BIAS_ADD = 'EmofuseBiasAdd';
/** Float32 x + bias over the last axis, and that bias' gradient (here and in denseNative). */
const nativeBiasAdd = (x: tf.Tensor | tf.TensorInfo, bias: tf.Tensor | tf.TensorInfo): tf.Tensor =>
  native('BiasAdd', [attr.type('T', 'float32'), attr.string('data_format', 'NHWC')], [x as tf.Tensor, bias as tf.Tensor])[0];
const nativeBiasAddGrad = (dy: tf.Tensor): tf.Tensor =>
  native('BiasAddGrad', [attr.type('T', 'float32'), attr.string('data_format', 'NHWC')], [dy])[0];

function installBiasAdd(): void {
  tf.registerKernel({
    kernelName: BIAS_ADD,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs }) => nativeBiasAdd(inputs.x!, inputs.bias!),
  });
  tf.registerGradient({
    kernelName: BIAS_ADD,
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => ({
      x: () => dy as tf.Tensor,
      bias: () => nativeBiasAddGrad(dy as tf.Tensor),
    }),
  });
}

/** x + bias over x's last axis (tf.add until installGradientPatches has run). */
export function biasAdd(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  if (!fastPath('bias') || !gradientPatchesInstalled() || x.dtype !== 'float32' || x.rank < 2) return tf.add(x, bias);
  return tf.engine().runKernel(BIAS_ADD, { x, bias } as unknown as tf.NamedTensorMap) as tf.Tensor;
}

// Gate orders. Each kernel wants the four gate blocks (u columns each) in its own order, so
// weights and gradients are permuted as whole blocks: a gather of 4 slices of u contiguous
// floats over a [..., 4, u] view (one per row), where a gather of 4u single columns took
// ~0.7 ms a text-lstm weight (6 a step).
function permuteGates(t: tf.Tensor, order: readonly [number, number, number, number]): tf.Tensor {
  const lead = t.shape.slice(0, -1);
  const u = t.shape[t.rank - 1] / 4;
  const blocks = native('GatherV2', [attr.type('Tparams', 'float32'), attr.type('Tindices', 'int32'), attr.type('Taxis', 'int32'), attr.int('batch_dims', 0)],
    [tf.reshape(t, [...lead, 4, u]), int32Handle(order), int32Handle([lead.length], true)])[0];
  return tf.reshape(blocks, t.shape);
}

/** Our gate blocks i, f, o, g as BlockLSTMV2's i, f, g, o (the permutation is its own inverse). */
const gateOrder = (t: tf.Tensor) => permuteGates(t, [0, 1, 3, 2]);

/**
 * From this many steps the backward pass is `lstmBackward`, below it one BlockLSTMGradV2 (whose
 * fixed costs are lower). benchmarks/lstm-backward.ts, batch 32, 2 cores: wall 1.33x / 1.01x /
 * 0.84x of BlockLSTMGradV2's at 10 / 25 / 50 steps, CPU 1.09x / 0.80x / 0.74x.
 */
const PER_STEP_BACKWARD_FROM = 24;

/**
 * TensorFlow's BlockLSTMV2 / BlockLSTMGradV2 kernels over a (batch, steps, d) input: every
 * step's hidden state, time-major (steps, batch, units). Same function as EmofuseLSTM's plain
 * loop (sigmoid gates, tanh cell, no peepholes, no clipping, zero initial state).
 */
export const blockLstm = (x: tf.Tensor3D, kernel: tf.Tensor, recurrent: tf.Tensor, bias: tf.Tensor): tf.Tensor3D => {
  const [, steps, d] = x.shape;
  const u = recurrent.shape[0];
  const f = tf.customGrad((...args: unknown[]) => {
    const [xb, k, r, b0, save] = args as [tf.Tensor3D, tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const xt = tf.transpose(xb, [1, 0, 2]);
    const w = gateOrder(tf.concat([k, r], 0));
    const b = gateOrder(b0);
    const z = tf.zeros([xb.shape[0], u]);
    const zu = tf.zeros([u]);
    const len = int64Scalar(steps);
    const T = attr.type('T', 'float32');
    const outs = native('BlockLSTMV2', [attr.float('cell_clip', 0), attr.bool('use_peephole', false), T],
      [len, xt, z, z, w, zu, zu, zu, b], 7);
    save([xt, w, b, z, zu, ...outs]);
    return {
      value: outs[6] as tf.Tensor3D,
      gradFunc: (dh: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sw, sb, sz, szu, ...o] = saved;
        if (steps >= PER_STEP_BACKWARD_FROM) {
          const g = lstmBackward(sx, sw, sb, sz, szu, o, dh as tf.Tensor);
          return [tf.transpose(g.dx, [1, 0, 2]), g.dKernel, g.dRecurrent, g.dBias];
        }
        const grads = native('BlockLSTMGradV2', [attr.bool('use_peephole', false), T],
          [len, sx, sz, sz, sw, szu, szu, szu, sb, ...o, tf.zerosLike(o[1]), dh as tf.Tensor], 8);
        const gw = gateOrder(grads[3]);
        return [tf.transpose(grads[0], [1, 0, 2]), tf.slice(gw, [0, 0], [d, 4 * u]), tf.slice(gw, [d, 0], [u, 4 * u]), gateOrder(grads[7])];
      },
    };
  });
  return f(x, kernel, recurrent, bias) as tf.Tensor3D;
};

const matMul = (a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor =>
  native('MatMul', [attr.bool('transpose_a', ta), attr.bool('transpose_b', tb), attr.type('T', 'float32')], [a, b])[0];

/** act(x W + b) for a 2-D x as native ops, with its gradient (see EmofuseDense). */
export function denseNative(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, act: string): tf.Tensor {
  const T = attr.type('T', 'float32');
  const f = tf.customGrad((...args: unknown[]) => {
    const [xi, wi, bi, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const z = nativeBiasAdd(matMul(xi, wi, false, false), bi);
    const y = act === 'linear' ? z : native(act === 'relu' ? 'Relu' : act === 'tanh' ? 'Tanh' : 'Softmax', [T], [z])[0];
    save([xi, wi, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sw, sy] = saved;
        const g = dy as tf.Tensor;
        let dz = g;
        if (act === 'relu') dz = native('ReluGrad', [T], [g, sy])[0]; // y > 0 exactly where z > 0
        else if (act === 'tanh') dz = native('TanhGrad', [T], [sy, g])[0];
        else if (act === 'softmax') {
          // as tfjs' Softmax gradient: dy*y - sum(dy*y) * y
          const gy = tf.mul(g, sy);
          dz = tf.sub(gy, tf.mul(tf.sum(gy, -1, true), sy));
        }
        // dz W^T against a large W runs ~2x slower than (W dz^T)^T on TF's CPU MatMul (measured
        // 2816 x 512: 4.1 vs 2.5 ms; below ~512K weights the transpose costs more than it saves)
        const dx = sw.size >= 1 << 19 ? tf.transpose(matMul(sw, dz, false, true)) : matMul(dz, sw, false, true);
        return [dx, matMul(sx, dz, true, false), nativeBiasAddGrad(dz)];
      },
    };
  });
  return f(x, w, b) as tf.Tensor;
}

/** BlockLSTMV2's gate blocks i, f, g, o as LSTMBlockCellGrad's i, g, f, o (and back: its own inverse). */
const ifcoToIcfo = (t: tf.Tensor) => permuteGates(t, [0, 2, 1, 3]);
/** LSTMBlockCellGrad's gate blocks i, g, f, o as ours, i, f, o, g. */
const icfoToOurs = (t: tf.Tensor) => permuteGates(t, [0, 2, 3, 1]);

/**
 * The LSTM's backward pass over the forward outputs of BlockLSTMV2 (time-major), the same
 * gradients as BlockLSTMGradV2 but shaped for the CPU: per step only the element-wise gate
 * gradients (LSTMBlockCellGrad) and the recurrent product dgates W_h^T, then the weight and
 * input gradients of all steps as three large matmuls. BlockLSTMGradV2 does two small products a
 * step against the whole (d + u) x 4u weight, one of them accumulating the weight gradient; at
 * 40 steps (batch 32, 2 cores) it took 1.12x the wall and 1.37x the CPU of this
 * (benchmarks/lstm-backward.ts measures both).
 */
export function lstmBackward(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, zero: tf.Tensor, zu: tf.Tensor, outs: tf.Tensor[], dh: tf.Tensor) {
  const [steps, batch, d] = x.shape as [number, number, number];
  const u = zero.shape[1]!;
  const T = attr.type('T', 'float32');
  const unstack = (t: tf.Tensor) => native('Unpack', [attr.int('num', steps), attr.int('axis', 0), T], [t], steps);
  const [i, cs, f, o, ci, co] = outs.slice(0, 6).map(unstack);
  const h = outs[6];
  const dH = unstack(dh);
  const wIcfo = ifcoToIcfo(w);
  const whT = tf.transpose(tf.slice(wIcfo, [d, 0], [u, 4 * u]));
  const x0 = tf.zeros([batch, d]);
  const dGates: tf.Tensor[] = new Array(steps);
  let dcs = zero;
  let dhNext: tf.Tensor | undefined;
  for (let t = steps - 1; t >= 0; t--) {
    const hGrad = dhNext ? native('AddV2', [T], [dH[t], dhNext])[0] : dH[t];
    // x, h_prev, w and b only give the op its shapes; cs_prev enters the forget gate's gradient
    const [dcsPrev, dg] = native('LSTMBlockCellGrad', [attr.bool('use_peephole', false), T],
      [x0, t ? cs[t - 1] : zero, zero, wIcfo, zu, zu, zu, b, i[t], cs[t], f[t], o[t], ci[t], co[t], dcs, hGrad], 5);
    dcs = dcsPrev;
    dGates[t] = dg;
    if (t) dhNext = matMul(dg, whT, false, false);
  }
  const dG = tf.reshape(native('Pack', [attr.int('N', steps), attr.int('axis', 0), T], dGates)[0], [steps * batch, 4 * u]);
  const hPrev = steps === 1 ? zero : tf.concat([zero, tf.reshape(tf.slice(h, [0, 0, 0], [steps - 1, batch, u]), [(steps - 1) * batch, u])], 0);
  return {
    dx: tf.reshape(matMul(dG, tf.slice(wIcfo, [0, 0], [d, 4 * u]), false, true), [steps, batch, d]),
    dKernel: icfoToOurs(matMul(tf.reshape(x, [steps * batch, d]), dG, true, false)),
    dRecurrent: icfoToOurs(matMul(hPrev, dG, true, false)),
    dBias: icfoToOurs(tf.sum(dG, 0)),
  };
}

// tfjs 4.22 bug: with a single output, Unpack's gradient receives one tensor instead of a list
// and stack() throws. An LSTM over a length-1 sequence (lstmInput 'utterance') hits it.
function patchUnpackGradient(): void {
  tf.registerGradient({
    kernelName: 'Unpack',
    gradFunc: (dy: tf.Tensor | tf.Tensor[], _saved: tf.Tensor[], attrs: tf.NamedAttrMap) => ({
      value: () => tf.stack(Array.isArray(dy) ? dy : [dy], (attrs as unknown as { axis: number }).axis),
    }),
  });
}

// ReLU's gradient (every conv and dense layer of the paper's models) as TF's one ReluGrad
// kernel, instead of tfjs' mul(dy, step(x)) (3 ops on tfjs-node, each a pass over the tensor).
// Same values: both pass dy where x > 0 and 0 elsewhere.
function patchReluGradient(): void {
  const plainReluGrad = tf.getGradient('Relu');
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      if (!fastPath('relugrad') || saved[0].dtype !== 'float32') return plainReluGrad.gradFunc(dy, saved, attrs);
      return { x: () => native('ReluGrad', [attr.type('T', 'float32')], [dy as tf.Tensor, saved[0]])[0] };
    },
  });
}

// The input gradient of a stride-1 convolution, as a convolution of the padded output gradient
// with the flipped, transposed kernel (the same sums; a float-rounding difference), where
// TensorFlow's CPU Conv2DBackpropInput would take its slow branch: it runs one image at a time
// as a threaded contraction plus a single-threaded col2im once (out * F + K * C * F +
// out * K * C) / threads reaches 64K floats (its L2 constant), joint-cnn's second conv at
// 2 threads; below that it runs its fast sharded matmuls, which are kept.
function patchConv2DGradient(): void {
  const plainConv2DGrad = tf.getGradient('Conv2D');
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const plain = plainConv2DGrad.gradFunc(dy, saved, attrs);
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const g = dy as tf.Tensor4D;
      if (!fastPath('convgrad') || !slowInputGrad(x, filter, g, attrs as unknown as ConvAttrs)) return plain;
      return { ...plain, x: () => inputGradAsConv(g, filter, (attrs as unknown as ConvAttrs).pad as 'valid' | 'same') };
    },
  });
}

interface ConvAttrs { strides: number | number[]; dilations: number | number[]; pad: unknown; dataFormat: string }
const ones = (v: number | number[]) => (Array.isArray(v) ? v.every((n) => n === 1) : v === 1);

/** TensorFlow's intra-op threads: TF_NUM_INTRAOP_THREADS, else the CPUs this process may use. */
function intraOpThreads(): number {
  const env = Number(process.env.TF_NUM_INTRAOP_THREADS);
  return Number.isInteger(env) && env > 0 ? env : os.availableParallelism();
}

/** Whether Conv2DBackpropInput takes its per-image branch for these shapes (see above). */
export function slowInputGrad(x: tf.Tensor4D, filter: tf.Tensor4D, dy: tf.Tensor4D, a: ConvAttrs): boolean {
  if (!ones(a.strides) || !ones(a.dilations) || a.dataFormat !== 'NHWC' || (a.pad !== 'valid' && a.pad !== 'same') || x.dtype !== 'float32') return false;
  const [kh, kw, c, f] = filter.shape;
  const out = dy.shape[1] * dy.shape[2];
  const work = out * f + kh * kw * c * f + out * kh * kw * c;
  return x.shape[0] > 1 && work / intraOpThreads() >= (256 << 10) / 4;
}

/** dx of a stride-1 conv: dy padded by (k - 1 - pad) on each side, convolved with the kernel flipped in space, in/out swapped. */
export function inputGradAsConv(dy: tf.Tensor4D, filter: tf.Tensor4D, pad: 'valid' | 'same'): tf.Tensor4D {
  const [kh, kw] = filter.shape;
  const before = (k: number) => (pad === 'same' ? Math.floor((k - 1) / 2) : 0);
  const after = (k: number) => (pad === 'same' ? k - 1 - before(k) : 0);
  const padded = tf.pad(dy, [[0, 0], [kh - 1 - before(kh), kh - 1 - after(kh)], [kw - 1 - before(kw), kw - 1 - after(kw)], [0, 0]]);
  return tf.conv2d(padded, tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D, 1, 'valid');
}

// Once a process, even when this module is loaded twice (two copies of the package): tfjs' kernel
// and gradient registries are global, and a second Relu patch would wrap the first.
const INSTALLED = Symbol.for('emofuse.models.gradientPatches');
const flags = globalThis as Record<symbol, boolean | undefined>;

/** Whether installGradientPatches has run in this process. */
export function gradientPatchesInstalled(): boolean {
  return flags[INSTALLED] === true;
}

/**
 * Registers the EmofuseBiasAdd kernel (tfjs-node) and its gradient, and replaces tfjs' gradients of
 * Unpack (a tfjs 4.22 bug), Relu and Conv2D (native ReluGrad and a faster conv input gradient,
 * each behind its fast path). Idempotent; selectBackend calls it, whichever backend it picks.
 */
export function installGradientPatches(): void {
  if (gradientPatchesInstalled()) return;
  installBiasAdd();
  patchUnpackGradient();
  patchReluGradient();
  patchConv2DGradient();
  flags[INSTALLED] = true;
}
