import * as tf from '@tensorflow/tfjs';

type Kwargs = Record<string, unknown>;

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

tf.serialization.registerClass(EmofuseSequenceMask);
