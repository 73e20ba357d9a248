import type { FeatureMatrix, SequenceMatrix, SparseMatrix } from './contracts.ts';
import { EmofuseError } from './errors.ts';

/**
 * Row index of each wanted id in `have`, in the order wanted. The one place that picks rows by
 * id, so every caller refuses a missing id the same way.
 */
export function indexOfIds(have: readonly string[], want: readonly string[], where = 'rows'): Int32Array {
  const index = new Map<string, number>();
  have.forEach((id, i) => index.set(id, i));
  const out = new Int32Array(want.length);
  want.forEach((id, r) => {
    const i = index.get(id);
    if (i === undefined) throw new EmofuseError(`no row for utterance ${id}`, { where });
    out[r] = i;
  });
  return out;
}

/** Rows of a feature, sequence or sparse matrix by id, in the order given. */
export function pickRows<M extends FeatureMatrix | SequenceMatrix | SparseMatrix>(m: M, ids: readonly string[], where = 'features'): M {
  const rows = indexOfIds(m.ids, ids, where);
  if (isSparse(m)) return pickSparse(m, rows, ids) as M;
  const dense = m as FeatureMatrix | SequenceMatrix;
  const width = 'steps' in dense ? dense.steps * dense.dim : dense.dim;
  const values = new Float32Array(ids.length * width);
  const lengths = 'steps' in m ? new Int32Array(ids.length) : undefined;
  rows.forEach((i, r) => {
    values.set(dense.values.subarray(i * width, (i + 1) * width), r * width);
    if (lengths) lengths[r] = (m as SequenceMatrix).lengths[i];
  });
  return (lengths ? { ...m, ids: [...ids], values, lengths } : { ...m, ids: [...ids], values }) as M;
}

export function isSparse(m: object): m is SparseMatrix {
  return 'indptr' in m;
}

function pickSparse(m: SparseMatrix, rows: Int32Array, ids: readonly string[]): SparseMatrix {
  const indptr = new Int32Array(rows.length + 1);
  rows.forEach((i, r) => { indptr[r + 1] = indptr[r] + m.indptr[i + 1] - m.indptr[i]; });
  const indices = new Int32Array(indptr[rows.length]);
  const data = new Float32Array(indptr[rows.length]);
  rows.forEach((i, r) => {
    indices.set(m.indices.subarray(m.indptr[i], m.indptr[i + 1]), indptr[r]);
    data.set(m.data.subarray(m.indptr[i], m.indptr[i + 1]), indptr[r]);
  });
  return { ...m, ids: [...ids], indptr, indices, data };
}

/** The dense form of sparse rows (for a model that reads a plain vector). */
export function toDense(m: SparseMatrix): FeatureMatrix {
  const values = new Float32Array(m.ids.length * m.dim);
  for (let r = 0; r < m.ids.length; r++) {
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) values[r * m.dim + m.indices[p]] = m.data[p];
  }
  return { ids: m.ids, dim: m.dim, values };
}
