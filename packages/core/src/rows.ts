import type { FeatureMatrix, SequenceMatrix } from './contracts.ts';
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

/** Rows of a feature or sequence matrix by id, in the order given. */
export function pickRows<M extends FeatureMatrix | SequenceMatrix>(m: M, ids: readonly string[], where = 'features'): M {
  const rows = indexOfIds(m.ids, ids, where);
  const width = 'steps' in m ? m.steps * m.dim : m.dim;
  const values = new Float32Array(ids.length * width);
  const lengths = 'steps' in m ? new Int32Array(ids.length) : undefined;
  rows.forEach((i, r) => {
    values.set(m.values.subarray(i * width, (i + 1) * width), r * width);
    if (lengths) lengths[r] = (m as SequenceMatrix).lengths[i];
  });
  return (lengths ? { ...m, ids: [...ids], values, lengths } : { ...m, ids: [...ids], values }) as M;
}
