import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '@emofuse/core';
import { attr, fastPath, int32Handle, int64Scalar, native } from './tensors.ts';

/**
 * Custom layers. They exist so that every model can also be *trained* on the wasm backend,
 * which has no Conv2DBackpropFilter / MaxPoolGrad kernels: there, convolution runs as
 * im2col + matMul and max-pooling as reshape + max, whose gradients wasm has. On the other
 * backends the native ops run. Both paths share one weight layout ([width, in, out], as
 * tf.conv1d and Keras), so a model trained on one backend loads and predicts on any other.
 */

type Kwargs = Record<string, unknown>;

/** Backends whose native conv/pool kernels have gradients. */
function nativeConv(): boolean {
  const b = tf.getBackend();
  return b === 'tensorflow' || b === 'cpu' || b === 'webgl';
}

let forceIm2col = false;
/** Benchmarks and tests: run the im2col path on every backend (null = choose by backend). */
export function setConvImplementation(impl: 'native' | 'im2col' | null): void {
  forceIm2col = impl === 'im2col';
}

export interface Conv1DArgs {
  filters: number;
  kernelSize: number;
  padding?: 'valid' | 'same';
  activation?: 'relu' | 'linear';
  seed?: number;
  name?: string;
  trainable?: boolean;
}

export class EmofuseConv1D extends tf.layers.Layer {
  static className = 'EmofuseConv1D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly padding: 'valid' | 'same';
  readonly activation: 'relu' | 'linear';
  readonly seed?: number;
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;

  constructor(args: Conv1DArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.padding = args.padding ?? 'valid';
    this.activation = args.activation ?? 'relu';
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape;
    const channels = shape[shape.length - 1] as number;
    this.kernel = this.addWeight('kernel', [this.kernelSize, channels, this.filters], 'float32',
      tf.initializers.glorotUniform({ seed: this.seed }));
    this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, len] = inputShape as tf.Shape;
    const out = len == null ? null : this.padding === 'same' ? len : len - this.kernelSize + 1;
    return [b, out, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const w = this.kernel.read() as tf.Tensor3D;
      let y: tf.Tensor3D;
      if (nativeConv() && !forceIm2col) {
        y = tf.conv1d(x, w, 1, this.padding);
      } else {
        y = im2colConv1d(x, w, this.padding);
      }
      y = biasAdd(y, this.bias.read()) as tf.Tensor3D;
      return this.activation === 'relu' ? tf.relu(y) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters, kernelSize: this.kernelSize, padding: this.padding, activation: this.activation,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}

// A bias over the last axis as TF's BiasAdd, its gradient BiasAddGrad (fast path 'bias'), both
// lazy like any registered gradient; tfjs' add broadcasts the bias, and its gradient is a
// reshape + sum over the other axes (one op more, and 2x the time on the CNN's shapes).
const BIAS_ADD = 'EmofuseBiasAdd';
/** Float32 x + bias over the last axis, and that bias' gradient (here and in denseNative). */
const nativeBiasAdd = (x: tf.Tensor | tf.TensorInfo, bias: tf.Tensor | tf.TensorInfo): tf.Tensor =>
  native('BiasAdd', [attr.type('T', 'float32'), attr.string('data_format', 'NHWC')], [x as tf.Tensor, bias as tf.Tensor])[0];
const nativeBiasAddGrad = (dy: tf.Tensor): tf.Tensor =>
  native('BiasAddGrad', [attr.type('T', 'float32'), attr.string('data_format', 'NHWC')], [dy])[0];
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

/** x + bias over x's last axis. */
export function biasAdd(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  if (!fastPath('bias') || x.dtype !== 'float32' || x.rank < 2) return tf.add(x, bias);
  return tf.engine().runKernel(BIAS_ADD, { x, bias } as unknown as tf.NamedTensorMap) as tf.Tensor;
}

/** Conv1D as patches x kernel; 'same' pads like TensorFlow (extra zero on the right). */
export function im2colConv1d(x: tf.Tensor3D, w: tf.Tensor3D, padding: 'valid' | 'same'): tf.Tensor3D {
  const [k, c, f] = w.shape;
  if (padding === 'same' && k > 1) {
    const left = Math.floor((k - 1) / 2);
    x = tf.pad(x, [[0, 0], [left, k - 1 - left], [0, 0]]);
  }
  const [b, len] = x.shape;
  const out = len - k + 1;
  const cols = k === 1 ? x : tf.concat(Array.from({ length: k }, (_, i) => tf.slice(x, [0, i, 0], [b, out, c])), 2);
  const y = tf.matMul(tf.reshape(cols, [b * out, k * c]), tf.reshape(w, [k * c, f]));
  return tf.reshape(y, [b, out, f]);
}

export class EmofuseMaxPool1D extends tf.layers.Layer {
  static className = 'EmofuseMaxPool1D';
  readonly poolSize: number;

