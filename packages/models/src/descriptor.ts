/**
 * The model registry's metadata half: everything the rest of emofuse needs to know about a model
 * type (what it reads, what it takes from other systems, its config slice, default epochs, the
 * kernels its training needs) without loading tfjs. A model type is one file under `models/` that
 * calls `registerModel` with a descriptor; its `build` receives tfjs through `BuildTools`, so
 * importing the file stays cheap and `--help`, `--dry-run` and config errors stay fast.
 */
import type { z } from 'zod';
import type * as TF from '@tensorflow/tfjs';
import { EmofuseError, pickRows } from '@emofuse/core';
import type { FeatureMatrix, SequenceMatrix, SparseMatrix, TokenSequences } from '@emofuse/core';
import type * as Layers from './layers/index.ts';
import type * as Blocks from './blocks.ts';
import type { EmofuseModel } from './model.ts';
import type { TrainData, TrainOptions, TrainResult } from './train.ts';
import type { Posteriors } from '@emofuse/core';

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

/** Kernels a token input adds to a model's training step (the embedding lookup and its gradient). */
export const TOKEN_INPUT_KERNELS: readonly string[] = ['GatherV2', 'UnsortedSegmentSum'];

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

/** What `build` gets: tfjs, emofuse's custom layers and shared blocks, and seeded initialisers. */
export interface BuildTools {
  tf: typeof TF;
  layers: typeof Layers;
  blocks: typeof Blocks;
  /** The whole `model:` section (parsed, every slice filled). */
  config: Record<string, unknown> & { dense: number[] };
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
   * Its own training instead of the shared loop (a convex solver, batches of whole dialogues).
   * Same contract as `train`: seeded, stops on `options.signal`, best validation weights restored.
   */
  train?(model: EmofuseModel, data: TrainData, options: TrainOptions): Promise<TrainResult>;
  /** Its own prediction (e.g. dialogue by dialogue); rows follow the ids of `inputs`. */
  predict?(model: EmofuseModel, inputs: ModelInputs): Posteriors;
}

// One registry per process, even when this module is loaded twice (a plugin file that tsx runs as
// CommonJS, or two installed copies of the package): it lives on globalThis under a shared symbol.
const REGISTRY = Symbol.for('emofuse.models.registry');
const shared = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= { models: new Map<string, ModelDescriptor>(), version: 0 }) as { models: Map<string, ModelDescriptor>; version: number };
const models = shared.models;

/**
 * Adds a model type. Called by each file under `models/` (and by a researcher's own file);
 * registering a type twice is refused unless it is the same definition (a module loaded twice),
 * so a name clash never silently replaces a model.
 */
export function registerModel(d: ModelDescriptor): ModelDescriptor {
  if (!/^[a-z][a-z0-9-]*$/.test(d.type)) {
    throw new EmofuseError(`model type ${JSON.stringify(d.type)} must be lower-case letters, digits and dashes`, { where: 'registerModel' });
  }
  const prev = models.get(d.type);
  // The same file loaded a second time (another module instance) brings the same definition: keep the first.
  if (prev && prev !== d && sameDefinition(prev, d)) return prev;
  if (prev && prev !== d) throw new EmofuseError(`model type ${d.type} is already registered`, { where: 'registerModel', fix: 'choose another type name' });
  const clash = d.config && [...models.values()].find((m) => m !== prev && m.config?.key === d.config!.key);
  if (clash) throw new EmofuseError(`config slice model.${d.config!.key} already belongs to ${clash.type}`, { where: `registerModel ${d.type}` });
  if (!prev) shared.version++;
  models.set(d.type, d);
  return d;
}

function sameDefinition(a: ModelDescriptor, b: ModelDescriptor): boolean {
  const id = (d: ModelDescriptor) => JSON.stringify([d.type, d.summary, d.reads, d.context, d.defaultEpochs, d.config?.key, d.kernels]);
  return id(a) === id(b);
}

export function modelDescriptor(type: string, where = 'model type'): ModelDescriptor {
  const d = models.get(type);
  if (!d) {
    throw new EmofuseError(`unknown model type ${JSON.stringify(type)}; known types: ${modelTypes().join(', ')}`, {
      where, fix: `use one of ${modelTypes().join(', ')}, or register your own with registerModel`,
    });
  }
  return d;
}

