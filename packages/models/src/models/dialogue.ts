/**
 * Training and prediction over whole dialogues, for models whose descriptor has context
 * 'dialogue' (bc-lstm). Batches are dialogues (utterances in order, padded to the longest of the
 * batch), the loss is the mean cross-entropy over real utterances only. tfjs arrives as a
 * parameter (captured from the build tools), so this module stays tfjs-free at import time.
 */
import type * as TF from '@tensorflow/tfjs';
import { EmofuseError, argmaxRows, indexOfIds, isSparse, toDense, type Posteriors } from '@emofuse/core';
import type { DialogueIndex, ModelInputs } from '../descriptor.ts';
import type { EmofuseModel } from '../model.ts';
import type { LabelledPart, PartScores, TrainData, TrainOptions, TrainResult } from '../train.ts';
import type { Labels } from '../tensors.ts';

/** How one utterance becomes the vector the dialogue model reads. */
export interface UtteranceVectors {
  tf: typeof TF;
  /** 'mean': mean of the real words' vectors; 'model': T of a trained text model's extractor. */
  text?: { kind: 'mean' } | { kind: 'vector' } | { kind: 'model'; extractor: TF.LayersModel };
  speech?: boolean;
  /** Width of the vector (plus the 1 that marks real utterances). */
  dim: number;
  /**
   * Per-feature mean and sd of the training utterances' vectors, set by training and applied to
   * every vector after (a mean of word vectors varies little between utterances: unscaled, the
   * LSTM barely moved in 10 epochs).
   */
  norm?: { mean: Float64Array; sd: Float64Array };
}

export interface Dialogue {
  id: string;
  ids: string[];
  x: Float32Array;
  y?: Int32Array;
}

/**
 * Utterance vectors for `ids`: [text; speech; 1], row-major. The trailing 1 marks a real
 * utterance, so the zero padding of a batch is exactly what the masking layer skips (a real
 * utterance is never all zeros).
 */
export function utteranceVectors(v: UtteranceVectors, inputs: ModelInputs, ids: readonly string[], where: string): Float32Array {
  const out = new Float32Array(ids.length * v.dim);
  let off = 0;
  if (v.text) {
    const t = inputs.text;
    if (!t) throw new EmofuseError('needs text inputs but none were given', { where, fix: 'pass inputs.text' });
    const idx = Array.from(indexOfIds(t.ids, ids, `${where}: text features`));
    let w: number;
    if (v.text.kind === 'vector' || !('steps' in t)) {
      if ('steps' in t) throw new EmofuseError('expected one text vector per utterance, got word sequences', { where });
      w = t.dim;
      const dense = isSparse(t) ? toDense(t) : t;
      idx.forEach((r, i) => out.set(dense.values.subarray(r * t.dim, (r + 1) * t.dim), i * v.dim));
    } else if (v.text.kind === 'mean') {
      w = t.dim;
      idx.forEach((r, i) => {
        const len = Math.min(t.lengths[r], t.steps);
        for (let s = 0; s < len; s++) {
          const o = (r * t.steps + s) * t.dim;
          for (let j = 0; j < t.dim; j++) out[i * v.dim + j] += t.values[o + j] / len;
        }
      });
    } else {
      const { tf, text: { extractor } } = v as UtteranceVectors & { text: { extractor: TF.LayersModel } };
      w = extractor.outputs[0].shape[1] as number;
      const per = t.steps * t.dim;
      for (let start = 0; start < idx.length; start += 256) {
        const rows = idx.slice(start, start + 256);
        const xs = new Float32Array(rows.length * per);
        const mask = new Float32Array(rows.length * t.steps);
        rows.forEach((r, i) => {
          xs.set(t.values.subarray(r * per, (r + 1) * per), i * per);
          mask.fill(1, i * t.steps, i * t.steps + Math.min(t.lengths[r], t.steps));
        });
        const T = tf.tidy(() => extractor.apply([tf.tensor3d(xs, [rows.length, t.steps, t.dim]), tf.tensor2d(mask, [rows.length, t.steps])], { training: false }) as TF.Tensor);
        const vals = T.dataSync() as Float32Array;
        T.dispose();
        rows.forEach((_, i) => out.set(vals.subarray(i * w, (i + 1) * w), (start + i) * v.dim));
      }
    }
    off = w;
  }
  if (v.speech) {
    const s = inputs.speech;
    if (!s) throw new EmofuseError('needs speech inputs but none were given', { where, fix: 'pass inputs.speech' });
    indexOfIds(s.ids, ids, `${where}: speech features`).forEach((r, i) => out.set(s.values.subarray(r * s.dim, (r + 1) * s.dim), i * v.dim + off));
    off += s.dim;
  }
  if (v.norm) {
    for (let i = 0; i < ids.length; i++) for (let j = 0; j < off; j++) out[i * v.dim + j] = (out[i * v.dim + j] - v.norm.mean[j]) / v.norm.sd[j];
  }
  if (off + 1 !== v.dim) throw new EmofuseError(`utterance vectors are ${off + 1}-d, the model was built for ${v.dim}`, { where, fix: 'use the feature settings the model was built with' });
  for (let i = 0; i < ids.length; i++) out[i * v.dim + off] = 1;
  return out;
}

