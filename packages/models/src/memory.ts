/**
 * The memory a model needs to train, checked before any work starts (issue #26, item 13): a size
 * such as `model.text.lstmUnits: 1e8` passes the per-key schemas, so every system of the run is
 * built once here, its parameters counted, and the run refused when its training cannot fit.
 *
 * Generic over model types: a model is built through its descriptor like any run builds it, while
 * `Layer.addWeight` is watched. Weights that fit are allocated for real (zero-filled, so building
 * costs no random numbers or orthogonal factorisations) and disposed right after; the first weight
 * that takes the count past what could ever be trained stops the build before it is allocated, so
 * a 4e16-parameter model is refused without allocating anything large (its count is then "at
 * least" the weights up to that one).
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '@emofuse/core';
import { modelDescriptor, type BuiltModelLike, type InputSpec } from './descriptor.ts';
import { buildModel } from './registry.ts';

/**
 * Float32 copies of the parameters that live at once while a model trains: the weights, their
 * gradients, Adam's two moments (m and v; FlatAdam and NativeAdam both keep them for every
 * trainable weight) and the best epoch's weights that train.ts keeps to restore at the end.
 * Activations and the data come on top, so the figure is a lower bound.
 */
export const TRAINING_COPIES = 5;
const BYTES_PER_PARAM = 4;

export interface MemoryLimit {
  /** Bytes the process may use at most: the cgroup limit when one is set, else the machine's RAM. */
  bytes: number;
  /** Bytes free now (the cgroup's limit minus its usage, or os.freemem()). */
  free: number;
  /** Where `bytes` comes from, for messages. */
  source: string;
}

/** The memory this process can have: min(os.totalmem(), the cgroup v2 / v1 memory limit). */
export function memoryLimit(): MemoryLimit {
  const total = os.totalmem();
  const read = (file: string): number | undefined => {
    try {
      const s = readFileSync(file, 'utf8').trim();
      const n = Number(s);
      return s !== 'max' && Number.isFinite(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };
  const v2 = read('/sys/fs/cgroup/memory.max');
  const v1 = v2 === undefined ? read('/sys/fs/cgroup/memory/memory.limit_in_bytes') : undefined;
  const cg = v2 ?? v1;
  if (cg !== undefined && cg < total) {
    const used = read(v2 !== undefined ? '/sys/fs/cgroup/memory.current' : '/sys/fs/cgroup/memory/memory.usage_in_bytes') ?? 0;
    return { bytes: cg, free: Math.max(0, cg - used), source: `the cgroup memory limit (${v2 !== undefined ? '/sys/fs/cgroup/memory.max' : '/sys/fs/cgroup/memory/memory.limit_in_bytes'})` };
  }
  return { bytes: total, free: os.freemem(), source: 'the RAM of this machine (os.totalmem)' };
}

export interface ModelSize {
  system: string;
  /** Parameters of the built model (what tf's model.countParams() gives). */
  params: number;
  /** Bytes of one float32 copy of them. */
  bytes: number;
  /** The `model.<key>` sizes the model reads, as `model.text.lstmUnits=128, ...`. */
  sizes: string;
}

export interface MemoryCheckOptions {
  /** The run's systems in training order (a system's `takes` come first). */
  systems: readonly string[];
  classes: string[];
  /** Input shapes per system (the ones the run's features will have, or an estimate of them). */
  input: (system: string) => InputSpec;
  model: Record<string, unknown>;
  /** Initial token vectors when a text input has `vocab` (any numbers of the right length). */
  textVocabulary?: Float32Array;
  /** The memory to fit in (default memoryLimit()). */
  limit?: MemoryLimit;
  /**
   * Some input shapes are guesses (a feature file's columns are not read before the run): a build
   * that fails for another reason than memory leaves that system unchecked instead of refusing it.
   */
  guessedShapes?: boolean;
}

export interface MemoryEstimate {
  models: ModelSize[];
  /** Peak bytes of training: every model of a fold is kept, the one training has its TRAINING_COPIES. */
  bytes: number;
  limit: MemoryLimit;
  /** Systems left unchecked (guessedShapes and their build failed for another reason than memory). */
  unchecked: string[];
  /** Set when training fits the limit but not the memory free now. */
  warning?: string;
}

/**
 * Builds every system once and counts its parameters; refuses (InputError, so exit 2) a run whose
 * training needs more memory than the process can have, or whose model cannot even be allocated.
 */
export function checkModelMemory(options: MemoryCheckOptions): MemoryEstimate {
  const limit = options.limit ?? memoryLimit();
  const models: ModelSize[] = [];
  const built: Record<string, BuiltModelLike> = {};
  const unchecked: string[] = [];
  try {
    for (const system of options.systems) {
      const sizes = sizesOf(system, options.model);
      let counted: ReturnType<typeof countWhileBuilding>;
      try {
        counted = countWhileBuilding(limit.bytes / (TRAINING_COPIES * BYTES_PER_PARAM), () => buildModel({
          type: system, classes: options.classes, input: options.input(system), model: options.model, textVocabulary: options.textVocabulary, from: built,
        }));
      } catch (e) {
        if (!options.guessedShapes) throw e;
        unchecked.push(system);
        continue;
      }
      const size: ModelSize = { system, params: counted.params, bytes: counted.params * BYTES_PER_PARAM, sizes };
      if (counted.error || counted.over) throw tooBig(size, limit, { error: counted.error, partial: true });
      built[system] = counted.model!;
      models.push(size);
    }
  } finally {
    for (const m of Object.values(built)) m.net.dispose();
  }
  const kept = models.reduce((n, m) => n + m.bytes, 0);
  const peak = (m: ModelSize) => kept + (TRAINING_COPIES - 1) * m.bytes;
  const worst = models.reduce((a, b) => (peak(b) > peak(a) ? b : a), models[0]);
  const bytes = models.length ? peak(worst) : 0;
  if (bytes > limit.bytes) throw tooBig(worst, limit, { total: bytes });
  const warning = bytes > limit.free
    ? `training ${worst.system} needs at least ${gb(bytes)} (${fmt(worst.params)} parameters x ${BYTES_PER_PARAM} bytes x ${TRAINING_COPIES}), more than the ${gb(limit.free)} free now of ${gb(limit.bytes)}; it may swap or be killed`
    : undefined;
  return { models, bytes, limit, unchecked, warning };
}

/** Thrown by the watched addWeight at the first weight past the limit, so nothing that large is allocated. */
class PastLimit extends Error {}

/**
 * The parameters a build creates, allocating real (zero-filled) weights only while they fit in
 * `maxParams`; the build stops at the first weight past it, so the count is then a lower bound.
 */
function countWhileBuilding(maxParams: number, build: () => BuiltModelLike): { params: number; over: boolean; model?: BuiltModelLike; error?: Error } {
  const proto = tf.layers.Layer.prototype as unknown as { addWeight: (...args: unknown[]) => unknown };
  const original = proto.addWeight;
  let params = 0;
  // Before a backend is chosen (run --dry-run, a launch) the check runs on tfjs' cpu backend, whose
  // first tensor prints a "install tfjs-node" banner unless tfjs thinks it is under test.
  const quiet = tf.env().getBool('IS_TEST');
  tf.env().set('IS_TEST', true);
  proto.addWeight = function (this: unknown, name: unknown, shape: unknown, dtype: unknown, _init: unknown, ...rest: unknown[]) {
    params += (shape as number[]).reduce((a, b) => a * b, 1);
    if (params > maxParams) throw new PastLimit();
    return original.call(this, name, shape, dtype, tf.initializers.zeros(), ...rest);
  };
  try {
    const model = build();
    return { params, over: false, model };
  } catch (e) {
    if (e instanceof PastLimit) return { params, over: true };
    if (isAllocationError(e)) return { params, over: false, error: e as Error };
    throw e;
  } finally {
    proto.addWeight = original;
    tf.env().set('IS_TEST', quiet);
  }
}

function isAllocationError(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return e instanceof RangeError || /Invalid typed array length|Array buffer allocation failed|allocation|out of memory|OOM/i.test(m);
}

/** `model.<key>.<size>=value` for every integer size (or list of them) of the slices the system reads. */
function sizesOf(system: string, model: Record<string, unknown>): string {
  const d = modelDescriptor(system);
  const keys = [...new Set([d.config?.key, ...(d.slices ?? []), 'dense'].filter((k): k is string => !!k && model[k] !== undefined))];
  const isSize = (v: unknown) => (typeof v === 'number' && Number.isInteger(v)) || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isInteger(x)));
  const out: string[] = [];
  for (const key of keys) {
    const v = model[key];
    if (isSize(v)) out.push(`model.${key}=${JSON.stringify(v)}`);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (isSize(x)) out.push(`model.${key}.${k}=${JSON.stringify(x)}`);
  }
  return out.join(', ');
}

