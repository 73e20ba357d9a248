import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { makeRng } from '@emofuse/core';
import type { FeatureMatrix } from '@emofuse/core';
import { L2Selector, MedianImputer, MinMaxScaler, Pipeline, ZScoreScaler, fitSpeechTransform, transformFromJSON } from '../../src/features/index.ts';
import { softmaxL2 } from '../../src/features/solver.ts';
import { catchEmofuse, matrix, python, row } from './helpers.ts';

/** n rows of d noise features; class c shifts features 3 and 7 (and nothing else) by 1.5 * c. */
function synthetic(n: number, d: number, seed: number, prefix = 'r'): { m: FeatureMatrix; labels: string[] } {
  const rng = makeRng(seed);
  const labels: string[] = [];
  const values = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels.push(['ang', 'hap', 'sad'][c]);
    for (let j = 0; j < d; j++) values[i * d + j] = 10 * (rng() - 0.5) * (j + 1) + (j === 3 || j === 7 ? 15 * c * (j + 1) : 0);
  }
  return { m: { ids: Array.from({ length: n }, (_, i) => `${prefix}${i}`), dim: d, values }, labels };
}

describe('MinMaxScaler and ZScoreScaler', () => {
  const train = matrix([[0, 5, 1], [10, 5, 3], [5, 5, 2]]);
  const test = matrix([[20, 7, 2], [-10, 5, 1]], ['t0', 't1']);

  it('scales with the training range, maps constant columns to 0 and does not clip test rows', () => {
    const s = new MinMaxScaler().fit(train);
    expect(row(s.apply(train), 1)).toEqual([1, 0, 1]);
    expect(row(s.apply(test), 0)).toEqual([2, 0, 0.5]);
    expect(row(s.apply(test), 1)).toEqual([-1, 0, 0]);
    expect(s.toJSON()).toEqual({ kind: 'minmax', min: [0, 5, 1], max: [10, 5, 3] });
  });

  it('standardises with the training mean and population std', () => {
    const z = new ZScoreScaler().fit(train);
    const out = z.apply(train);
    expect(row(out, 0)[0]).toBeCloseTo(-5 / Math.sqrt(50 / 3), 5);
    expect(row(out, 2)).toEqual([0, 0, 0]);
    expect(z.toJSON().std[1]).toBe(0);
  });

  it('round-trips through JSON and refuses misuse with a clear error', async () => {
    const s = transformFromJSON(JSON.parse(JSON.stringify(new ZScoreScaler().fit(train).toJSON())));
    expect(s.apply(test)).toEqual(new ZScoreScaler().fit(train).apply(test));
    expect((await catchEmofuse(() => new MinMaxScaler().apply(test))).message).toContain('before fit()');
    expect((await catchEmofuse(() => new MinMaxScaler().fit(train).apply(matrix([[1, 2]])))).message).toContain('fitted on 3 features but got a matrix with 2');
    expect((await catchEmofuse(() => new MinMaxScaler().fit(matrix([[1, NaN]])))).message).toContain('non-finite');
    expect((await catchEmofuse(() => transformFromJSON({ kind: 'pca' } as never))).message).toContain('unknown transform kind "pca"');
  });
});