/** The ids of the inputs (text rows' order, else speech rows'). */
function idsOf(inputs: ModelInputs): string[] {
  const m = inputs.text ?? inputs.speech;
  if (!m) throw new EmofuseError('no inputs were given', { where: 'dialogue model' });
  return m.ids;
}

function label(labels: Labels, id: string, i: number): string | undefined {
  if (Array.isArray(labels)) return (labels as string[])[i];
  return labels instanceof Map ? labels.get(id) : (labels as Record<string, string>)[id];
}

/** Groups the inputs' utterances into dialogues, each in order; labels optional. */
export function dialoguesOf(v: UtteranceVectors, inputs: ModelInputs, classes: string[], where: string, labels?: Labels): Dialogue[] {
  const idx: DialogueIndex | undefined = inputs.dialogues;
  if (!idx) throw new EmofuseError('reads whole dialogues, but no dialogue index was given', { where, fix: 'pass inputs.dialogues (dialogue id and position of every utterance)' });
  const ids = idsOf(inputs);
  if (ids.length === 0) throw new EmofuseError('has no utterances', { where });
  const cls = new Map(classes.map((c, i) => [c, i]));
  const y = new Map<string, number>();
  if (labels) {
    ids.forEach((id, i) => {
      const l = label(labels, id, i);
      const k = l === undefined ? undefined : cls.get(l);
      if (k === undefined) throw new EmofuseError(`utterance ${id} has ${l === undefined ? 'no label' : `label ${JSON.stringify(l)}, not one of ${classes.join(', ')}`}`, { where });
      y.set(id, k);
    });
  }
  const groups = new Map<string, string[]>();
  for (const id of ids) {
    const d = idx.dialogue.get(id);
    if (d === undefined) throw new EmofuseError(`utterance ${id} has no dialogue in the dialogue index`, { where, fix: 'give every utterance a dialogue id' });
    groups.set(d, [...(groups.get(d) ?? []), id]);
  }
  const all = utteranceVectors(v, inputs, ids, where);
  const row = new Map(ids.map((id, i) => [id, i]));
  return [...groups.entries()].map(([id, members]) => {
    const ordered = members.slice().sort((a, b) => (idx.order.get(a) ?? 0) - (idx.order.get(b) ?? 0) || (a < b ? -1 : 1));
    const x = new Float32Array(ordered.length * v.dim);
    ordered.forEach((u, i) => x.set(all.subarray(row.get(u)! * v.dim, (row.get(u)! + 1) * v.dim), i * v.dim));
    return { id, ids: ordered, x, y: labels ? Int32Array.from(ordered, (u) => y.get(u)!) : undefined };
  });
}

/** A batch of dialogues as (B, U, dim) inputs, (B, U) labels and (B, U) mask of real utterances. */
function batch(tf: typeof TF, ds: Dialogue[], dim: number) {
  const u = Math.max(...ds.map((d) => d.ids.length));
  const x = new Float32Array(ds.length * u * dim);
  const y = new Int32Array(ds.length * u);
  const mask = new Float32Array(ds.length * u);
  ds.forEach((d, b) => {
    x.set(d.x, b * u * dim);
    if (d.y) y.set(d.y, b * u);
    mask.fill(1, b * u, b * u + d.ids.length);
  });
  return { u, x: tf.tensor3d(x, [ds.length, u, dim]), y: tf.tensor2d(y, [ds.length, u], 'int32'), mask: tf.tensor2d(mask, [ds.length, u]) };
}

const EPS = 1e-7;

/** Mean (weighted) cross-entropy over the real utterances of a batch (padding is masked out). */
function maskedLoss(tf: typeof TF, probs: TF.Tensor, y: TF.Tensor, mask: TF.Tensor, k: number, weights: TF.Tensor1D | null): TF.Scalar {
  const onehot = tf.oneHot(y as TF.Tensor2D, k);
  let per = tf.neg(tf.sum(tf.mul(onehot, tf.log(tf.clipByValue(probs, EPS, 1 - EPS))), -1));
  if (weights) per = tf.mul(per, tf.gather(weights, y));
  return tf.div(tf.sum(tf.mul(per, mask)), tf.sum(mask)) as TF.Scalar;
}

