import * as tf from '@tensorflow/tfjs';
import { EmofuseError, checkUniqueIds, isSparse, labelIndices, pickRows, toDense, type FeatureMatrix, type SequenceMatrix, type TokenSequences } from '@emofuse/core';
import { isSequence } from './model.ts';
import type { EmofuseModel, Labels, ModelInputs } from './types.ts';

export type { Labels } from './types.ts';

/** Host-side arrays in the model's input order (tensors are made per batch or once, by the caller). */
export interface HostInputs {
  ids: string[];
  /** One entry per net input, in net.inputs order; `sequence` marks (rows, steps, ...) word inputs. */
  arrays: { name: string; shape: number[]; values: Float32Array; sequence?: boolean }[];
  /** Real steps per row of the word inputs (absent without them). */
  lengths?: Int32Array;
}

/**
 * Checks the inputs against the model's input spec and lines every modality up on one id order
 * (the text rows' order, else the speech rows'). Names the modality and id that is wrong.
 */
export function hostInputs(model: EmofuseModel, inputs: ModelInputs, where: string): HostInputs {
  const spec = model.input;
  let ids: string[] | undefined;
  let lengths: Int32Array | undefined;
  const byName = new Map<string, { shape: number[]; values: Float32Array; sequence?: boolean }>();
  if (spec.text) {
    const t = inputs.text;
    if (!t) throw new EmofuseError(`${model.type} needs text inputs but none were given`, { where, fix: 'pass inputs.text' });
    checkUniqueIds(t.ids, `${where}: text`);
    ids = t.ids;
    const n = t.ids.length;
    if (spec.text.kind === 'sequence' && spec.text.vocab) {
      const vocab = spec.text.vocab;
      if (!('vocabulary' in t)) {
        throw new EmofuseError(`${model.type} was built for token ids (a trainable embedding table) but got ${isSequence(t) ? 'word vectors' : 'one vector per utterance'}`, {
          where: `${where}: text`, fix: 'pass the same kind of text features the model was built (and trained) with',
        });
      }
      const v = (t as TokenSequences).vocabulary;
      if (v.fingerprint !== vocab.fingerprint || v.words.length !== vocab.size) {
        throw new EmofuseError(`the token ids come from another vocabulary (${v.words.length} words, ${v.fingerprint}) than the model's (${vocab.size} words, ${vocab.fingerprint})`, {
          where: `${where}: text`, fix: 'make the token ids with the vocabulary the model was trained with (same corpus, tokenizer and maxTokens)',
        });
      }
      if (t.steps !== spec.text.steps || t.dim !== 1 || t.values.length !== n * t.steps || t.lengths.length !== n) {
        throw new EmofuseError(`token ids are ${n} x ${t.steps} x ${t.dim}, the model expects ${n} x ${spec.text.steps} x 1`, { where: `${where}: text` });
      }
      byName.set('text', { shape: [n, t.steps], values: t.values, sequence: true });
      byName.set('text_mask', { shape: [n, t.steps], values: stepMask(t), sequence: true });
      lengths = t.lengths;
    } else if (spec.text.kind === 'sequence') {
      if ('vocabulary' in t) {
        throw new EmofuseError(`${model.type} was built for word vectors but got token ids (for a trainable embedding table)`, {
          where: `${where}: text`, fix: 'pass the same kind of text features the model was built (and trained) with',
        });
      }
      if (!isSequence(t)) {
        throw new EmofuseError(`${model.type} was built for word sequences but got one vector per utterance`, {
          where: `${where}: text`, fix: 'pass the same kind of text features the model was built (and trained) with',
        });
      }
      if (t.steps !== spec.text.steps || t.dim !== spec.text.dim) {
        throw new EmofuseError(`text sequences are ${t.steps} x ${t.dim}, the model expects ${spec.text.steps} x ${spec.text.dim}`, {
          where: `${where}: text`, fix: 'make the sequences with the text settings (maximum tokens, embeddings) the model was trained with',
        });
      }
      if (t.values.length !== n * t.steps * t.dim || t.lengths.length !== n) {
        throw new EmofuseError(`values/lengths do not match ${n} rows x ${t.steps} steps x ${t.dim}`, { where: `${where}: text` });
      }
      byName.set('text', { shape: [n, t.steps, t.dim], values: t.values, sequence: true });
      byName.set('text_mask', { shape: [n, t.steps], values: stepMask(t), sequence: true });
      lengths = t.lengths;
    } else {
      if (isSequence(t)) {
        throw new EmofuseError(`${model.type} was built for one text vector per utterance but got word sequences`, {
          where: `${where}: text`, fix: 'pass the same kind of text features the model was built (and trained) with',
        });
      }
      // Sparse rows (TF-IDF) go in dense: a tfjs layer reads no other kind.
      const v = isSparse(t) ? toDense(t) : t as FeatureMatrix;
      checkDim(v, spec.text.dim, `${where}: text`);
      byName.set('text', { shape: [n, v.dim], values: v.values });
    }
  }
  if (spec.speech) {
    const s = inputs.speech;
    if (!s) throw new EmofuseError(`${model.type} needs speech inputs but none were given`, { where, fix: 'pass inputs.speech' });
    checkUniqueIds(s.ids, `${where}: speech`);
    checkDim(s, spec.speech.dim, `${where}: speech`);
    if (!ids) ids = s.ids;
    byName.set('speech', { shape: [ids.length, s.dim], values: reorder(s, ids, `${where}: speech`) });
  }
  if (!ids) throw new EmofuseError('the model has no inputs', { where });
  const arrays = model.net.inputs.map((t) => {
    // tfjs makes input names unique per process (text, text_1, ...): match on the base name
    const name = t.name.replace(/:\d+$/, '').replace(/^(text_mask|text|speech)_\d+$/, '$1');
    const a = byName.get(name);
    if (!a) throw new EmofuseError(`the network has an input ${name} this package cannot feed`, { where });
    return { name, ...a };
  });
  return { ids, arrays, lengths };
}