/** Registered types, in registration order (the paper's three first). */
export function modelTypes(): string[] {
  return [...models.keys()];
}

/** Changes whenever a type is added, so composed schemas know when to rebuild. */
export function registryVersion(): number {
  return shared.version;
}

/**
 * The systems to train for a run, in an order where every system comes after those it takes:
 * those requested plus what they take, transitively, in registration order otherwise.
 */
export function trainingOrder(requested: readonly string[], q: Omit<ModelQuestion, 'systems'>): string[] {
  const want = new Set<string>();
  const visit = (s: string, chain: string[]) => {
    if (chain.includes(s)) throw new EmofuseError(`model ${s} takes itself through ${[...chain, s].join(' -> ')}`, { where: 'model registry' });
    if (want.has(s)) return;
    for (const dep of modelDescriptor(s).takes?.({ ...q, systems: requested }) ?? []) visit(dep, [...chain, s]);
    want.add(s);
  };
  for (const s of requested) visit(s, []);
  const order = modelTypes();
  const out: string[] = [];
  const placed = new Set<string>();
  const place = (s: string) => {
    if (placed.has(s)) return;
    for (const dep of modelDescriptor(s).takes?.({ ...q, systems: requested }) ?? []) place(dep);
    placed.add(s);
    out.push(s);
  };
  for (const s of [...want].sort((a, b) => order.indexOf(a) - order.indexOf(b))) place(s);
  return out;
}

/** Which modalities a set of systems reads. */
export function modalitiesOf(systems: readonly string[]): { text: boolean; speech: boolean } {
  const ds = systems.map((s) => modelDescriptor(s));
  return { text: ds.some((d) => d.reads.text !== undefined), speech: ds.some((d) => d.reads.speech === true) };
}

/** The input shapes a model of this type is built for, from the run's feature matrices. */
export function inputSpecFor(type: string, all: ModelInputs): InputSpec {
  const d = modelDescriptor(type);
  const spec: InputSpec = {};
  if (d.reads.text) {
    const t = all.text;
    if (!t) throw new EmofuseError(`${type} reads text, but the run has no text features`, { where: type });
    if (!('steps' in t)) spec.text = { kind: 'vector', dim: t.dim };
    else if ('vocabulary' in t) {
      if (!d.reads.tokens) {
        throw new EmofuseError(`${type} cannot read token ids (features.text.trainable)`, {
          where: type, fix: 'set features.text.trainable: false, or use a model that embeds its own words (text-lstm, joint-cnn, tfn, lmf, text-cnn)',
        });
      }
      const v = (t as TokenSequences).vocabulary;
      spec.text = { kind: 'sequence', steps: t.steps, dim: v.dim, vocab: { size: v.words.length, fingerprint: v.fingerprint } };
    } else spec.text = { kind: 'sequence', steps: t.steps, dim: t.dim };
  }
  if (d.reads.speech) {
    if (!all.speech) throw new EmofuseError(`${type} reads speech, but the run has no speech features`, { where: type });
    spec.speech = { dim: all.speech.dim };
  }
  return spec;
}

/** The initial vectors of the token vocabulary in these inputs (undefined without token ids). */
export function textVocabularyOf(all: ModelInputs): Float32Array | undefined {
  return all.text && 'vocabulary' in all.text ? (all.text as TokenSequences).vocabulary.vectors : undefined;
}

/** The rows of `ids` of exactly the inputs a model of this type reads. */
export function inputsFor(type: string, all: ModelInputs, ids: readonly string[]): ModelInputs {
  const d = modelDescriptor(type);
  const out: ModelInputs = {};
  if (d.reads.text) out.text = pickRows(all.text!, ids);
  if (d.reads.speech) out.speech = pickRows(all.speech!, ids);
  if (d.context === 'dialogue') {
    if (!all.dialogues) throw new EmofuseError(`${type} reads whole dialogues, but no dialogue index was given`, { where: type, fix: 'pass inputs.dialogues (dialogue id and position of every utterance)' });
    out.dialogues = all.dialogues;
  }
  return out;
}
