/**
 * The models package's shared contracts, as types only: what a model reads and is given, a built
 * model, what training takes and returns. A leaf: it imports nothing of this package, so every
 * file may import it without closing an import circle.
 */
import type { z } from 'zod';
import type * as TF from '@tensorflow/tfjs';
import type { FeatureMatrix, SequenceMatrix, SparseMatrix, TokenSequences } from '@emofuse/core';

/** The shape of each input a model takes; stored with the model so predict can check inputs. */
export interface InputSpec {
  /**
   * 'sequence': word embeddings (steps x dim, with a 0/1 mask from the lengths), which the text
   * extractor turns into T. 'vector': a ready utterance vector (e.g. the features pkl's 100-d
   * text vector), used as T itself.
   */
  text?: { kind: 'sequence'; steps: number; dim: number; vocab?: TokenVocab } | { kind: 'vector'; dim: number };
  speech?: { dim: number };
}

/**
 * A 'sequence' input of token ids (features.text.trainable): the model embeds them itself with a
 * `size` x dim table it may fine-tune, initialised from the vocabulary's vectors.
 */
export interface TokenVocab {
  size: number;
  /** The vocabulary's fingerprint: a model refuses token ids of another vocabulary. */
  fingerprint: string;
}


/** Where each utterance sits in its dialogue, for models that read a whole dialogue in order. */
export interface DialogueIndex {
  dialogue: ReadonlyMap<string, string>;
  order: ReadonlyMap<string, number>;
}

/** Inputs keyed by modality. Rows are matched by utterance id, not position. */
export interface ModelInputs {
  /** Word vectors per step, token ids (TokenSequences, features.text.trainable) or one vector per utterance. */
  text?: SequenceMatrix | TokenSequences | FeatureMatrix | SparseMatrix;
  speech?: FeatureMatrix;
  /** Given to models whose descriptor has `context: 'dialogue'`. */
  dialogues?: DialogueIndex;
}

/** What a model reads. `text: 'any'` takes word sequences or utterance vectors. */
export interface ModelReads {
  text?: 'sequence' | 'vector' | 'any';
  /** Takes token ids and embeds them itself (features.text.trainable); false/absent: refused. */
  tokens?: boolean;
  speech?: boolean;
}

/** The slice of the run configuration a descriptor may look at when it is asked questions. */
export interface ModelQuestion {
  /** The whole `model:` section, every slice filled. */
  model: Record<string, unknown>;
  /** What the text features will be: word sequences (embeddings) or one vector per utterance. */
  textInput: 'sequence' | 'vector';
  /** The word sequences are token ids whose vectors the model fine-tunes (features.text.trainable). */
  textTokens?: boolean;
  /** Every system of the run. */
  systems: readonly string[];
  /** The corpus as the config names it; `dialogues: false` for one without conversations (EmoDB). */
  corpus?: { type: string; name?: string; dialogues?: boolean };
}

/** A configuration problem a descriptor reports; the CLI adds where it was written. */
export interface ModelConfigIssue {
  key: string;
  message: string;
  fix?: string;
  /** Other keys involved, so the error can point at the one the user wrote. */
  related?: string[];
}

/** A config slice: `model.<key>` with its schema and defaults. */
export interface ConfigSlice<T = unknown> {
  key: string;
  schema: z.ZodType<T>;
  defaults: T;
}


/** A registered model type (the paper's three, or one a researcher registered). */
export type ModelType = string;

/**
 * The `model:` section as every model sees it: the dense head and one slice per registered type,
 * each an open record here (config.ts types the paper's slices).
 */
export type ModelSection = { dense: number[] } & Record<string, unknown>;

/** A built (or loaded) model: the tfjs network plus what it needs to read inputs and name outputs. */
export interface EmofuseModel {
  type: ModelType;
  classes: string[];
  config: ModelSection;
  input: InputSpec;
  seed: number;
  net: TF.LayersModel;
}

/** What every build step gets besides tfjs and the layers: the config and seeded initialisers. */
export interface BuildBasics {
  /** The whole `model:` section (parsed, every slice filled). */
  config: ModelSection;
  /** A distinct seed per initialiser or dropout layer, derived from the run's seed. */
  nextSeed(): number;
  glorot(): ReturnType<typeof TF.initializers.glorotUniform>;
  /** Initial vectors of a token input's vocabulary (size x dim), when the text input has `vocab`. */
  textVocabulary?: Float32Array;
}

export interface BuildRequest {
  type: string;
  classes: string[];
  input: InputSpec;
  seed: number;
  /** Trained models of the systems named by `takes`, by system name. */
  from: Readonly<Record<string, BuiltModelLike>>;
}

/** The part of a built model another descriptor may read (joint-cnn copies text-lstm's extractor). */
export interface BuiltModelLike {
  type: string;
  input: InputSpec;
  config: Record<string, unknown>;
  net: TF.LayersModel;
}

export interface BuiltGraph {
  inputs: TF.SymbolicTensor[];
  output: TF.SymbolicTensor;
  /** Runs on the assembled network (e.g. copy and freeze weights taken from another system). */
  afterBuild?: (net: TF.LayersModel) => void;
}

/** Class labels of a part: an array aligned with the inputs' ids, or a lookup by utterance id. */
export type Labels = readonly string[] | ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export interface LabelledPart {
  inputs: ModelInputs;
  labels: Labels;
}

export interface TrainData {
  train: LabelledPart;
  /** Needed for early stopping; without it the model trains for all epochs. */
  valid?: LabelledPart;
}

/** One epoch's figures, as the CLI hands them to the tracker. Losses are mean cross-entropy. */
export interface EpochLog {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  validLoss?: number;
  validAcc?: number;
  seconds: number;
}

export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Seconds since training began. */
  elapsed: number;
}

export interface TrainOptions {
  /** 'auto' = 20 for the CNNs, 40 for the LSTM. */
  epochs?: number | 'auto';
  batchSize?: number;
  learningRate?: number;
  /** Epochs without a lower validation loss before stopping; the best weights are restored. */
  patience?: number;
  /** What early stopping and the restored epoch go by: validation loss (paper) or validation UA. */
  monitor?: 'valid_loss' | 'valid_ua';
  classWeights?: 'none' | 'balanced';
  /** Seeds the shuffling (initialisers and dropout are seeded by buildModel's seed). */
  seed?: number;
  onEpochEnd?: (log: EpochLog, info: { epochs: number; elapsed: number }) => void | Promise<void>;
  onProgress?: (p: BatchProgress) => void;
  /** Abort between batches: training stops, the best weights so far are restored, `aborted` is true. */
  signal?: AbortSignal;
}

export interface TrainResult {
  history: EpochLog[];
  /** 1-based epoch whose weights the model now has (best monitored validation figure; the last without valid). */
  bestEpoch: number;
  epochs: number;
  stoppedEarly: boolean;
  aborted: boolean;
  classWeights: number[] | null;
  seconds: number;
}