  constructor(args: { poolSize: number; name?: string }) {
    super({ name: args.name });
    this.poolSize = args.poolSize;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, len, c] = inputShape as tf.Shape;
    return [b, len == null ? null : Math.floor(len / this.poolSize), c];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const p = this.poolSize;
      if (p === 1) return x.clone();
      if (nativeConv() && !forceIm2col) {
        // pool size = stride, 'valid', as Keras MaxPooling1D(pool_size=p)
        return tf.squeeze(tf.maxPool(tf.expandDims(x, 2) as tf.Tensor4D, [p, 1], [p, 1], 'valid'), [2]);
      }
      const [b, len, c] = x.shape;
      const out = Math.floor(len / p);
      const trimmed = out * p === len ? x : tf.slice(x, [0, 0, 0], [b, out * p, c]);
      return tf.max(tf.reshape(trimmed, [b, out, p, c]), 2);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), poolSize: this.poolSize };
  }
}

/**
 * Inputs [x (batch, steps, d), mask (batch, steps) of 0/1]: zeroes padded steps. With
 * `emitMask` it also hands the mask on, so a following LSTM skips padded steps (carries its
 * state over them) instead of reading zeros at the end of short utterances.
 */
export class EmofuseSequenceMask extends tf.layers.Layer {
  static className = 'EmofuseSequenceMask';
  readonly emitMask: boolean;

  constructor(args: { emitMask?: boolean; name?: string }) {
    super({ name: args.name });
    this.emitMask = args.emitMask ?? false;
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const [x, mask] = inputs as tf.Tensor[];
      return tf.mul(x, tf.expandDims(mask, -1));
    });
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[], _mask?: tf.Tensor | tf.Tensor[]): tf.Tensor {
    // tfjs types say Tensor, but null ("no mask") is what its own layers return
    if (!this.emitMask) return null as unknown as tf.Tensor;
    return tf.tidy(() => tf.cast((inputs as tf.Tensor[])[1], 'bool'));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), emitMask: this.emitMask };
  }
}

export interface LSTMArgs {
  units: number;
  /** Input dropout (one mask per sequence, as Keras `LSTM(dropout=...)`). */
  dropout?: number;
  seed?: number;
  name?: string;
  trainable?: boolean;
}

/**
 * LSTM returning the last state, with Keras' defaults (glorot kernel, orthogonal recurrent
 * kernel, zero bias with the forget gate's set to 1, sigmoid gates, tanh cell). Written out
 * because tf.layers.lstm runs ~240 tfjs ops per time step of a training step (projection per
 * step, mask via where, many small gradients): here the input projection of all steps is one
 * matMul, a step is ~11 ops, and with a mask (real steps first, as lengths give) the output is
 * the state after the last real step, as a masked Keras LSTM returns. Gate order in the
 * weights: i, f, o, g (not Keras' i, f, g, o), so one split gives the three sigmoid gates.
 */
export class EmofuseLSTM extends tf.layers.Layer {
  static className = 'EmofuseLSTM';
  readonly units: number;
  readonly dropout: number;
  readonly seed?: number;
  private kernel!: tf.LayerVariable;
  private recurrentKernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;
  private readonly rng: () => number;

