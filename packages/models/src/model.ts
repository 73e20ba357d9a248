import type * as tf from '@tensorflow/tfjs';
import type { FeatureMatrix, SequenceMatrix, SparseMatrix } from '@emofuse/core';
import type { ModelConfig, ModelType } from './config.ts';
import type { InputSpec } from './descriptor.ts';

export type { InputSpec, ModelInputs, DialogueIndex } from './descriptor.ts';

/** A built (or loaded) model: the tfjs network plus what it needs to read inputs and name outputs. */
export interface EmofuseModel {
  type: ModelType;
  classes: string[];
  config: ModelConfig;
  input: InputSpec;
  seed: number;
  net: tf.LayersModel;
}

export function isSequence(m: SequenceMatrix | FeatureMatrix | SparseMatrix): m is SequenceMatrix {
  return (m as SequenceMatrix).steps !== undefined;
}
