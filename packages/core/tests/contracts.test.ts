import { describe, expect, it } from 'vitest';
import { checkPosteriors, checkSplit, checkFeatureMatrix, type EmofuseError } from '../src/index.ts';

describe('checkPosteriors', () => {
  const ok = { ids: ['a', 'b'], classes: ['x', 'y'], probs: new Float64Array([0.3, 0.7, 1, 0]) };
  it('accepts rows that sum to one', () => expect(checkPosteriors(ok)).toBe(ok));
  it('names the system and the row with NaN', () => {
    const bad = { ...ok, probs: new Float64Array([0.3, 0.7, NaN, 1]) };
    expect(() => checkPosteriors(bad, 'text-lstm')).toThrow(/row 1 \(id b\) has NaN/);
    try { checkPosteriors(bad, 'text-lstm'); } catch (e) { expect((e as EmofuseError).where).toBe('text-lstm'); }
  });
  it('refuses rows that do not sum to one', () => {
    expect(() => checkPosteriors({ ...ok, probs: new Float64Array([0.3, 0.3, 1, 0]) })).toThrow(/row 0 .* sums to 0.6/);
  });
  it('refuses a wrong shape', () => {
    expect(() => checkPosteriors({ ...ok, probs: new Float64Array([1, 0, 1]) })).toThrow(/expected 2 rows x 2 classes/);
  });
});

describe('checkSplit', () => {
  it('refuses an utterance in two parts', () => {
    expect(() => checkSplit({ train: ['a', 'b'], valid: [], test: ['b'], protocol: 'paper', seed: 1 })).toThrow(/b is in both train and test/);
  });
});

describe('checkFeatureMatrix', () => {
  it('refuses a non-finite value and names the row', () => {
    expect(() => checkFeatureMatrix({ ids: ['u1', 'u2'], dim: 2, values: new Float32Array([0, 1, Infinity, 0]) })).toThrow(/row 1 \(id u2\)/);
  });
});
