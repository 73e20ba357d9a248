import { EmofuseError } from './errors.ts';

/**
 * The scalar metrics that choose things (fusion weights, sweeps). They live in core so that
 * fusion can score validation data without importing eval; eval builds its full report on the
 * same functions, and its tests check every one against scikit-learn.
 */
export type MetricName = 'ua' | 'wa' | 'f1' | 'macroF1';
export const METRIC_NAMES: readonly MetricName[] = ['ua', 'wa', 'f1', 'macroF1'];

/** Higher is better. `truth` and `pred` are class indices in [0, numClasses). */
export type Scorer = (truth: ArrayLike<number>, pred: ArrayLike<number>, numClasses: number) => number;

/** Row-major k x k counts, rows = true class, columns = predicted class (sklearn's layout). */
export function confusionCounts(truth: ArrayLike<number>, pred: ArrayLike<number>, k: number, where = 'predictions'): Float64Array {
  if (truth.length !== pred.length) {
    throw new EmofuseError(`${truth.length} labels but ${pred.length} predictions`, { where, fix: 'score predictions for exactly the labelled utterances' });
  }
  const cm = new Float64Array(k * k);
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = pred[i];
    if (!(Number.isInteger(t) && t >= 0 && t < k)) throw new EmofuseError(`label at row ${i} is ${t}, not a class index in [0, ${k})`, { where });
    if (!(Number.isInteger(p) && p >= 0 && p < k)) throw new EmofuseError(`prediction at row ${i} is ${p}, not a class index in [0, ${k})`, { where });
    cm[t * k + p]++;
  }
  return cm;
}

/**
 * One metric from a confusion matrix. Semantics (scikit-learn 1.x, zero_division=0):
 * - wa: accuracy_score.
 * - ua: balanced_accuracy_score = mean recall over classes WITH support; a class that is only
 *   predicted, never true, is left out (recall_score(average='macro') would count it as 0).
 * - f1: f1_score(average='weighted'): per-class F1 weighted by support.
 * - macroF1: f1_score(average='macro') with sklearn's default labels, i.e. the mean F1 over
 *   classes that occur in the labels or the predictions; a class in neither is left out.
 */
export function scoreConfusion(metric: MetricName, cm: ArrayLike<number>, k: number): number {
  let total = 0;
  let correct = 0;
  for (let c = 0; c < k; c++) {
    correct += cm[c * k + c];
    for (let p = 0; p < k; p++) total += cm[c * k + p];
  }
  if (total === 0) throw new EmofuseError('cannot score an empty set of predictions', { where: metric });
  if (metric === 'wa') return correct / total;
  let sum = 0;
  let n = 0;
  for (let c = 0; c < k; c++) {
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      support += cm[c * k + j];
      predicted += cm[j * k + c];
    }
    const tp = cm[c * k + c];
    if (metric === 'ua') {
      if (support > 0) { sum += tp / support; n++; }
    } else {
      const denom = support + predicted;
      const f1 = denom > 0 ? (2 * tp) / denom : 0;
      if (metric === 'f1') sum += f1 * support;
      else if (denom > 0) { sum += f1; n++; }
    }
  }
  if (metric === 'f1') return sum / total;
  if (metric === 'ua' || metric === 'macroF1') return sum / n;
  throw new EmofuseError(`unknown metric ${JSON.stringify(metric)}`, { fix: `use one of ${METRIC_NAMES.join(', ')}` });
}

export const BASIC_SCORERS: Readonly<Record<MetricName, Scorer>> = Object.freeze(
  Object.fromEntries(
    METRIC_NAMES.map((m) => [m, (t: ArrayLike<number>, p: ArrayLike<number>, k: number) => scoreConfusion(m, confusionCounts(t, p, k), k)]),
  ) as Record<MetricName, Scorer>,
);

/** Labels as class indices, in the order of `ids`. A Map is looked up by id; an array must follow `ids`. */
export function labelIndices(
  ids: readonly string[],
  classes: readonly string[],
  labels: ReadonlyMap<string, string> | readonly string[],
  where = 'labels',
): Int32Array {
  const index = new Map(classes.map((c, i) => [c, i]));
  if (Array.isArray(labels) && labels.length !== ids.length) {
    throw new EmofuseError(`${labels.length} labels for ${ids.length} utterances`, { where, fix: 'pass one label per utterance in the order of the posteriors, or a Map from id to label' });
  }
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const name = Array.isArray(labels) ? labels[i] : (labels as ReadonlyMap<string, string>).get(ids[i]);
    if (name === undefined) throw new EmofuseError(`no label for utterance ${ids[i]}`, { where, fix: 'labels must cover every scored utterance' });
    const c = index.get(name);
    if (c === undefined) throw new EmofuseError(`utterance ${ids[i]} has label ${JSON.stringify(name)}, not one of ${classes.join(', ')}`, { where });
    out[i] = c;
  }
  return out;
}

/** Index of the largest value in each row; ties go to the first class (numpy's argmax). */
export function argmaxRows(probs: ArrayLike<number>, k: number, out = new Int32Array(probs.length / k)): Int32Array {
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    let bestV = probs[r * k];
    for (let c = 1; c < k; c++) {
      const v = probs[r * k + c];
      if (v > bestV) { best = c; bestV = v; }
    }
    out[r] = best;
  }
  return out;
}