/** 1 for each real step, 0 for padding. */
function stepMask(t: SequenceMatrix): Float32Array {
  const n = t.ids.length;
  const mask = new Float32Array(n * t.steps);
  for (let i = 0; i < n; i++) mask.fill(1, i * t.steps, i * t.steps + Math.min(t.lengths[i], t.steps));
  return mask;
}

function checkDim(m: FeatureMatrix, dim: number, where: string): void {
  if (m.dim !== dim) {
    throw new EmofuseError(`rows have ${m.dim} features, the model expects ${dim}`, { where, fix: 'use the feature settings the model was trained with' });
  }
  if (m.values.length !== m.ids.length * m.dim) {
    throw new EmofuseError(`values has ${m.values.length} numbers, expected ${m.ids.length} x ${m.dim}`, { where });
  }
}

/** The rows of `m` in the order of `ids` (a copy only when the order differs). */
function reorder(m: FeatureMatrix, ids: string[], where: string): Float32Array {
  if (m.ids.length === ids.length && m.ids.every((id, i) => id === ids[i])) return m.values;
  return pickRows(m, ids, `${where}: speech features (every utterance needs them)`).values;
}

/**
 * Class indices for `ids` (core's labelIndices, same argument order), also taking labels as a
 * plain object keyed by utterance id.
 */
export function trainingLabels(ids: readonly string[], classes: readonly string[], labels: Labels, where: string): Int32Array {
  const byId = Array.isArray(labels) || labels instanceof Map ? (labels as readonly string[] | ReadonlyMap<string, string>) : new Map(Object.entries(labels));
  return labelIndices(ids, classes, byId, where);
}

/**
 * Rows `rows` of every input as tensors (gathered on the host side). Word inputs are cut to the
 * longest real length in the batch: the steps after it are padding in every row, which the
 * masked LSTM skips and which 'same' convolutions and the masked max-pool see as the zeros
 * they are anyway, so the outputs are the same and short batches cost fewer LSTM steps.
 */
export function batchTensors(host: HostInputs, rows: ArrayLike<number>): tf.Tensor[] {
  let used = 0;
  if (host.lengths) for (let i = 0; i < rows.length; i++) used = Math.max(used, host.lengths[rows[i]]);
  return host.arrays.map(({ shape, values, sequence }) => {
    const inner = shape.slice(1);
    const per = inner.reduce((a, b) => a * b, 1);
    const keep = sequence ? Math.max(1, Math.min(inner[0], used)) : inner[0];
    if (!sequence || keep === inner[0]) {
      const out = new Float32Array(rows.length * per);
      for (let i = 0; i < rows.length; i++) out.set(values.subarray(rows[i] * per, (rows[i] + 1) * per), i * per);
      return tf.tensor(out, [rows.length, ...inner], 'float32');
    }
    const kept = (per / inner[0]) * keep;
    const out = new Float32Array(rows.length * kept);
    for (let i = 0; i < rows.length; i++) out.set(values.subarray(rows[i] * per, rows[i] * per + kept), i * kept);
    return tf.tensor(out, [rows.length, keep, ...inner.slice(1)], 'float32');
  });
}

/**
 * The tfjs-node fast paths (native TensorFlow kernels called directly, see "Fast paths" in
 * the package README). Each is exact up to float rounding; switching one off runs the plain
 * tfjs ops instead (tests compare the two, benchmarks time them).
 */
export const FAST_PATHS = ['adam', 'lstm', 'relugrad', 'dense', 'convgrad', 'loss', 'bias', 'shapes'] as const;
export type FastPath = (typeof FAST_PATHS)[number];
const fastOn = new Set<FastPath>(FAST_PATHS);

/** EMOFUSE_FAST_PATHS=none | all | adam,lstm,... (benchmarks time a whole run with and without). */
function fastPathsFromEnv(): void {
  const env = process.env.EMOFUSE_FAST_PATHS?.trim();
  if (!env) return;
  setFastPaths(env === 'all' ? 'all' : env === 'none' ? [] : (env.split(',').map((x) => x.trim()) as FastPath[]));
}

