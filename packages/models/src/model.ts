import * as tf from '@tensorflow/tfjs';
import type { FeatureMatrix, SequenceMatrix } from '@emofuse/core';
import type { ModelConfig, ModelType } from './config.ts';

/** The shape of each input a model takes; stored with the model so predict can check inputs. */
export interface InputSpec {
  /**
   * 'sequence': word embeddings (steps x dim, with a 0/1 mask from the lengths), which the text
   * extractor turns into T. 'vector': a ready utterance vector (e.g. the features pkl's 100-d
   * text vector), used as T itself.
   */
  text?: { kind: 'sequence'; steps: number; dim: number } | { kind: 'vector'; dim: number };
  speech?: { dim: number };
}

/** A built (or loaded) model: the tfjs network plus what it needs to read inputs and name outputs. */
export interface EmofuseModel {
  type: ModelType;
  classes: string[];
  config: ModelConfig;
  input: InputSpec;
  seed: number;
  net: tf.LayersModel;
}

/** Inputs keyed by modality. Rows are matched by utterance id, not position. */
export interface ModelInputs {
  text?: SequenceMatrix | FeatureMatrix;
  speech?: FeatureMatrix;
}

export function isSequence(m: SequenceMatrix | FeatureMatrix): m is SequenceMatrix {
  return (m as SequenceMatrix).steps !== undefined;
}
