/**
 * The model registry: everything the rest of emofuse needs to know about a model type (what it
 * reads, what it takes from other systems, its config slice, default epochs, the kernels its
 * training needs) without loading tfjs. A model type is one file under `models/` that calls
 * `registerModel` with a descriptor; its `build` receives tfjs through `BuildTools`, so importing
 * the file stays cheap and `--help`, `--dry-run` and config errors stay fast. A leaf: it imports
 * only the contracts (types.ts, types-descriptor.ts), never a model; the built-in models are
 * registered by builtins.ts, which both entry points import.
 */
import { EmofuseError, pickRows } from '@emofuse/core';
import type { TokenSequences } from '@emofuse/core';
import type { ModelDescriptor } from './types-descriptor.ts';
import type { InputSpec, ModelInputs, ModelQuestion } from './types.ts';

export type {
  InputSpec, TokenVocab, DialogueIndex, ModelInputs, ModelReads, ModelQuestion, ModelConfigIssue, ConfigSlice,
  BuildRequest, BuiltModelLike, BuiltGraph,
} from './types.ts';
export type { BuildTools, ModelDescriptor } from './types-descriptor.ts';

/** Kernels a token input adds to a model's training step (the embedding lookup and its gradient). */
export const TOKEN_INPUT_KERNELS: readonly string[] = ['GatherV2', 'UnsortedSegmentSum'];

// One registry per process, even when this module is loaded twice (a plugin file that tsx runs as
// CommonJS, or two installed copies of the package): it lives on globalThis under a shared symbol.
const REGISTRY = Symbol.for('emofuse.models.registry');
interface Registry { models: Map<string, ModelDescriptor>; version: number; builtins?: readonly ModelDescriptor[] }
const shared = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= { models: new Map<string, ModelDescriptor>(), version: 0 }) as Registry;
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

/** Changes whenever a type is added (or the registry reset), so composed schemas know when to rebuild. */
export function registryVersion(): number {
  return shared.version;
}

/**
 * Records `descriptors` as the built-in types (builtins.ts calls it once they are registered), so
 * that resetModelRegistry can restore them.
 */
export function setBuiltinModels(descriptors: readonly ModelDescriptor[]): void {
  shared.builtins ??= [...descriptors];
}

/**
 * Tests: forgets every type registered since the built-ins (a researcher's, a test's), and
 * registers the built-ins again in their order, so no test depends on what another registered.
 */
export function resetModelRegistry(): void {
  models.clear();
  for (const d of shared.builtins ?? []) models.set(d.type, d);
  shared.version++;
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
