import { describe, expect, it } from 'vitest';
import { pickRows, toDense, type SparseMatrix } from '../src/index.ts';

describe('sparse rows', () => {
  const m: SparseMatrix = {
    ids: ['a', 'b', 'c'], dim: 4,
    indptr: Int32Array.from([0, 2, 2, 3]), indices: Int32Array.from([0, 3, 1]), data: Float32Array.from([1, 2, 3]),
  };
  it('picks rows by id, in the order asked, and densifies them', () => {
    const p = pickRows(m, ['c', 'a', 'b']);
    expect(Array.from(p.indptr)).toEqual([0, 1, 3, 3]);
    expect(Array.from(toDense(p).values)).toEqual([0, 3, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0]);
  });
  it('refuses an id it has no row for', () => {
    expect(() => pickRows(m, ['z'], 'tfidf')).toThrow(/no row for utterance z/);
  });
});