/** The key of the largest size, the first one to lower. */
function largest(sizes: string): string | undefined {
  let best: { key: string; v: number } | undefined;
  for (const part of sizes.split(', ')) {
    const [key, value] = part.split('=');
    const parsed = JSON.parse(value) as number | number[];
    const v = Array.isArray(parsed) ? Math.max(...parsed) : parsed;
    if (!best || v > best.v) best = { key, v };
  }
  return best?.key;
}

function tooBig(m: ModelSize, limit: MemoryLimit, how: { error?: Error; partial?: boolean; total?: number }): InputError {
  const { error, partial: lowerBound, total } = how;
  const need = total ?? m.bytes * TRAINING_COPIES;
  const what = `${lowerBound ? 'at least ' : ''}${fmt(m.params)} parameters`;
  const first = largest(m.sizes);
  const fix = `lower ${first ?? 'the sizes'}${first ? ' (or the other sizes above)' : ''} until the model${total ? 's' : ''} fit${total ? '' : 's'}: about ${fmt(Math.floor(limit.bytes / (BYTES_PER_PARAM * TRAINING_COPIES)))} parameters at most fit in ${gb(limit.bytes)}`;
  const message = error
    ? `${m.system} cannot be built: its sizes (${m.sizes}) ask for more memory than can be allocated (${error.message.split('\n')[0]}; ${what} counted before it failed, training would need at least ${gb(need)})`
    : `${m.system} is too big to train here: its sizes (${m.sizes}) give ${what}; training needs at least ${gb(need)} (${total ? 'every model of the fold, the largest with ' : ''}parameters x ${BYTES_PER_PARAM} bytes x ${TRAINING_COPIES}: weights, gradients, Adam's two moments, the best epoch's weights), but the limit is ${gb(limit.bytes)}, ${limit.source}`;
  return new InputError(message, { where: `model (${m.system})`, fix });
}

const fmt = (n: number) => (n >= 1e6 ? n.toExponential(2).replace('e+', 'e') : String(n));

function gb(bytes: number): string {
  const g = bytes / 1e9;
  return `${g >= 1e4 ? g.toExponential(2).replace('e+', 'e') : g >= 1 ? g.toFixed(1) : Number(g.toPrecision(2))} GB`;
}
