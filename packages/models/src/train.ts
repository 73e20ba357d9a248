/**
 * The training loop, one for every model type. Read top-down:
 * - `trainSettings`: every default in one place (TRAIN_DEFAULTS; epochs 'auto' = the descriptor's
 *   defaultEpochs).
 * - `fit`: epochs, early stopping on the monitored quantity, restore-best, epoch logs, abort.
 * - `adamEpochs`: what an epoch is for a gradient model (seeded shuffle, Adam, class weights);
 *   a model supplies only its batches and loss (`BatchSource`): utterances here, whole dialogues
 *   in models/dialogue.ts. The convex linear model brings its own epoch (one L-BFGS fit per C).
 * - `train`: the utterance models' batches.
 */
import * as tf from '@tensorflow/tfjs';
import { BASIC_SCORERS, EmofuseError, makeRng, shuffled } from '@emofuse/core';
import { autoEpochs, TRAIN_DEFAULTS } from './train-config.ts';
import { crossEntropyFromLogits, releaseLogits } from './fused-loss.ts';
import type { EmofuseModel, EpochLog, LabelledPart, TrainData, TrainOptions, TrainResult } from './types.ts';
import { makeAdam } from './optimizer.ts';
import { batchTensors, hostInputs, trainingLabels, type HostInputs } from './tensors.ts';

export type { LabelledPart, TrainData, EpochLog, BatchProgress, TrainOptions, TrainResult } from './types.ts';

/** The settings of a training run: the options given, else TRAIN_DEFAULTS ('auto' epochs: the type's defaultEpochs). */
export function trainSettings(type: string, options: TrainOptions) {
  const epochs = options.epochs ?? TRAIN_DEFAULTS.epochs;
  const s = {
    epochs: epochs === 'auto' ? autoEpochs(type) : epochs,
    batchSize: options.batchSize ?? TRAIN_DEFAULTS.batchSize,
    learningRate: options.learningRate ?? TRAIN_DEFAULTS.learningRate,
    patience: options.patience ?? TRAIN_DEFAULTS.patience,
    monitor: options.monitor ?? TRAIN_DEFAULTS.monitor,
    classWeights: options.classWeights ?? TRAIN_DEFAULTS.classWeights,
    seed: options.seed,
  };
  for (const name of ['epochs', 'batchSize'] as const) {
    const v = s[name];
    if (!Number.isInteger(v) || v <= 0) throw new EmofuseError(`${name} must be a positive integer, got ${v}`, { where: `train.${name}` });
  }
  return s;
}
export type TrainSettings = ReturnType<typeof trainSettings>;

/** sklearn's 'balanced': n / (k * n_c); a class absent from training gets weight 0. */
export function balancedClassWeights(y: Int32Array, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const c of y) counts[c]++;
  return counts.map((n) => (n === 0 ? 0 : y.length / (k * n)));
}

/** A part scored with the current weights: mean unweighted cross-entropy, each row's true and predicted class. */
export interface PartScores {
  loss: number;
  truth: Int32Array;
  pred: Int32Array;
}

export interface EpochContext {
  epoch: number;
  signal?: AbortSignal;
  /** Reports a finished batch (the loop turns it into `onProgress`). */
  progress(batch: number, batches: number): void;
}

/**
 * What the loop drives: one model's way through an epoch, and its scores on the validation part.
 * Gradient models get theirs from `adamEpochs` (they supply batches and a loss); the convex
 * linear model fits one C value per "epoch".
 */
export interface Trainable {
  /** One pass over the training part: its mean loss and accuracy; null when the signal stopped it midway. */
  epoch(ctx: EpochContext): Promise<{ loss: number; acc: number } | null>;
  /** Scores on the validation part; absent without one (then the model trains for all epochs). */
  validate?: () => PartScores;
  classWeights: number[] | null;
  dispose(): void;
}

/**
 * The training loop, the only one: epochs, early stopping on the monitored quantity (`patience`
 * epochs without a new best), the best epoch's weights restored, epoch logs and the abort signal.
 * The validation loss is never class-weighted (it is what early stopping compares).
 */
