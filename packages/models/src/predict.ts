import * as tf from '@tensorflow/tfjs';
import { checkPosteriors, type Posteriors } from '@emofuse/core';
import type { EmofuseModel, ModelInputs } from './model.ts';
import { batchTensors, hostInputs } from './tensors.ts';

/** Class posteriors for every input row, keyed by utterance id, in the model's class order. */
export function predict(model: EmofuseModel, inputs: ModelInputs, opts: { batchSize?: number } = {}): Posteriors {
  const host = hostInputs(model, inputs, `${model.type}: predict`);
  const n = host.ids.length;
  const k = model.classes.length;
  const bs = opts.batchSize ?? 256;
  const probs = new Float32Array(n * k);
  for (let start = 0; start < n; start += bs) {
    const rows = Array.from({ length: Math.min(bs, n - start) }, (_, i) => start + i);
    const out = tf.tidy(() => model.net.apply(batchTensors(host, rows), { training: false }) as tf.Tensor);
    probs.set(out.dataSync() as Float32Array, start * k);
    out.dispose();
  }
  return checkPosteriors({ ids: [...host.ids], classes: [...model.classes], probs }, model.type);
}

// The posteriors file format is core's, so every package reads and writes the same files.
export { savePosteriors, loadPosteriors } from '@emofuse/core';
