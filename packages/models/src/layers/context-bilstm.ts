/**
 * The context BiLSTM of bc-lstm (Poria et al. 2017): a bidirectional LSTM over the utterance
 * vectors of whole dialogues. Registered with tfjs when this file is imported, so a saved bc-lstm
 * loads in a process that never built one (it used to register inside the model's factory).
 */
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '@emofuse/core';

export interface ContextBiLSTMArgs {
  units: number;
  /** Input dropout (training only), on every feature but the trailing real-utterance mark. */
  dropout: number;
  seed: number;
  name?: string;
}

/**
 * A bidirectional LSTM over (batch, utterances, dim) returning every step, (batch, utterances,
 * 2 x units): forward states then backward states. The real utterances are those whose trailing
 * feature is 1; padding is at the end, so the forward pass needs no mask (padded outputs are
 * never scored) and the backward pass keeps its state at zero until the last real utterance.
 * Written out as EmofuseLSTM is (one input projection per direction, ~12 ops a step), because
 * tf.layers.bidirectional(lstm) runs hundreds of ops per step and took 8 min an epoch on IEMOCAP.
 * Gate order i, f, o, g; Keras' initialisers (glorot, orthogonal, forget bias 1).
 */
export class EmofuseContextBiLSTM extends tf.layers.Layer {
  static className = 'EmofuseContextBiLSTM';
  readonly units: number;
  readonly dropout: number;
  readonly seed: number;
  private w: tf.LayerVariable[] = [];
  private readonly rng: () => number;

  constructor(a: ContextBiLSTMArgs) {
    super({ name: a.name });
    this.units = a.units;
    this.dropout = a.dropout;
    this.seed = a.seed;
    this.rng = makeRng(`${a.seed}:context-lstm-dropout`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = (inputShape as tf.Shape)[2] as number;
    const u = this.units;
    const bias = new Float32Array(4 * u);
    bias.fill(1, u, 2 * u); // forget gate
    this.w = [];
    for (const [i, dir] of ['forward', 'backward'].entries()) {
      this.w.push(this.addWeight(`${dir}_kernel`, [d, 4 * u], 'float32', tf.initializers.glorotUniform({ seed: this.seed + 3 * i })));
      this.w.push(this.addWeight(`${dir}_recurrent_kernel`, [u, 4 * u], 'float32', tf.initializers.orthogonal({ seed: this.seed + 3 * i + 1 })));
      const b = this.addWeight(`${dir}_bias`, [4 * u], 'float32', tf.initializers.zeros());
      const init = tf.tensor1d(bias);
      b.write(init);
      init.dispose();
      this.w.push(b);
    }
    this.built = true;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = s as tf.Shape;
    return [shape[0], shape[1], 2 * this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      let x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const [b, steps, d] = x.shape;
      const u = this.units;
      const mask = tf.slice(x, [0, 0, d - 1], [b, steps, 1]); // (b, steps, 1)
      if (kwargs.training === true && this.dropout > 0) x = tf.dropout(x, this.dropout, undefined, Math.floor(this.rng() * 2147483646) + 1) as tf.Tensor3D;
      const flat = tf.reshape(x, [b * steps, d]);
      const run = (k: number, backward: boolean): tf.Tensor2D[] => {
        const [kernel, rec, bias] = this.w.slice(3 * k, 3 * k + 3).map((v) => v.read());
        const proj = tf.reshape(tf.add(tf.matMul(flat, kernel as tf.Tensor2D), bias), [b, steps, 4 * u]);
        const xs = tf.unstack(proj, 1) as tf.Tensor2D[];
        const ms = backward ? (tf.unstack(mask, 1) as tf.Tensor2D[]) : [];
        let h = tf.zeros([b, u]) as tf.Tensor2D;
        let c = tf.zeros([b, u]) as tf.Tensor2D;
        const out: tf.Tensor2D[] = new Array(steps);
        for (let s = 0; s < steps; s++) {
          const t = backward ? steps - 1 - s : s;
          const z = tf.add(xs[t], tf.matMul(h, rec as tf.Tensor2D));
          const [ifo, g] = tf.split(z, [3 * u, u], 1);
          const [i, f, o] = tf.split(tf.sigmoid(ifo), 3, 1);
          c = tf.add(tf.mul(f, c), tf.mul(i, tf.tanh(g))) as tf.Tensor2D;
          h = tf.mul(o, tf.tanh(c)) as tf.Tensor2D;
          if (backward) {
            // trailing padding comes first backwards: keep the state at zero through it
            c = tf.mul(c, ms[t]) as tf.Tensor2D;
            h = tf.mul(h, ms[t]) as tf.Tensor2D;
          }
          out[t] = h;
        }
        return out;
      };
      const fw = tf.stack(run(0, false), 1);
      const bw = tf.stack(run(1, true), 1);
      return tf.concat([fw, bw], 2);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, dropout: this.dropout, seed: this.seed };
  }
}

// At import, not in a factory: loading a saved bc-lstm deserialises this class by name.
tf.serialization.registerClass(EmofuseContextBiLSTM);