export function setFastPaths(paths: 'all' | readonly FastPath[]): void {
  fastOn.clear();
  for (const p of paths === 'all' ? FAST_PATHS : paths) {
    if (!FAST_PATHS.includes(p)) throw new EmofuseError(`unknown fast path ${JSON.stringify(p)}`, { where: 'setFastPaths', fix: `use some of ${FAST_PATHS.join(', ')}` });
    fastOn.add(p);
  }
}

fastPathsFromEnv();

/** Whether fast path `p` is on and can run here (tfjs-node only). */
export function fastPath(p: FastPath): boolean {
  return fastOn.has(p) && tf.getBackend() === 'tensorflow';
}

/** tfjs-node's backend object, as far as the native calls below use it (not in its typings). */
interface NodeBackend {
  binding: {
    executeOp(name: string, attrs: NativeAttr[], ids: number[], outputs: number): { id: number; shape: number[]; dtype: number }[];
    createTensor(shape: number[], dtype: number, values: Int32Array | Float32Array): number;
    deleteTensor(id: number): void;
    TF_ATTR_STRING: number; TF_ATTR_INT: number; TF_ATTR_FLOAT: number; TF_ATTR_BOOL: number; TF_ATTR_TYPE: number; TF_ATTR_SHAPE: number;
    TF_FLOAT: number; TF_INT32: number; TF_INT64: number;
  };
  getInputTensorIds(tensors: tf.Tensor[]): number[];
  createOutputTensor(meta: { id: number; shape: number[]; dtype: number }): tf.Tensor;
}

export interface NativeAttr { name: string; type: number; value: unknown }

function node(): NodeBackend {
  return tf.backend() as unknown as NodeBackend;
}

/** Op attributes for `native`; types are 'float32' | 'int32' | 'int64'. */
export const attr = {
  type: (name: string, dtype: 'float32' | 'int32' | 'int64'): NativeAttr => {
    const b = node().binding;
    return { name, type: b.TF_ATTR_TYPE, value: dtype === 'float32' ? b.TF_FLOAT : dtype === 'int32' ? b.TF_INT32 : b.TF_INT64 };
  },
  bool: (name: string, value: boolean): NativeAttr => ({ name, type: node().binding.TF_ATTR_BOOL, value }),
  int: (name: string, value: number | number[]): NativeAttr => ({ name, type: node().binding.TF_ATTR_INT, value }),
  float: (name: string, value: number): NativeAttr => ({ name, type: node().binding.TF_ATTR_FLOAT, value }),
  string: (name: string, value: string | string[]): NativeAttr => ({ name, type: node().binding.TF_ATTR_STRING, value }),
  shape: (name: string, value: number[]): NativeAttr => ({ name, type: node().binding.TF_ATTR_SHAPE, value }),
};

/**
 * Runs one TensorFlow op eagerly on tfjs-node, with the given attributes and `outputs` outputs
 * (0 for ops that only update a resource). Inputs are tfjs tensors or raw handles from
 * `int64Scalar`. The outputs are ordinary tfjs tensors (tracked by tidy); no gradient is
 * recorded, so callers wrap these in tf.customGrad where one is needed.
 */
export function native(op: string, attrs: NativeAttr[], inputs: (tf.Tensor | RawHandle)[], outputs = 1): tf.Tensor[] {
  const be = node();
  const ids = inputs.map((t) => (t instanceof RawHandle ? t.id : be.getInputTensorIds([t])[0]));
  return be.binding.executeOp(op, attrs, ids, outputs).map((m) => be.createOutputTensor(m));
}

/** A native tensor handle outside tfjs' bookkeeping (int64 scalars, which tfjs has no dtype for). */
export class RawHandle {
  constructor(readonly id: number) {}
}

const int32Cache = new Map<string, RawHandle>();
const INT32_CACHE_MAX = 4096;
/**
 * A cached int32 handle: a shape (a vector) or an axis (a scalar) for ops that take one as a
 * tensor. A handle is only read while an op runs, so a full cache can be emptied at any time.
 */
export function int32Handle(values: readonly number[], scalar = false): RawHandle {
  const key = `${scalar ? 's' : 'v'}${values.join(',')}`;
  let h = int32Cache.get(key);
  if (!h) {
    const b = node().binding;
    if (int32Cache.size >= INT32_CACHE_MAX) {
      for (const old of int32Cache.values()) b.deleteTensor(old.id);
      int32Cache.clear();
    }
    h = new RawHandle(b.createTensor(scalar ? [] : [values.length], b.TF_INT32, Int32Array.from(values)));
    int32Cache.set(key, h);
  }
  return h;
}

const int64Cache = new Map<number, RawHandle>();
/** A cached int64 scalar handle (e.g. BlockLSTM's seq_len_max); kept for the process' life. */
export function int64Scalar(value: number): RawHandle {
  let h = int64Cache.get(value);
  if (!h) {
    h = new RawHandle(node().binding.createTensor([], node().binding.TF_INT64, new Int32Array([value, value < 0 ? -1 : 0])));
    int64Cache.set(value, h);
  }
  return h;
}