  constructor(args: LSTMArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.units = args.units;
    this.dropout = args.dropout ?? 0;
    this.seed = args.seed;
    this.supportsMasking = true;
    this.rng = makeRng(`${args.seed ?? 'unseeded'}:lstm-dropout`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape;
    const d = shape[shape.length - 1] as number;
    const u = this.units;
    const seed = this.seed;
    this.kernel = this.addWeight('kernel', [d, 4 * u], 'float32', tf.initializers.glorotUniform({ seed }));
    this.recurrentKernel = this.addWeight('recurrent_kernel', [u, 4 * u], 'float32',
      tf.initializers.orthogonal({ seed: seed === undefined ? undefined : seed + 1 }));
    const bias = new Float32Array(4 * u);
    bias.fill(1, u, 2 * u); // forget gate
    this.bias = this.addWeight('bias', [4 * u], 'float32', tf.initializers.zeros());
    const init = tf.tensor1d(bias);
    this.bias.write(init);
    init.dispose();
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [(inputShape as tf.Shape)[0], this.units];
  }

  override computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      let x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const [b, steps, d] = x.shape;
      const u = this.units;
      if (kwargs.training === true && this.dropout > 0) {
        x = tf.dropout(x, this.dropout, [b, 1, d], Math.floor(this.rng() * 2147483646) + 1) as tf.Tensor3D;
      }
      const mask = kwargs.mask as tf.Tensor | undefined;
      if (fastPath('lstm')) {
        // the whole sequence as TF's fused LSTM kernel (one op forward, one backward)
        const hs = blockLstm(x, this.kernel.read(), this.recurrentKernel.read(), this.bias.read());
        if (!mask || steps === 1) {
          const h = tf.reshape(tf.slice(hs, [steps - 1, 0, 0], [1, b, u]), [b, u]);
          return mask ? tf.mul(h, tf.cast(mask, 'float32')) : h;
        }
        return tf.sum(tf.mul(hs, tf.expandDims(tf.transpose(lastStepOneHot(mask)), -1)), 0);
      }
      // input projection of every step at once: (b*steps, d) x (d, 4u), then one unstack
      const proj = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [b * steps, d]), this.kernel.read()), this.bias.read()), [b, steps, 4 * u]);
      const perStep = steps === 1 ? [tf.reshape(proj, [b, 4 * u])] : tf.unstack(proj, 1);
      const w = this.recurrentKernel.read();
      let h: tf.Tensor = tf.zeros([b, u]);
      let c: tf.Tensor = tf.zeros([b, u]);
      const hs: tf.Tensor[] = [];
      for (let t = 0; t < steps; t++) {
        const z = t === 0 ? perStep[0] : tf.add(perStep[t], tf.matMul(h, w));
        const [sigPart, gPart] = tf.split(z, [3 * u, u], 1);
        const [i, f, o] = tf.split(tf.sigmoid(sigPart), 3, 1);
        c = t === 0 ? tf.mul(i, tf.tanh(gPart)) : tf.add(tf.mul(f, c), tf.mul(i, tf.tanh(gPart)));
        h = tf.mul(o, tf.tanh(c));
        if (mask) hs.push(h);
      }
      if (!mask || steps === 1) return mask ? tf.mul(h, tf.cast(mask, 'float32')) : h;
      // Masks here come from utterance lengths: real steps first, then padding. The state after
      // the last real step is the masked LSTM's output (it would carry it over the padding), so
      // pick it with a one-hot of that step (mask_t - mask_t+1) instead of blending every step.
      return tf.sum(tf.mul(tf.stack(hs, 1), tf.expandDims(lastStepOneHot(mask), -1)), 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(), units: this.units, dropout: this.dropout,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}

/** (batch, steps) one-hot of each row's last real step, from a real-steps-first 0/1 mask. */
function lastStepOneHot(mask: tf.Tensor): tf.Tensor2D {
  const m = tf.cast(mask, 'float32') as tf.Tensor2D;
  const [b, steps] = m.shape;
  return tf.sub(m, tf.concat([tf.slice(m, [0, 1], [b, steps - 1]), tf.zeros([b, 1])], 1));
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
const blockLstm = (x: tf.Tensor3D, kernel: tf.Tensor, recurrent: tf.Tensor, bias: tf.Tensor): tf.Tensor3D => {
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

/** tfjs-layers' Dense class (its constructor is not exported; a named instance gives it). */
type DenseArgs = Parameters<typeof tf.layers.dense>[0];
const DenseBase = tf.layers.dense({ units: 1, name: 'emofuse_dense_probe' }).constructor as unknown as
  { new (args: DenseArgs): tf.layers.Layer; className: string; fromConfig: typeof tf.layers.Layer.fromConfig };
/** Dense's fields this file reads (private in its typings). */
interface DenseFields { kernel: tf.LayerVariable; bias: tf.LayerVariable | null; activation: { getClassName(): string } }
const NATIVE_ACTIVATIONS = new Set(['relu', 'tanh', 'softmax', 'linear']);

/**
 * tf.layers.dense with the same weights, initialisers and config, whose training step on
 * tfjs-node (fast path `dense`) is TensorFlow's MatMul + BiasAdd + activation forward and
 * MatMul x2 + BiasAddGrad (+ ReluGrad / TanhGrad) backward: the ops Keras' graph runs. tfjs'
 * fused matMul adds 3-D reshapes of both operands and the result, forward and backward, and a
 * reshape + sum for the bias gradient (speech-cnn's three dense layers: 12 ops a step fewer).
 * The input gradient is computed even where nothing upstream trains (a small matmul).
 */
export class EmofuseDense extends DenseBase {
  static className = 'EmofuseDense';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const f = this as unknown as DenseFields;
    const act = f.activation.getClassName();
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
    if (!fastPath('dense') || !f.bias || !NATIVE_ACTIVATIONS.has(act) || x.dtype !== 'float32') return super.call(inputs, kwargs);
    if (act === 'softmax' && x.rank === 2 && kwargs.training === true && fastPath('loss')) {
      const z = denseNative(x, f.kernel.read(), f.bias!.read(), 'linear');
      const probs = tf.softmax(z);
      holdLogits(probs, z);
      return probs;
    }
    return tf.tidy(() => {
      const d = x.shape[x.rank - 1]!;
      const y = denseNative(x.rank === 2 ? x : tf.reshape(x, [-1, d]), f.kernel.read(), f.bias!.read(), act);
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), y.shape[1]!]);
    });
  }
}

