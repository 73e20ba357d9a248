import * as tf from '@tensorflow/tfjs';
import { EmofuseError, makeRng, shuffled } from '@emofuse/core';
import { autoEpochs, TRAIN_DEFAULTS } from './train-config.ts';
import { crossEntropyFromLogits, releaseLogits } from './fused-loss.ts';
import type { EmofuseModel, EpochLog, LabelledPart, TrainData, TrainOptions, TrainResult } from './types.ts';
import { makeAdam } from './optimizer.ts';
import { batchTensors, hostInputs, trainingLabels, type HostInputs } from './tensors.ts';

export type { LabelledPart, TrainData, EpochLog, BatchProgress, TrainOptions, TrainResult } from './types.ts';

/** sklearn's 'balanced': n / (k * n_c); a class absent from training gets weight 0. */
export function balancedClassWeights(y: Int32Array, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const c of y) counts[c]++;
  return counts.map((n) => (n === 0 ? 0 : y.length / (k * n)));
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

function correct(probs: tf.Tensor, yIdx: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), yIdx), 'float32'));
}

/** Loss and accuracy over a whole part, in large batches, without dropout. */
function evaluatePart(model: EmofuseModel, part: Part, batchSize: number): { loss: number; acc: number } {
  const n = part.y.length;
  const k = model.classes.length;
  let lossSum = 0;
  let right = 0;
  for (let start = 0; start < n; start += batchSize) {
    const rows = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const [l, c] = tf.tidy(() => {
      const xs = batchTensors(part.host, rows);
      const probs = model.net.apply(xs, { training: false }) as tf.Tensor;
      const y = tf.tensor1d(part.y.subarray(start, start + rows.length), 'int32');
      return [tf.mul(crossEntropy(probs, y, k, null), rows.length), correct(probs, y)];
    });
    lossSum += (l.dataSync() as Float32Array)[0];
    right += (c.dataSync() as Float32Array)[0];
    l.dispose();
    c.dispose();
  }
  return { loss: lossSum / n, acc: right / n };
}

/** Unweighted average recall over the classes present in the part (for `monitor: valid_ua`). */
function validUA(model: EmofuseModel, part: Part, batchSize: number): number {
  const k = model.classes.length;
  const hit = new Array<number>(k).fill(0);
  const count = new Array<number>(k).fill(0);
  for (let start = 0; start < part.y.length; start += batchSize) {
    const rows = Array.from({ length: Math.min(batchSize, part.y.length - start) }, (_, i) => start + i);
    const pred = tf.tidy(() => tf.argMax(model.net.apply(batchTensors(part.host, rows), { training: false }) as tf.Tensor, -1));
    const p = pred.dataSync();
    pred.dispose();
    rows.forEach((r, i) => { count[part.y[r]]++; if (p[i] === part.y[r]) hit[part.y[r]]++; });
  }
  const present = count.filter((c) => c > 0).length;
  return hit.reduce((s, h, c) => s + (count[c] ? h / count[c] : 0), 0) / present;
}

/**
 * Trains with Adam and categorical cross-entropy, shuffling with a seeded generator each epoch.
 * With a validation part: early stopping on validation loss (`patience` epochs without a new
 * minimum), then the weights of the best epoch are restored. Class weights scale each training
 * row's loss; the validation loss is never weighted (it is what early stopping compares).
 */
