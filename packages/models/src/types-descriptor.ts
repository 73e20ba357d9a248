/**
 * The descriptor contract: what a model file hands `registerModel`, and the tools its `build`
 * receives (tfjs, emofuse's layers, the shared blocks). Types only; above the layers and blocks
 * whose types it names, below the registry and every model file.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Posteriors } from '@emofuse/core';
import type * as Blocks from './blocks.ts';
import type * as Layers from './layers/index.ts';
import type {
  BuildBasics, BuildRequest, BuiltGraph, ConfigSlice, EmofuseModel, ModelConfigIssue, ModelInputs, ModelQuestion, ModelReads,
  TrainData, TrainOptions, TrainResult,
} from './types.ts';

/** What `build` gets: tfjs, emofuse's custom layers and shared blocks, and seeded initialisers. */
export interface BuildTools extends BuildBasics {
  tf: typeof TF;
  layers: typeof Layers;
  blocks: typeof Blocks;
}

export interface ModelDescriptor {
  type: string;
  /** One line for --help, docs and run notes. */
  summary: string;
  reads: ModelReads;
  /** 'dialogue': the model reads every utterance of a dialogue in order (uses context). */
  context: 'utterance' | 'dialogue';
  /** Epochs when `train.epochs` is 'auto'. */
  defaultEpochs: number;
  /** Its own slice of `model:`; shared blocks (dense head) live in the base schema. */
  config?: ConfigSlice;
  /**
   * Kernels a training step needs, forward and gradients (for the wasm backend check);
   * undefined = not measured, so wasm is not chosen for it automatically.
   */
  kernels?: readonly string[];
  /**
   * Other `model.<slice>` keys this type reads besides its own (a shared block such as the text
   * extractor's `text`, or `linear` for the linear variants): what the config fingerprint and the
   * tracked params cover for a run of it.
   */
  slices?: readonly string[];
  /** Systems whose trained models this one needs (trained first in the same fold). */
  takes?(q: ModelQuestion): string[];
  /** Cross-key rules a per-key schema cannot express. */
  check?(q: ModelQuestion): ModelConfigIssue[];
  build(req: BuildRequest, tools: BuildTools): BuiltGraph;
  /**
   * What one epoch means for this type when it is not a shuffled batch of utterances (whole
   * dialogues, a convex solver's C grid): it hands a Trainable to train.ts's `fit`, the one loop
   * that keeps the epochs, early stopping, restore-best, epoch logs and the abort signal.
   */
  train?(model: EmofuseModel, data: TrainData, options: TrainOptions): Promise<TrainResult>;
  /** Its own prediction (e.g. dialogue by dialogue); rows follow the ids of `inputs`. */
  predict?(model: EmofuseModel, inputs: ModelInputs): Posteriors;
}
