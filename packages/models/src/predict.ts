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
  // Word inputs: batch utterances of similar length, so each batch is cut to a short longest
  // utterance (exact, see batchTensors) instead of nearly every batch running all steps.
  const lengths = host.lengths;
  const order = Array.from({ length: n }, (_, i) => i);
  if (lengths) order.sort((a, b) => lengths[a] - lengths[b] || a - b);
  for (let start = 0; start < n; start += bs) {
    const rows = order.slice(start, start + bs);
    const out = tf.tidy(() => model.net.apply(batchTensors(host, rows), { training: false }) as tf.Tensor);
    const p = out.dataSync() as Float32Array;
    rows.forEach((r, i) => probs.set(p.subarray(i * k, (i + 1) * k), r * k));
    out.dispose();
  }
  return checkPosteriors({ ids: [...host.ids], classes: [...model.classes], probs }, model.type);
}

// The posteriors file format is core's, so every package reads and writes the same files.
export { savePosteriors, loadPosteriors } from '@emofuse/core';