/** Posteriors of every utterance of `ds`, rows in dialogue order (a batch of dialogues at a time). */
function run(tf: typeof TF, net: TF.LayersModel, ds: Dialogue[], dim: number, k: number, per = 8): Float32Array[] {
  const out: Float32Array[] = [];
  for (let s = 0; s < ds.length; s += per) {
    const part = ds.slice(s, s + per);
    const b = batch(tf, part, dim);
    const p = tf.tidy(() => net.apply(b.x, { training: false }) as TF.Tensor);
    const vals = p.dataSync() as Float32Array;
    tf.dispose([p, b.x, b.y, b.mask]);
    part.forEach((d, i) => out.push(vals.slice(i * b.u * k, (i * b.u + d.ids.length) * k)));
  }
  return out;
}

/** Mean cross-entropy over every utterance of `ds`, and each one's true and predicted class. */
function scores(probs: Float32Array[], ds: Dialogue[], k: number): PartScores {
  const truth = Int32Array.from(ds.flatMap((d) => [...d.y!]));
  const pred = new Int32Array(truth.length);
  let loss = 0;
  let n = 0;
  ds.forEach((d, di) => d.y!.forEach((yi, i) => {
    const row = probs[di].subarray(i * k, (i + 1) * k);
    loss -= Math.log(Math.min(Math.max(row[yi], EPS), 1 - EPS));
    pred[n++] = argmaxRows(row, k)[0];
  }));
  return { loss: loss / n, truth, pred };
}

/** Standardises the utterance vectors on the training utterances only (the trailing 1 is left alone). */
function standardise(v: UtteranceVectors, train: ModelInputs, where: string): void {
  v.norm = undefined;
  const x = utteranceVectors(v, train, idsOf(train), where);
  const n = x.length / v.dim;
  const f = v.dim - 1;
  const mean = new Float64Array(f), sd = new Float64Array(f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j] += x[i * v.dim + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) sd[j] += (x[i * v.dim + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < f; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  v.norm = { mean, sd };
}

/**
 * Trains over whole dialogues with the shared loop: a batch is `batchDialogues` dialogues (padded
 * to the longest), the loss the masked cross-entropy over their real utterances.
 */
export async function trainDialogues(model: EmofuseModel, v: UtteranceVectors, data: TrainData, options: TrainOptions, batchDialogues: number): Promise<TrainResult> {
  // loaded on demand: this module stays tfjs-free at import (the config entry imports it)
  const { adamEpochs, fit, trainSettings } = await import('../train.ts');
  const s = trainSettings(model.type, options);
  const { tf } = v;
  const k = model.classes.length;
  standardise(v, data.train.inputs, `${model.type}: training data`);
  const prep = (p: LabelledPart, what: string) => dialoguesOf(v, p.inputs, model.classes, `${model.type}: ${what}`, p.labels);
  const train = prep(data.train, 'training data');
  const valid = data.valid ? prep(data.valid, 'validation data') : undefined;
  const dialogues = adamEpochs(model, {
    units: train.length,
    batchSize: batchDialogues,
    labels: Int32Array.from(train.flatMap((d) => [...d.y!])),
    shuffleKey: 'dialogues',
    batch(units: number[]) {
      const ds = units.map((i) => train[i]);
      return { ...batch(tf, ds, v.dim), rows: ds.reduce((a, d) => a + d.ids.length, 0) };
    },
    loss(b, weights) {
      const probs = model.net.apply(b.x, { training: true }) as TF.Tensor;
      const right = tf.sum(tf.mul(tf.cast(tf.equal(tf.argMax(probs, -1), b.y), 'float32'), b.mask)) as TF.Scalar;
      return { loss: maskedLoss(tf, probs, b.y, b.mask, k, weights), right };
    },
    validate: valid && (() => scores(run(tf, model.net, valid, v.dim, k), valid, k)),
  }, s);
  return fit(model, dialogues, s, options);
}

/** Posteriors of every input utterance, each dialogue read whole and in order; rows follow the inputs' ids. */
export function predictDialogues(model: EmofuseModel, v: UtteranceVectors, inputs: ModelInputs): Posteriors {
  const k = model.classes.length;
  const ds = dialoguesOf(v, inputs, model.classes, `${model.type}: predict`);
  const probs = run(v.tf, model.net, ds, v.dim, k);
  const row = new Map<string, Float32Array>();
  ds.forEach((d, di) => d.ids.forEach((id, i) => row.set(id, probs[di].subarray(i * k, (i + 1) * k))));
  const ids = idsOf(inputs);
  const out = new Float32Array(ids.length * k);
  ids.forEach((id, i) => out.set(row.get(id)!, i * k));
  return { ids: [...ids], classes: [...model.classes], probs: out };
}
