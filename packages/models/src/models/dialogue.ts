/**
 * Training and prediction over whole dialogues, for models whose descriptor has context
 * 'dialogue' (bc-lstm). Batches are dialogues (utterances in order, padded to the longest of the
 * batch), the loss is the mean cross-entropy over real utterances only. tfjs arrives as a
 * parameter (captured from the build tools), so this module stays tfjs-free at import time.
 */
import type * as TF from '@tensorflow/tfjs';
import { EmofuseError, indexOfIds, isSparse, makeRng, shuffled, toDense, type Posteriors } from '@emofuse/core';
import type { DialogueIndex, ModelInputs } from '../descriptor.ts';
import type { EmofuseModel } from '../model.ts';
import type { EpochLog, LabelledPart, TrainData, TrainOptions, TrainResult } from '../train.ts';
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

/** Sum of (weighted) cross-entropy over real utterances, and the number of them. */
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

function scores(probs: Float32Array[], ds: Dialogue[], k: number) {
  let loss = 0, n = 0, right = 0;
  const hit = new Float64Array(k), count = new Float64Array(k);
  ds.forEach((d, di) => d.y!.forEach((yi, i) => {
    const row = probs[di].subarray(i * k, (i + 1) * k);
    let arg = 0;
    for (let c = 1; c < k; c++) if (row[c] > row[arg]) arg = c;
    loss -= Math.log(Math.min(Math.max(row[yi], EPS), 1 - EPS));
    n++;
    count[yi]++;
    if (arg === yi) { right++; hit[yi]++; }
  }));
  let ua = 0, present = 0;
  for (let c = 0; c < k; c++) if (count[c]) { ua += hit[c] / count[c]; present++; }
  return { loss: loss / n, acc: right / n, ua: ua / present };
}

export interface DialogueTrainSettings {
  /** Dialogues per batch. */
  batchDialogues: number;
  monitor: 'valid_loss' | 'valid_ua';
}

/**
 * Adam on the masked cross-entropy, dialogues shuffled (seeded) each epoch; early stopping on the
 * validation loss or UA with `patience`, best weights restored. Same contract as the shared loop.
 */
