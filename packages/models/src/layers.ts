import * as tf from '@tensorflow/tfjs';
import { makeRng } from '@emofuse/core';
import { attr, fastPath, int64Scalar, native } from './tensors.ts';

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
      y = tf.add(y, this.bias.read());
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

/** Our gate blocks i, f, o, g as BlockLSTMV2's i, f, g, o (the permutation is its own inverse). */
function gateOrder(units: number): tf.Tensor1D {
  const u = units;
  return tf.tensor1d(Int32Array.from({ length: 4 * u }, (_, j) => (j < 2 * u ? j : j < 3 * u ? j + u : j - u)), 'int32');
}

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
    const perm = gateOrder(u);
    const xt = tf.transpose(xb, [1, 0, 2]);
    const w = tf.gather(tf.concat([k, r], 0), perm, 1);
    const b = tf.gather(b0, perm);
    const z = tf.zeros([xb.shape[0], u]);
    const zu = tf.zeros([u]);
    const len = int64Scalar(steps);
    const T = attr.type('T', 'float32');
    const outs = native('BlockLSTMV2', [attr.float('cell_clip', 0), attr.bool('use_peephole', false), T],
      [len, xt, z, z, w, zu, zu, zu, b], 7);
    save([perm, xt, w, b, z, zu, ...outs]);
    return {
      value: outs[6] as tf.Tensor3D,
      gradFunc: (dh: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sp, sx, sw, sb, sz, szu, ...o] = saved;
        const grads = native('BlockLSTMGradV2', [attr.bool('use_peephole', false), T],
          [len, sx, sz, sz, sw, szu, szu, szu, sb, ...o, tf.zerosLike(o[1]), dh as tf.Tensor], 8);
        const gw = tf.gather(grads[3], sp, 1);
        return [tf.transpose(grads[0], [1, 0, 2]), tf.slice(gw, [0, 0], [d, 4 * u]), tf.slice(gw, [d, 0], [u, 4 * u]), tf.gather(grads[7], sp)];
      },
    };
  });
  return f(x, kernel, recurrent, bias) as tf.Tensor3D;
};

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

tf.serialization.registerClass(EmofuseConv1D);
tf.serialization.registerClass(EmofuseMaxPool1D);
tf.serialization.registerClass(EmofuseSequenceMask);
tf.serialization.registerClass(EmofuseLSTM);
