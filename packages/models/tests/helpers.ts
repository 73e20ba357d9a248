import type { FeatureMatrix, Posteriors, SequenceMatrix } from '@emofuse/core';
import { argmaxRows, makeRng } from '@emofuse/core';
import type { ModelConfig } from '../src/index.ts';

export const CLASSES = ['ang', 'hap', 'sad'];

/** Small but structurally complete: every layer the paper's models have, at a size tests train in seconds. */
export const SMALL: ModelConfig = {
  dense: [32, 16],
  text: { convWidths: [3, 4, 5], convFilters: 8, dim: 10, lstmUnits: 16, dropout: 0.2, lstmInput: 'words' },
  speech: { filters: 8, kernel: 5, poolSize: 2, convLayers: 2 },
  joint: { fusedDim: 40, textBranch: 'joint' },
};

export interface Synthetic {
  ids: string[];
  labels: string[];
  text: SequenceMatrix;
  textVectors: FeatureMatrix;
  speech: FeatureMatrix;
}

/**
 * Learnable data of the real shapes: the class shows as a "word" direction in some of the
 * embeddings (padded, variable lengths) and as a bump in the speech vector, both under noise.
 */
export function synthetic(n: number, seed: number, opts: { steps?: number; dim?: number; speechDim?: number; prefix?: string } = {}): Synthetic {
  const steps = opts.steps ?? 12;
  const dim = opts.dim ?? 16;
  const sd = opts.speechDim ?? 40;
  const rng = makeRng(`synthetic:${seed}`);
  const ids = Array.from({ length: n }, (_, i) => `${opts.prefix ?? 's'}${seed}_${i}`);
  const labels = ids.map(() => CLASSES[Math.floor(rng() * CLASSES.length)]);
  const values = new Float32Array(n * steps * dim);
  const lengths = new Int32Array(n);
  const tv = new Float32Array(n * dim);
  const sp = new Float32Array(n * sd);
  labels.forEach((label, i) => {
    const c = CLASSES.indexOf(label);
    lengths[i] = 3 + Math.floor(rng() * (steps - 2));
    for (let t = 0; t < lengths[i]; t++) {
      for (let d = 0; d < dim; d++) values[(i * steps + t) * dim + d] = rng() - 0.5;
      if (rng() < 0.4) values[(i * steps + t) * dim + c] += 1.5;
    }
    for (let d = 0; d < dim; d++) tv[i * dim + d] = rng() - 0.5 + (d === c ? 1 : 0);
    for (let d = 0; d < sd; d++) sp[i * sd + d] = rng();
    for (let d = 0; d < 5; d++) sp[i * sd + c * 10 + d] += 0.8;
  });
  return {
    ids, labels,
    text: { ids, steps, dim, values, lengths },
    textVectors: { ids, dim, values: tv },
    speech: { ids, dim: sd, values: sp },
  };
}

/** Share of rows whose argmax is the row's label (labels in the posteriors' row order). */
export function accuracy(p: Posteriors, labels: readonly string[]): number {
  const pred = argmaxRows(p.probs, p.classes.length);
  return labels.filter((l, i) => p.classes[pred[i]] === l).length / labels.length;
}