describe('L2Selector', () => {
  it('keeps the features that carry the class, in ascending column order', () => {
    const { m, labels } = synthetic(300, 20, 1);
    const s = new L2Selector({ k: 2 }).fit(m, labels);
    expect(s.indices).toEqual([3, 7]);
    const j = s.toJSON();
    expect(j.classes).toEqual(['ang', 'hap', 'sad']);
    expect(j.scores.every((x) => x > 0)).toBe(true);
    const out = s.apply(m);
    expect(out.dim).toBe(2);
    expect(row(out, 5)).toEqual([m.values[5 * 20 + 3], m.values[5 * 20 + 7]]);
  });

  it('fits the same model as scikit-learn LogisticRegression (multinomial, lbfgs, C = 1/(l2*n))', () => {
    const { m, labels } = synthetic(150, 8, 2);
    const n = 150, d = 8, K = 3, l2 = 0.05;
    const z = new ZScoreScaler().fit(m).apply(m);
    const y = Int32Array.from(labels, (l) => ['ang', 'hap', 'sad'].indexOf(l));
    const ours = softmaxL2(z.values, n, d, y, K, l2, 500, 1e-9);
    const code = [
      'import json, sys, numpy as np',
      'from sklearn.linear_model import LogisticRegression',
      'a = json.load(sys.stdin); X = np.array(a["x"], dtype=np.float64).reshape(a["n"], a["d"])',
      'm = LogisticRegression(C=1.0 / (a["l2"] * a["n"]), tol=1e-12, max_iter=10000).fit(X, a["y"])',
      'print(json.dumps({"w": m.coef_.ravel().tolist(), "b": m.intercept_.tolist()}))',
    ].join('\n');
    const r = spawnSync(python, ['-c', code], { input: JSON.stringify({ x: Array.from(z.values), y: Array.from(y), n, d, l2 }), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const ref = JSON.parse(r.stdout) as { w: number[]; b: number[] };
    // Softmax weights are unique up to a per-feature shift across classes; with an L2 penalty the
    // optimum has zero sum over classes for each feature, as sklearn's does.
    ref.w.forEach((w, i) => expect(ours.w[i]).toBeCloseTo(w, 4));
    const meanB = ref.b.reduce((s, v) => s + v, 0) / K;
    const ourMeanB = Array.from(ours.b).reduce((s, v) => s + v, 0) / K;
    ref.b.forEach((b, k) => expect(ours.b[k] - ourMeanB).toBeCloseTo(b - meanB, 4));
  });

  it('sees only the training data: perturbing test rows cannot change the fitted state or its JSON', () => {
    const { m: train, labels } = synthetic(200, 12, 3);
    const { m: test } = synthetic(50, 12, 4, 't');
    const fit = () => new Pipeline([new MinMaxScaler(), new L2Selector({ k: 4 })]).fit(train, labels);
    const p = fit();
    const before = JSON.stringify(p.toJSON());
    const outBefore = p.apply(test);
    // Perturb the test rows wildly and use them; then refit on the same training part.
    for (let i = 0; i < test.values.length; i++) test.values[i] = test.values[i] * 100 + 1e6;
    const outAfter = p.apply(test);
    expect(JSON.stringify(p.toJSON())).toBe(before);
    expect(JSON.stringify(fit().toJSON())).toBe(before);
    expect(outAfter.values).not.toEqual(outBefore.values);
    // Applying uses the training statistics: test column j maps to (x - trainMin_j) / trainRange_j.
    const mm = p.toJSON().steps[0] as { min: number[]; max: number[] };
    const sel = p.toJSON().steps[1] as { indices: number[] };
    const j = sel.indices[0];
    const expected = (test.values[j] - mm.min[j]) / (mm.max[j] - mm.min[j]);
    expect(outAfter.values[0]).toBeCloseTo(expected, 0);
    expect(outAfter.values[0]).toBeGreaterThan(1);
    // A restored pipeline gives the same output.
    expect(transformFromJSON(JSON.parse(before)).apply(test).values).toEqual(outAfter.values);
  });

  it('with maxRows fits on a fixed class-stratified subsample and still finds the informative features', () => {
    const { m, labels } = synthetic(600, 20, 6);
    const a = new L2Selector({ k: 2, maxRows: 150 }).fit(m, labels);
    expect(a.indices).toEqual([3, 7]);
    expect(a.toJSON().rowsUsed).toBe(150);
    expect(JSON.stringify(new L2Selector({ k: 2, maxRows: 150 }).fit(m, labels).toJSON())).toBe(JSON.stringify(a.toJSON()));
    expect(L2Selector.fromJSON(a.toJSON()).toJSON()).toEqual(a.toJSON());
    expect(new L2Selector({ k: 2, maxRows: 1000 }).fit(m, labels).toJSON().rowsUsed).toBe(600);
  });

  it('refuses labels that do not match the rows, a single class and k above the dimension', async () => {
    const { m, labels } = synthetic(30, 5, 5);
    expect((await catchEmofuse(() => new L2Selector({ k: 2 }).fit(m, labels.slice(1)))).message).toContain('29 labels for 30 training rows');
    expect((await catchEmofuse(() => new L2Selector({ k: 2 }).fit(m, labels.map(() => 'x')))).message).toContain('single class');
    expect((await catchEmofuse(() => new L2Selector({ k: 6 }).fit(m, labels))).fix).toContain('at most 5');
  });
});

describe('MedianImputer', () => {
  it('fills NaN with the training median per column, saved and reloaded, before the scalers', () => {
    const train = { ids: ['a', 'b', 'c', 'd'], dim: 2, values: Float32Array.from([1, NaN, 3, 10, 2, 20, 100, NaN]) };
    const test = { ids: ['t'], dim: 2, values: Float32Array.from([NaN, NaN]) };
    const imp = new MedianImputer().fit(train);
    expect(Array.from(imp.apply(test).values)).toEqual([2.5, 15]);
    expect(transformFromJSON(imp.toJSON()).apply(test).values).toEqual(imp.apply(test).values);
    const pipe = fitSpeechTransform(train, ['x', 'y', 'x', 'y'], { normalise: 'minmax', select: 0, impute: true });
    const out = pipe.apply(test);
    expect(out.values.every(Number.isFinite)).toBe(true);
    expect(pipe.toJSON().steps.map((s) => s.kind)).toEqual(['median-impute', 'minmax']);
  });
});