export async function fit(model: EmofuseModel, trainable: Trainable, s: TrainSettings, options: Pick<TrainOptions, 'onEpochEnd' | 'onProgress' | 'signal'>): Promise<TrainResult> {
  const k = model.classes.length;
  const history: EpochLog[] = [];
  let best: { value: number; epoch: number; weights: tf.Tensor[] } | undefined;
  let sinceBest = 0;
  let stoppedEarly = false;
  let aborted = false;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  try {
    for (let epoch = 1; epoch <= s.epochs; epoch++) {
      const te = performance.now();
      const progress = (batch: number, batches: number) => options.onProgress?.({ epoch, epochs: s.epochs, batch, batches, elapsed: elapsed() });
      const trained = options.signal?.aborted ? null : await trainable.epoch({ epoch, signal: options.signal, progress });
      if (!trained) { aborted = true; break; }
      const log: EpochLog = { epoch, trainLoss: trained.loss, trainAcc: trained.acc, seconds: 0 };
      const valid = trainable.validate?.();
      if (valid) {
        log.validLoss = valid.loss;
        log.validAcc = BASIC_SCORERS.wa(valid.truth, valid.pred, k);
      }
      log.seconds = (performance.now() - te) / 1000;
      history.push(log);
      if (valid) {
        // lower is better for both: UA enters negated
        const monitored = s.monitor === 'valid_ua' ? -BASIC_SCORERS.ua(valid.truth, valid.pred, k) : valid.loss;
        if (best === undefined || monitored < best.value) {
          best?.weights.forEach((w) => w.dispose());
          best = { value: monitored, epoch, weights: model.net.getWeights().map((w) => tf.keep(w.clone())) };
          sinceBest = 0;
        } else {
          sinceBest += 1;
        }
      }
      await options.onEpochEnd?.(log, { epochs: s.epochs, elapsed: elapsed() });
      // let a Ctrl-C handler run and abort the signal
      if (options.signal) await new Promise((r) => setImmediate(r));
      // as Keras' EarlyStopping: an improving epoch never stops training
      if (valid && sinceBest > 0 && sinceBest >= s.patience && epoch < s.epochs) {
        stoppedEarly = true;
        break;
      }
    }
    if (best && best.epoch !== history.length) model.net.setWeights(best.weights);
  } finally {
    best?.weights.forEach((w) => w.dispose());
    trainable.dispose();
  }
  return { history, bestEpoch: best?.epoch ?? history.length, epochs: s.epochs, stoppedEarly, aborted, classWeights: trainable.classWeights, seconds: elapsed() };
}

/** What a model trained by Adam on shuffled batches supplies: its batches and the loss of one. */
export interface BatchSource<B extends { rows: number }> {
  /** Training units the epoch shuffles (utterances, or whole dialogues), and how many make a batch. */
  units: number;
  batchSize: number;
  /** Every training utterance's class, for balanced class weights. */
  labels: Int32Array;
  /** Names the seeded shuffle (each model keeps its own, so its numbers stay as recorded). */
  shuffleKey: string;
  /** Input tensors of these units; `rows` = utterances the loss averages over. Disposed by the step. */
  batch(units: number[]): B;
  /** Training-mode forward pass: the mean (class-weighted) loss and the number of correct rows. */
  loss(batch: B, weights: tf.Tensor1D | null): { loss: tf.Scalar; right: tf.Scalar };
  validate?: () => PartScores;
}

/**
 * Epochs of Adam over shuffled batches (seeded), the training loss and accuracy summed on the
 * device (one read per epoch). Class weights scale each training row's loss.
 */
export function adamEpochs<B extends { rows: number }>(model: EmofuseModel, src: BatchSource<B>, s: TrainSettings): Trainable {
  const cw = s.classWeights === 'balanced' ? balancedClassWeights(src.labels, model.classes.length) : null;
  const rng = makeRng(`${s.seed ?? model.seed}:${src.shuffleKey}`);
  const optimizer = makeAdam(model.net.trainableWeights.map((w) => w.read() as tf.Variable), s.learningRate);
  const weights = cw ? tf.keep(tf.tensor1d(cw)) : null;
  const all = Array.from({ length: src.units }, (_, i) => i);
  const batches = Math.ceil(src.units / src.batchSize);
  return {
    classWeights: cw,
    validate: src.validate,
    async epoch({ signal, progress }) {
      const order = shuffled(all, rng);
      let lossSum: tf.Tensor = tf.keep(tf.scalar(0));
      let rightSum: tf.Tensor = tf.keep(tf.scalar(0));
      let seen = 0;
      try {
        for (let b = 0; b < batches; b++) {
          if (signal?.aborted) return null;
          const units = order.slice(b * src.batchSize, (b + 1) * src.batchSize);
          tf.tidy(() => {
            const batch = src.batch(units);
            let right: tf.Scalar | undefined;
            const loss = optimizer.minimize(() => {
              const out = src.loss(batch, weights);
              right = tf.keep(out.right);
              return out.loss;
            });
            releaseLogits();
            const nextLoss = tf.add(lossSum, tf.mul(loss, batch.rows));
            const nextRight = tf.add(rightSum, right!);
            right!.dispose();
            lossSum.dispose();
            rightSum.dispose();
            lossSum = tf.keep(nextLoss);
            rightSum = tf.keep(nextRight);
            seen += batch.rows;
          });
          progress(b + 1, batches);
          // let a Ctrl-C handler run and abort the signal
          if (signal) await new Promise((r) => setImmediate(r));
        }
        return { loss: seen ? lossSum.dataSync()[0] / seen : NaN, acc: seen ? rightSum.dataSync()[0] / seen : NaN };
      } finally {
        lossSum.dispose();
        rightSum.dispose();
      }
    },
    dispose() {
      weights?.dispose();
      optimizer.dispose();
    },
  };
}