export async function trainDialogues(model: EmofuseModel, v: UtteranceVectors, data: TrainData, options: TrainOptions, s: DialogueTrainSettings): Promise<TrainResult> {
  const { tf } = v;
  const epochs = options.epochs === 'auto' || options.epochs === undefined ? 30 : options.epochs;
  const patience = options.patience ?? 6;
  const k = model.classes.length;
  v.norm = undefined;
  const prep = (p: LabelledPart, what: string) => dialoguesOf(v, p.inputs, model.classes, `${model.type}: ${what}`, p.labels);
  {
    // standardise on the training utterances only (the trailing 1 is left alone)
    const x = utteranceVectors(v, data.train.inputs, idsOf(data.train.inputs), `${model.type}: training data`);
    const n = x.length / v.dim;
    const f = v.dim - 1;
    const mean = new Float64Array(f), sd = new Float64Array(f);
    for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j] += x[i * v.dim + j] / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) sd[j] += (x[i * v.dim + j] - mean[j]) ** 2 / n;
    for (let j = 0; j < f; j++) sd[j] = Math.sqrt(sd[j]) || 1;
    v.norm = { mean, sd };
  }
  const train = prep(data.train, 'training data');
  const valid = data.valid ? prep(data.valid, 'validation data') : undefined;
  let cw: number[] | null = null;
  if (options.classWeights === 'balanced') {
    const counts = new Array<number>(k).fill(0);
    let n = 0;
    for (const d of train) for (const c of d.y!) { counts[c]++; n++; }
    cw = counts.map((c) => (c === 0 ? 0 : n / (k * c)));
  }
  const weights = cw ? tf.keep(tf.tensor1d(cw)) : null;
  const optimizer = tf.train.adam(options.learningRate ?? 0.001);
  const vars = model.net.trainableWeights.map((w) => w.read() as TF.Variable);
  const rng = makeRng(`${options.seed ?? model.seed}:dialogues`);
  const history: EpochLog[] = [];
  let best: { value: number; epoch: number; weights: TF.Tensor[] } | undefined;
  let since = 0, stoppedEarly = false, aborted = false;
  const t0 = performance.now();
  const batches = Math.ceil(train.length / s.batchDialogues);
  try {
    for (let epoch = 1; epoch <= epochs && !aborted; epoch++) {
      const te = performance.now();
      const order = shuffled(train, rng);
      let lossSum = 0, rightSum = 0, seen = 0;
      for (let bi = 0; bi < batches; bi++) {
        if (options.signal?.aborted) { aborted = true; break; }
        const ds = order.slice(bi * s.batchDialogues, (bi + 1) * s.batchDialogues);
        const b = batch(tf, ds, v.dim);
        let right: TF.Scalar | undefined;
        const loss = optimizer.minimize(() => {
          const probs = model.net.apply(b.x, { training: true }) as TF.Tensor;
          right = tf.keep(tf.sum(tf.mul(tf.cast(tf.equal(tf.argMax(probs, -1), b.y), 'float32'), b.mask))) as TF.Scalar;
          return maskedLoss(tf, probs, b.y, b.mask, k, weights);
        }, true, vars);
        const real = ds.reduce((a, d) => a + d.ids.length, 0);
        lossSum += loss!.dataSync()[0] * real;
        rightSum += right!.dataSync()[0];
        seen += real;
        tf.dispose([loss!, right!, b.x, b.y, b.mask]);
        options.onProgress?.({ epoch, epochs, batch: bi + 1, batches, elapsed: (performance.now() - t0) / 1000 });
        if (options.signal) await new Promise((r) => setImmediate(r));
      }
      if (aborted) break;
      // as the shared loop: the running (weighted) training loss and accuracy of the epoch, with dropout
      const log: EpochLog = { epoch, trainLoss: lossSum / seen, trainAcc: rightSum / seen, seconds: 0 };
      let value = NaN;
      if (valid) {
        const va = scores(run(tf, model.net, valid, v.dim, k), valid, k);
        log.validLoss = va.loss;
        log.validAcc = va.acc;
        value = s.monitor === 'valid_ua' ? -va.ua : va.loss;
      }
      log.seconds = (performance.now() - te) / 1000;
      history.push(log);
      if (valid && (best === undefined || value < best.value)) {
        best?.weights.forEach((w) => w.dispose());
        best = { value, epoch, weights: model.net.getWeights().map((w) => tf.keep(w.clone())) };
        since = 0;
      } else if (valid) {
        since++;
      }
      await options.onEpochEnd?.(log, { epochs, elapsed: (performance.now() - t0) / 1000 });
      if (valid && since > 0 && since >= patience && epoch < epochs) { stoppedEarly = true; break; }
    }
    if (best && best.epoch !== history.length) model.net.setWeights(best.weights);
  } finally {
    best?.weights.forEach((w) => w.dispose());
    weights?.dispose();
    optimizer.dispose();
  }
  return { history, bestEpoch: best?.epoch ?? history.length, epochs, stoppedEarly, aborted, classWeights: cw, seconds: (performance.now() - t0) / 1000 };
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

export interface ContextLSTMArgs {
  units: number;
  /** Input dropout (training only), on every feature but the trailing real-utterance mark. */
  dropout: number;
  seed: number;
  name: string;
}

const classes = new WeakMap<object, new (args: ContextLSTMArgs) => TF.layers.Layer>();

/**
 * A bidirectional LSTM over (batch, utterances, dim) returning every step, (batch, utterances,
 * 2 x units): forward states then backward states. The real utterances are those whose trailing
 * feature is 1; padding is at the end, so the forward pass needs no mask (padded outputs are
 * never scored) and the backward pass keeps its state at zero until the last real utterance.
 * Written out as EmofuseLSTM is (one input projection per direction, ~12 ops a step), because
 * tf.layers.bidirectional(lstm) runs hundreds of ops per step and took 8 min an epoch on IEMOCAP.
 * Gate order i, f, o, g; Keras' initialisers (glorot, orthogonal, forget bias 1).
 */
