import * as tf from '@tensorflow/tfjs';
import { makeRng } from '@emofuse/core';
import { blockLstm } from '../native.ts';
import { fastPath } from '../tensors.ts';

type Kwargs = Record<string, unknown>;

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

tf.serialization.registerClass(EmofuseLSTM);