interface Part {
  host: HostInputs;
  y: Int32Array;
}

function preparePart(model: EmofuseModel, part: LabelledPart, where: string): Part {
  const host = hostInputs(model, part.inputs, where);
  if (host.ids.length === 0) throw new EmofuseError('has no utterances', { where });
  return { host, y: trainingLabels(host.ids, model.classes, part.labels, where) };
}

const EPS = 1e-7;

/** Mean (weighted) categorical cross-entropy of softmax outputs, clipped as Keras does. */
function crossEntropy(probs: tf.Tensor, yIdx: tf.Tensor1D, k: number, weights: tf.Tensor1D | null): tf.Scalar {
  const fused = crossEntropyFromLogits(probs, yIdx, k, weights);
  if (fused) return fused;
  const onehot = tf.oneHot(yIdx, k);
  const perRow = tf.neg(tf.sum(tf.mul(onehot, tf.log(tf.clipByValue(probs, EPS, 1 - EPS))), -1));
  return weights ? tf.mean(tf.mul(perRow, tf.gather(weights, yIdx))) : tf.mean(perRow);
}

/** Loss and predictions over a whole part, in large batches, without dropout. */
function evaluatePart(model: EmofuseModel, part: Part, batchSize: number): PartScores {
  const n = part.y.length;
  const k = model.classes.length;
  const pred = new Int32Array(n);
  let lossSum = 0;
  for (let start = 0; start < n; start += batchSize) {
    const rows = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const [l, p] = tf.tidy(() => {
      const xs = batchTensors(part.host, rows);
      const probs = model.net.apply(xs, { training: false }) as tf.Tensor;
      const y = tf.tensor1d(part.y.subarray(start, start + rows.length), 'int32');
      return [tf.mul(crossEntropy(probs, y, k, null), rows.length), tf.argMax(probs, -1)];
    });
    lossSum += (l.dataSync() as Float32Array)[0];
    pred.set(p.dataSync() as Int32Array, start);
    l.dispose();
    p.dispose();
  }
  return { loss: lossSum / n, truth: part.y, pred };
}

interface UtteranceBatch {
  rows: number;
  xs: tf.Tensor[];
  y: tf.Tensor1D;
}

/** Utterances in batches of `batchSize`, each row one utterance's inputs. */
function utteranceBatches(model: EmofuseModel, data: TrainData, batchSize: number): BatchSource<UtteranceBatch> {
  const train = preparePart(model, data.train, `${model.type}: training data`);
  const valid = data.valid ? preparePart(model, data.valid, `${model.type}: validation data`) : undefined;
  const k = model.classes.length;
  return {
    units: train.y.length,
    batchSize,
    labels: train.y,
    shuffleKey: 'shuffle',
    batch: (rows: number[]) => ({ rows: rows.length, xs: batchTensors(train.host, rows), y: tf.tensor1d(Int32Array.from(rows, (r) => train.y[r]), 'int32') }),
    loss(b, weights) {
      const probs = model.net.apply(b.xs, { training: true }) as tf.Tensor;
      const right = tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), b.y), 'float32')) as tf.Scalar;
      return { loss: crossEntropy(probs, b.y, k, weights), right };
    },
    validate: valid && (() => evaluatePart(model, valid, Math.max(256, batchSize))),
  };
}

/**
 * Trains a model that reads one utterance at a time: Adam and categorical cross-entropy on
 * shuffled batches of utterances, driven by `fit`.
 */
export async function train(model: EmofuseModel, data: TrainData, options: TrainOptions = {}): Promise<TrainResult> {
  const s = trainSettings(model.type, options);
  return fit(model, adamEpochs(model, utteranceBatches(model, data, s.batchSize), s), s, options);
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

/**
 * One line per epoch for the terminal, e.g.
 * `epoch  3/20  loss 1.2345 acc 0.456 | valid loss 1.3000 acc 0.410 | 4.2s, about 1m10s left`.
 * Time left assumes every remaining epoch runs (early stopping can only make it shorter).
 */
export function formatEpochLine(log: EpochLog, epochs: number, elapsed: number): string {
  const w = String(epochs).length;
  const parts = [`epoch ${String(log.epoch).padStart(w)}/${epochs}  loss ${log.trainLoss.toFixed(4)} acc ${log.trainAcc.toFixed(3)}`];
  if (log.validLoss !== undefined) parts.push(`valid loss ${log.validLoss.toFixed(4)} acc ${log.validAcc!.toFixed(3)}`);
  const left = (elapsed / log.epoch) * (epochs - log.epoch);
  parts.push(`${log.seconds.toFixed(1)}s, ${log.epoch === epochs ? 'done' : `about ${clock(left)} left`}`);
  return parts.join(' | ');
}