export function contextLSTM(tf: typeof TF, args: ContextLSTMArgs): TF.layers.Layer {
  let Cls = classes.get(tf);
  if (!Cls) {
    class EmofuseContextBiLSTM extends tf.layers.Layer {
      static className = 'EmofuseContextBiLSTM';
      readonly units: number;
      readonly dropout: number;
      readonly seed: number;
      private w: TF.LayerVariable[] = [];
      private readonly rng: () => number;
      constructor(a: ContextLSTMArgs) {
        super({ name: a.name });
        this.units = a.units;
        this.dropout = a.dropout;
        this.seed = a.seed;
        this.rng = makeRng(`${a.seed}:context-lstm-dropout`);
      }
      override build(inputShape: TF.Shape | TF.Shape[]): void {
        const d = (inputShape as TF.Shape)[2] as number;
        const u = this.units;
        const bias = new Float32Array(4 * u);
        bias.fill(1, u, 2 * u); // forget gate
        this.w = [];
        for (const [i, dir] of ['forward', 'backward'].entries()) {
          this.w.push(this.addWeight(`${dir}_kernel`, [d, 4 * u], 'float32', tf.initializers.glorotUniform({ seed: this.seed + 3 * i })));
          this.w.push(this.addWeight(`${dir}_recurrent_kernel`, [u, 4 * u], 'float32', tf.initializers.orthogonal({ seed: this.seed + 3 * i + 1 })));
          const b = this.addWeight(`${dir}_bias`, [4 * u], 'float32', tf.initializers.zeros());
          const init = tf.tensor1d(bias);
          b.write(init);
          init.dispose();
          this.w.push(b);
        }
        this.built = true;
      }
      override computeOutputShape(s: TF.Shape | TF.Shape[]): TF.Shape {
        const shape = s as TF.Shape;
        return [shape[0], shape[1], 2 * this.units];
      }
      override call(inputs: TF.Tensor | TF.Tensor[], kwargs: Record<string, unknown>): TF.Tensor {
        return tf.tidy(() => {
          let x = (Array.isArray(inputs) ? inputs[0] : inputs) as TF.Tensor3D;
          const [b, steps, d] = x.shape;
          const u = this.units;
          const mask = tf.slice(x, [0, 0, d - 1], [b, steps, 1]); // (b, steps, 1)
          if (kwargs.training === true && this.dropout > 0) x = tf.dropout(x, this.dropout, undefined, Math.floor(this.rng() * 2147483646) + 1) as TF.Tensor3D;
          const flat = tf.reshape(x, [b * steps, d]);
          const run = (k: number, backward: boolean): TF.Tensor2D[] => {
            const [kernel, rec, bias] = this.w.slice(3 * k, 3 * k + 3).map((v) => v.read());
            const proj = tf.reshape(tf.add(tf.matMul(flat, kernel as TF.Tensor2D), bias), [b, steps, 4 * u]);
            const xs = tf.unstack(proj, 1) as TF.Tensor2D[];
            const ms = backward ? (tf.unstack(mask, 1) as TF.Tensor2D[]) : [];
            let h = tf.zeros([b, u]) as TF.Tensor2D;
            let c = tf.zeros([b, u]) as TF.Tensor2D;
            const out: TF.Tensor2D[] = new Array(steps);
            for (let s = 0; s < steps; s++) {
              const t = backward ? steps - 1 - s : s;
              const z = tf.add(xs[t], tf.matMul(h, rec as TF.Tensor2D));
              const [ifo, g] = tf.split(z, [3 * u, u], 1);
              const [i, f, o] = tf.split(tf.sigmoid(ifo), 3, 1);
              c = tf.add(tf.mul(f, c), tf.mul(i, tf.tanh(g))) as TF.Tensor2D;
              h = tf.mul(o, tf.tanh(c)) as TF.Tensor2D;
              if (backward) {
                // trailing padding comes first backwards: keep the state at zero through it
                c = tf.mul(c, ms[t]) as TF.Tensor2D;
                h = tf.mul(h, ms[t]) as TF.Tensor2D;
              }
              out[t] = h;
            }
            return out;
          };
          const fw = tf.stack(run(0, false), 1);
          const bw = tf.stack(run(1, true), 1);
          return tf.concat([fw, bw], 2);
        });
      }
      override getConfig() {
        return { ...super.getConfig(), units: this.units, dropout: this.dropout, seed: this.seed };
      }
    }
    tf.serialization.registerClass(EmofuseContextBiLSTM);
    Cls = EmofuseContextBiLSTM as unknown as new (args: ContextLSTMArgs) => TF.layers.Layer;
    classes.set(tf, Cls);
  }
  return new Cls(args);
}
