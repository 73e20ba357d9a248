import * as tf from '@tensorflow/tfjs';
import { useNativeConv } from './conv-path.ts';

type Kwargs = Record<string, unknown>;

/** Max-pooling over time, pool size = stride, 'valid' (Keras MaxPooling1D(pool_size=p)). */
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
      if (useNativeConv()) {
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

tf.serialization.registerClass(EmofuseMaxPool1D);
