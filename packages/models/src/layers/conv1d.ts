import * as tf from '@tensorflow/tfjs';
import { biasAdd } from '../native.ts';
import { useNativeConv } from './conv-path.ts';

/**
 * Custom layers exist so that every model can also be *trained* on the wasm backend (see
 * conv-path.ts). Both paths share one weight layout ([width, in, out], as tf.conv1d and Keras),
 * so a model trained on one backend loads and predicts on any other.
 */

type Kwargs = Record<string, unknown>;

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
      if (useNativeConv()) {
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

tf.serialization.registerClass(EmofuseConv1D);
