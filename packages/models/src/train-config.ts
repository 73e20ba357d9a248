/**
 * `train:` of the run configuration: its schema, the paper's defaults, and the epochs of each
 * model type when `train.epochs` is 'auto' (from its descriptor). Loads no tfjs; the entry points
 * re-export it.
 */
import { z } from 'zod';
import { oneOf, posInt, nonNegInt } from '@emofuse/core';
import { modelDescriptor } from './descriptor.ts';

/** `train:` of the run config. */
export const trainConfigSchema = z.strictObject({
  /** 'auto' = each model type's default (paper: 20 for the CNNs, 40 for the LSTM). */
  epochs: z.union([z.literal('auto'), posInt], { error: "expected 'auto' or a positive integer" }),
  batchSize: posInt,
  learningRate: z.number({ error: 'expected a number' }).positive('expected a positive number'),
  /** Early stopping on validation loss; the best epoch's weights are restored. */
  patience: nonNegInt,
  /** What early stopping watches: validation loss (paper) or validation UA (an ablation). */
  monitor: oneOf(['valid_loss', 'valid_ua']),
  /** 'balanced': weight_c = n / (k * n_c) on the training part (sklearn's 'balanced'). */
  classWeights: oneOf(['none', 'balanced']),
  backend: oneOf(['auto', 'tensorflow', 'wasm', 'cpu']),
});
export type TrainConfig = z.infer<typeof trainConfigSchema>;

// Frozen (its values are all plain), so a caller that changes a merged copy never changes the defaults.
export const TRAIN_DEFAULTS: TrainConfig = Object.freeze({
  epochs: 'auto', // paper: 20 for the CNNs, 40 for the LSTM
  // Open: the paper gives none; 32 is Keras's default and fits 2 cores.
  batchSize: 32,
  learningRate: 0.001, // paper: Adam, 0.001
  patience: 6, // paper: early stopping on validation loss, patience 6 (best weights restored)
  monitor: 'valid_loss', // paper: early stopping on validation loss
  // Open: the paper does not weight classes; 'balanced' is an ablation (happiness is the smallest class).
  classWeights: 'none',
  backend: 'auto', // tensorflow (tfjs-node) > wasm > cpu: the fastest that works here
});

/** Epochs one model type trains for when `train.epochs` is 'auto'. */
export function autoEpochs(type: string): number {
  return modelDescriptor(type).defaultEpochs;
}

/** Epochs for one system given `train.epochs`. */
export function epochsFor(type: string, epochs: TrainConfig['epochs']): number {
  return epochs === 'auto' ? autoEpochs(type) : epochs;
}