// The logits behind the last training-mode softmax of an EmofuseDense, for the fused
// cross-entropy (fast path 'loss'). Kept out of tidy (the model's own tidy would dispose them
// before the loss reads them), one at a time, released by the training step that made them.
let held: { probs: tf.Tensor; z: tf.Tensor } | null = null;
function holdLogits(probs: tf.Tensor, z: tf.Tensor): void {
  releaseLogits();
  held = { probs, z: tf.keep(z) };
}
/** Disposes the held logits (train() calls it after each step). */
export function releaseLogits(): void {
  held?.z.dispose();
  held = null;
}

/**
 * Mean (weighted) categorical cross-entropy from the logits behind `probs`, as TensorFlow's one
 * SoftmaxCrossEntropyWithLogits kernel (loss and its gradient, softmax - onehot, in one pass),
 * which is also what Keras 3 computes for a softmax output (its `_keras_logits`). Null unless
 * `probs` is the last training-mode output of an EmofuseDense softmax with the fast path on:
 * the caller then takes tfjs' clipped log of the probabilities, the same value wherever
 * p >= 1e-7 (below it the clip gives a constant loss and no gradient).
 */
export function crossEntropyFromLogits(probs: tf.Tensor, yIdx: tf.Tensor1D, k: number, weights: tf.Tensor1D | null): tf.Scalar | null {
  if (held?.probs !== probs || !fastPath('loss')) return null;
  const z = held.z;
  const onehot = tf.oneHot(yIdx, k, 1, 0, 'float32');
  const rowWeights = weights ? tf.gather(weights, yIdx) : null;
  const n = z.shape[0]!;
  const T = attr.type('T', 'float32');
  const f = tf.customGrad((...args: unknown[]) => {
    const [zi, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const [perRow, backprop] = native('SoftmaxCrossEntropyWithLogits', [T], [zi, onehot], 2);
    // d(mean loss)/dz, scaled here: only what save() keeps outlives the forward pass
    save([tf.mul(backprop, rowWeights ? tf.reshape(tf.div(rowWeights, n), [n, 1]) : 1 / n)]);
    return {
      value: tf.mean(rowWeights ? tf.mul(perRow, rowWeights) : perRow) as tf.Scalar,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [tf.mul(saved[0], dy as tf.Tensor)],
    };
  });
  return f(z) as tf.Scalar;
}

const matMul = (a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor =>
  native('MatMul', [attr.bool('transpose_a', ta), attr.bool('transpose_b', tb), attr.type('T', 'float32')], [a, b])[0];

/** act(x W + b) for a 2-D x as native ops, with its gradient (see EmofuseDense). */
function denseNative(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, act: string): tf.Tensor {
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
tf.registerGradient({
  kernelName: 'Unpack',
  gradFunc: (dy: tf.Tensor | tf.Tensor[], _saved: tf.Tensor[], attrs: tf.NamedAttrMap) => ({
    value: () => tf.stack(Array.isArray(dy) ? dy : [dy], (attrs as unknown as { axis: number }).axis),
  }),
});

// ReLU's gradient (every conv and dense layer of the paper's models) as TF's one ReluGrad
// kernel, instead of tfjs' mul(dy, step(x)) (3 ops on tfjs-node, each a pass over the tensor).
// Same values: both pass dy where x > 0 and 0 elsewhere.
const plainReluGrad = tf.getGradient('Relu');
tf.registerGradient({
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    if (!fastPath('relugrad') || saved[0].dtype !== 'float32') return plainReluGrad.gradFunc(dy, saved, attrs);
    return { x: () => native('ReluGrad', [attr.type('T', 'float32')], [dy as tf.Tensor, saved[0]])[0] };
  },
});

// The input gradient of a stride-1 convolution, as a convolution of the padded output gradient
// with the flipped, transposed kernel (the same sums; a float-rounding difference), where
// TensorFlow's CPU Conv2DBackpropInput would take its slow branch: it runs one image at a time
// as a threaded contraction plus a single-threaded col2im once (out * F + K * C * F +
// out * K * C) / threads reaches 64K floats (its L2 constant), joint-cnn's second conv at
// 2 threads; below that it runs its fast sharded matmuls, which are kept.
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

tf.serialization.registerClass(EmofuseConv1D);
tf.serialization.registerClass(EmofuseMaxPool1D);
tf.serialization.registerClass(EmofuseSequenceMask);
tf.serialization.registerClass(EmofuseLSTM);
tf.serialization.registerClass(EmofuseDense);
