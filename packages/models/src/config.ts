/**
 * `model:` and `train:` of the run configuration, composed from the registered model types
 * (`@emofuse/models/config`: this module and what it imports never load tfjs). The base schema
 * holds what every model shares (the dense head); each descriptor adds its own slice.
 */
import { z } from 'zod';
import { oneOf, posInt, nonNegInt, widths } from '@emofuse/core';
import { modelDescriptor, modelTypes, registryVersion } from './descriptor.ts';
import './models/index.ts';
import type { TextSlice } from './models/text-lstm.ts';
import type { SpeechSlice } from './models/speech-cnn.ts';
import type { JointSlice } from './models/joint-cnn.ts';

/** The three systems of the paper, registered by models/index.ts. */
export const MODEL_TYPES = ['text-lstm', 'speech-cnn', 'joint-cnn'] as const;
/** A registered model type (the paper's three, or one a researcher registered). */
export type ModelType = string;

/** The paper's slices are typed; slices of other registered models are open records. */
export type ModelConfig = { dense: number[]; text: TextSlice; speech: SpeechSlice; joint: JointSlice } & Record<string, unknown>;

const BASE_DEFAULTS = {
  dense: [512, 128], // paper: fully connected 512 -> 128 -> 6
};

let cached: { version: number; schema: z.ZodType<ModelConfig>; defaults: ModelConfig } | undefined;

function compose() {
  if (cached?.version === registryVersion()) return cached;
  const shape: Record<string, z.ZodType> = {
    /** Fully connected head after every encoder (ReLU), then the softmax layer. */
    dense: widths('[512, 128]'),
  };
  const defaults: Record<string, unknown> = { ...BASE_DEFAULTS };
  for (const type of modelTypes()) {
    const slice = modelDescriptor(type).config;
    if (!slice) continue;
    shape[slice.key] = slice.schema;
    defaults[slice.key] = slice.defaults;
  }
  cached = { version: registryVersion(), schema: z.strictObject(shape) as unknown as z.ZodType<ModelConfig>, defaults: deepFreeze(structuredClone(defaults)) as ModelConfig };
  return cached;
}

/**
 * The `model:` schema of every registered type. Strict: an unknown key is refused so a typo
 * (`lstmUnit`) never silently falls back to the default.
 */
export function modelConfigSchema(): z.ZodType<ModelConfig> {
  return compose().schema;
}

/** Defaults of every slice (frozen; clone before changing). */
export function modelDefaults(): ModelConfig {
  return compose().defaults;
}

/** Defaults of the paper's slices (and of any type registered before this module loaded). */
export const MODEL_DEFAULTS: ModelConfig = modelDefaults();

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

export const TRAIN_DEFAULTS: TrainConfig = deepFreeze({
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

/** Frozen all the way down, so a caller that mutates a merged copy never changes the defaults. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export {
  registerModel, modelDescriptor, modelTypes, registryVersion, trainingOrder, modalitiesOf, inputSpecFor, inputsFor, textVocabularyOf, TOKEN_INPUT_KERNELS,
  type ModelDescriptor, type ModelReads, type ModelQuestion, type ModelConfigIssue, type ConfigSlice,
  type BuildTools, type BuildRequest, type BuiltGraph, type InputSpec, type ModelInputs, type DialogueIndex,
} from './descriptor.ts';
