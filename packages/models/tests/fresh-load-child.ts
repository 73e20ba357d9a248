// Run by fresh-load.test.ts in a new Node process that never built a model: loads each saved
// model and prints its posteriors as JSON. Any custom layer not registered at import fails here.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { loadModel, predictModel, selectBackend, type ModelInputs } from '../src/index.ts';
import type { FreshLoadJob } from './fresh-load.test.ts';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as FreshLoadJob;
await selectBackend(job.backend);
const out: Record<string, number[] | string> = {};
for (const m of job.models) {
  try {
    const model = await loadModel(m.dir);
    if (m.utterances) {
      // bc-lstm: its utterance vectors are given, as the net reads them
      const p = model.net.predict(tf.tensor3d(m.utterances.values, m.utterances.shape as [number, number, number])) as tf.Tensor;
      out[m.type] = Array.from(p.dataSync());
    } else {
      out[m.type] = Array.from(predictModel(model, revive(m.inputs!)).probs);
    }
  } catch (e) {
    out[m.type] = `error: ${(e as Error).message}`;
  }
}
console.log(JSON.stringify(out));

/** Typed arrays back from JSON (values Float32Array, lengths Int32Array). */
function revive(inputs: Record<string, Record<string, unknown>>): ModelInputs {
  const arrays = (m: Record<string, unknown>) => ({ ...m, values: Float32Array.from(m.values as number[]), ...(m.lengths ? { lengths: Int32Array.from(m.lengths as number[]) } : {}) });
  return Object.fromEntries(Object.entries(inputs).map(([k, m]) => [k, arrays(m)])) as ModelInputs;
}
