/**
 * The fused cross-entropy (fast path 'loss'): the loss of a softmax output computed from the
 * logits behind it, as TensorFlow's one SoftmaxCrossEntropyWithLogits kernel. The dense layer that
 * made the softmax hands its logits to a `FusedLoss`; the training step asks it for the loss of
 * those probabilities, then releases them.
 */
import * as tf from '@tensorflow/tfjs';
import { attr, fastPath, native } from './tensors.ts';

export interface FusedLoss {
  /** Keeps `z`, the logits behind the training-mode softmax `probs` (one pair at a time). */
  hold(probs: tf.Tensor, z: tf.Tensor): void;
  /**
   * Mean (weighted) categorical cross-entropy from the logits behind `probs`, or null unless
   * `probs` is the pair held last and the fast path is on.
   */
  crossEntropy(probs: tf.Tensor, yIdx: tf.Tensor1D, k: number, weights: tf.Tensor1D | null): tf.Scalar | null;
  /** Disposes the held logits (the training step calls it after each step). */
  release(): void;
}

/**
 * A holder of the logits behind the last training-mode softmax. They are kept out of tidy (the
 * model's own tidy would dispose them before the loss reads them), one pair at a time, until the
 * training step that made them releases them.
 */
export function createFusedLoss(): FusedLoss {
  let held: { probs: tf.Tensor; z: tf.Tensor } | null = null;
  const release = () => {
    held?.z.dispose();
    held = null;
  };
  return {
    hold(probs, z) {
      release();
      held = { probs, z: tf.keep(z) };
    },
    crossEntropy(probs, yIdx, k, weights) {
      if (held?.probs !== probs || !fastPath('loss')) return null;
      return softmaxCrossEntropy(held.z, yIdx, k, weights);
    },
    release,
  };
}

/**
 * Mean (weighted) categorical cross-entropy of logits `z`, as TensorFlow's one
 * SoftmaxCrossEntropyWithLogits kernel (loss and its gradient, softmax - onehot, in one pass),
 * which is also what Keras 3 computes for a softmax output (its `_keras_logits`). The caller
 * without logits takes tfjs' clipped log of the probabilities, the same value wherever
 * p >= 1e-7 (below it the clip gives a constant loss and no gradient).
 */
export function softmaxCrossEntropy(z: tf.Tensor, yIdx: tf.Tensor1D, k: number, weights: tf.Tensor1D | null): tf.Scalar {
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

/**
 * The holder EmofuseDense layers hand their logits to: the training loop runs one step at a time
 * in a process, and a layer rebuilt from a saved model.json has no other way to reach the loss.
 */
export const fusedLoss: FusedLoss = createFusedLoss();

/** The shared holder's loss (see FusedLoss.crossEntropy): what the training step calls. */
export const crossEntropyFromLogits: FusedLoss['crossEntropy'] = (probs, yIdx, k, weights) => fusedLoss.crossEntropy(probs, yIdx, k, weights);
/** Disposes the shared holder's logits (train() calls it after each step). */
export const releaseLogits = (): void => fusedLoss.release();