export async function train(model: EmofuseModel, data: TrainData, options: TrainOptions = {}): Promise<TrainResult> {
  const epochsOpt = options.epochs ?? TRAIN_DEFAULTS.epochs;
  const epochs = epochsOpt === 'auto' ? autoEpochs(model.type) : epochsOpt;
  const batchSize = options.batchSize ?? TRAIN_DEFAULTS.batchSize;
  const patience = options.patience ?? TRAIN_DEFAULTS.patience;
  const lr = options.learningRate ?? TRAIN_DEFAULTS.learningRate;
  for (const [name, v] of [['epochs', epochs], ['batchSize', batchSize]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new EmofuseError(`${name} must be a positive integer, got ${v}`, { where: `train.${name}` });
  }
  const trainPart = preparePart(model, data.train, `${model.type}: training data`);
  const validPart = data.valid ? preparePart(model, data.valid, `${model.type}: validation data`) : undefined;
  const k = model.classes.length;
  const cw = (options.classWeights ?? TRAIN_DEFAULTS.classWeights) === 'balanced' ? balancedClassWeights(trainPart.y, k) : null;

  const rng = makeRng(`${options.seed ?? model.seed}:shuffle`);
  const vars = model.net.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = makeAdam(vars, lr);
  const weights = cw ? tf.keep(tf.tensor1d(cw)) : null;
  const n = trainPart.y.length;
  const batches = Math.ceil(n / batchSize);
  const history: EpochLog[] = [];
  let best: { loss: number; epoch: number; weights: tf.Tensor[] } | undefined;
  let sinceBest = 0;
  let stoppedEarly = false;
  let aborted = false;
  const t0 = performance.now();
  const order0 = Array.from({ length: n }, (_, i) => i);

  try {
    for (let epoch = 1; epoch <= epochs && !aborted; epoch++) {
      const te = performance.now();
      const order = shuffled(order0, rng);
      let lossSum: tf.Tensor = tf.keep(tf.scalar(0));
      let rightSum: tf.Tensor = tf.keep(tf.scalar(0));
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        if (options.signal?.aborted) { aborted = true; break; }
        const rows = order.slice(b * batchSize, (b + 1) * batchSize);
        tf.tidy(() => {
          const xs = batchTensors(trainPart.host, rows);
          const y = tf.tensor1d(Int32Array.from(rows, (r) => trainPart.y[r]), 'int32');
          let right: tf.Scalar | undefined;
          const loss = optimizer.minimize(() => {
            const probs = model.net.apply(xs, { training: true }) as tf.Tensor;
            right = tf.keep(correct(probs, y));
            return crossEntropy(probs, y, k, weights);
          });
          releaseLogits();
          const nextLoss = tf.add(lossSum, tf.mul(loss, rows.length));
          const nextRight = tf.add(rightSum, right!);
          right!.dispose();
          lossSum.dispose();
          rightSum.dispose();
          lossSum = tf.keep(nextLoss);
          rightSum = tf.keep(nextRight);
        });
        seen += rows.length;
        options.onProgress?.({ epoch, epochs, batch: b + 1, batches, elapsed: (performance.now() - t0) / 1000 });
        // let a Ctrl-C handler run and abort the signal
        if (options.signal) await new Promise((r) => setImmediate(r));
      }
      const trainLoss = seen ? lossSum.dataSync()[0] / seen : NaN;
      const trainAcc = seen ? rightSum.dataSync()[0] / seen : NaN;
      lossSum.dispose();
      rightSum.dispose();
      if (aborted) break;
      const log: EpochLog = { epoch, trainLoss, trainAcc, seconds: 0 };
      if (validPart) {
        const v = evaluatePart(model, validPart, Math.max(256, batchSize));
        log.validLoss = v.loss;
        log.validAcc = v.acc;
      }
      log.seconds = (performance.now() - te) / 1000;
      history.push(log);
      // lower is better for both: UA enters negated
      const monitored = validPart && (options.monitor ?? TRAIN_DEFAULTS.monitor) === 'valid_ua' ? -validUA(model, validPart, Math.max(256, batchSize)) : log.validLoss ?? NaN;
      if (validPart && (best === undefined || monitored < best.loss)) {
        best?.weights.forEach((w) => w.dispose());
        best = { loss: monitored, epoch, weights: model.net.getWeights().map((w) => tf.keep(w.clone())) };
        sinceBest = 0;
      } else if (validPart) {
        sinceBest += 1;
      }
      await options.onEpochEnd?.(log, { epochs, elapsed: (performance.now() - t0) / 1000 });
      // as Keras' EarlyStopping: an improving epoch never stops training
      if (validPart && sinceBest > 0 && sinceBest >= patience && epoch < epochs) {
        stoppedEarly = true;
        break;
      }
    }
    if (best && best.epoch !== history.length) model.net.setWeights(best.weights);
  } finally {
    best?.weights.forEach((w) => w.dispose());
    weights?.dispose();
    optimizer.dispose();
  }
  return {
    history,
    bestEpoch: best?.epoch ?? history.length,
    epochs,
    stoppedEarly,
    aborted,
    classWeights: cw,
    seconds: (performance.now() - t0) / 1000,
  };
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
