import type { FeatureMatrix, SequenceMatrix, SparseMatrix } from '@emofuse/core';

export type { EmofuseModel, InputSpec, ModelInputs, DialogueIndex } from './types.ts';

export function isSequence(m: SequenceMatrix | FeatureMatrix | SparseMatrix): m is SequenceMatrix {
  return (m as SequenceMatrix).steps !== undefined;
}
