import { describe, expect, it } from 'vitest';
import { softmaxL2, softmaxL2Sparse } from '../../src/features/solver.ts';

function data(n: number, d: number, seed: number) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    // Mostly zeros, as TF-IDF rows are; the class shifts two columns.
    for (let j = 0; j < d; j++) x[i * d + j] = rand() < 0.2 ? rand() + (j % 3 === y[i] ? 1 : 0) : 0;
  }
  return { x, y };
}

describe('softmaxL2Sparse', () => {
  it('reaches the dense solver\'s optimum on the same rows given as CSR', () => {
    const n = 120, d = 30, K = 3, l2 = 0.01;
    const { x, y } = data(n, d, 7);
    const indptr = new Int32Array(n + 1);
    const indices: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) if (x[i * d + j] !== 0) { indices.push(j); values.push(x[i * d + j]); }
      indptr[i + 1] = indices.length;
    }
    expect(indices.length).toBeLessThan(0.5 * n * d);
    const dense = softmaxL2(x, n, d, y, K, l2, 500, 1e-9);
    const sparse = softmaxL2Sparse({ indptr, indices: Int32Array.from(indices), data: Float32Array.from(values) }, n, d, y, K, l2, 500, 1e-9);
    expect(sparse.loss).toBeCloseTo(dense.loss, 8);
    dense.w.forEach((w, i) => expect(sparse.w[i]).toBeCloseTo(w, 4));
    dense.b.forEach((b, i) => expect(sparse.b[i]).toBeCloseTo(b, 4));
  });
});
