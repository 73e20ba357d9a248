import * as tf from '@tensorflow/tfjs';
import { fusedLoss } from '../fused-loss.ts';
import { denseNative } from '../native.ts';
import { fastPath } from '../tensors.ts';

type Kwargs = Record<string, unknown>;

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
      fusedLoss.hold(probs, z);
      return probs;
    }
    return tf.tidy(() => {
      const d = x.shape[x.rank - 1]!;
      const y = denseNative(x.rank === 2 ? x : tf.reshape(x, [-1, d]), f.kernel.read(), f.bias!.read(), act);
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), y.shape[1]!]);
    });
  }
}

tf.serialization.registerClass(EmofuseDense);
