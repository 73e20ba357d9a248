import { argmaxRows, checkPosteriors, confusionCounts, EmofuseError, labelIndices, scoreConfusion, type Posteriors } from '@emofuse/core';

/** Labels or predictions: class indices into `classes`, or class names. */
export type ClassValues = ArrayLike<number> | readonly string[];

export interface LabelledPredictions {
  /** The class list; indices refer to it, and every per-class output follows its order. */
  classes: readonly string[];
  truth: ClassValues;
  pred: ClassValues;
}

export interface ClassMetrics {
  class: string;
  /** tp / predicted; 0 (with a warning) when the class is never predicted. */
  precision: number;
  /** tp / support; 0 (with a warning) when the class has no support. */
  recall: number;
  /** 2 tp / (support + predicted); 0 (with a warning) when both are 0. */
  f1: number;
  support: number;
  predicted: number;
}

export interface MetricsReport {
  classes: string[];
  n: number;
  /** Weighted accuracy = accuracy_score. */
  wa: number;
  /** Unweighted accuracy = balanced_accuracy_score: mean recall over classes with support. */
  ua: number;
  /** Support-weighted F1 = f1_score(average='weighted'): the paper's F1. */
  f1: number;
  /** f1_score(average='macro'): mean F1 over classes present in labels or predictions. */
  macroF1: number;
  perClass: ClassMetrics[];
  /** Counts, rows = true class, columns = predicted class. */
  confusion: number[][];
  /** Rows divided by their support (sklearn normalize='true'); a row with no support is all 0. */
  confusionRate: number[][];
  /** sklearn's UndefinedMetricWarning cases, as text (the values were set to 0). */
  warnings: string[];
}

/** Class names or indices as indices into `classes`; names the position of a bad value. */
export function toIndices(values: ClassValues, classes: readonly string[], where = 'labels'): Int32Array {
  const k = classes.length;
  const out = new Int32Array(values.length);
  const index = new Map(classes.map((c, i) => [c, i]));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const c = typeof v === 'string' ? index.get(v) : v;
    if (c === undefined || !Number.isInteger(c) || c < 0 || c >= k) {
      throw new EmofuseError(`row ${i} is ${JSON.stringify(v)}, not one of the ${k} classes (${classes.join(', ')}) or an index into them`, { where });
    }
    out[i] = c;
  }
  return out;
}

/**
 * Every metric the project reports, from labels and predictions. Values match scikit-learn
 * (tests compare them to 1e-12): accuracy_score, balanced_accuracy_score,
 * f1_score(average='weighted' | 'macro'), precision_recall_fscore_support(labels=all classes),
 * confusion_matrix(labels=all classes, normalize=None | 'true'), with sklearn's default
 * zero_division ("warn": the value is 0 and a warning is recorded in `warnings`).
 */
export function computeMetrics(input: LabelledPredictions): MetricsReport {
  const classes = [...input.classes];
  const k = classes.length;
  if (k < 2) throw new EmofuseError(`needs at least 2 classes, got ${k}`, { where: 'classes' });
  const truth = toIndices(input.truth, classes, 'labels');
  const pred = toIndices(input.pred, classes, 'predictions');
  const cm = confusionCounts(truth, pred, k);
  const n = truth.length;
  if (n === 0) throw new EmofuseError('no predictions to score', { where: 'predictions' });
  const warnings: string[] = [];
  const confusion: number[][] = [];
  const confusionRate: number[][] = [];
  const perClass: ClassMetrics[] = [];
  const unsupportedButPredicted: string[] = [];
  for (let c = 0; c < k; c++) {
    const r = Array.from(cm.subarray(c * k, c * k + k));
    const support = r.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let j = 0; j < k; j++) predicted += cm[j * k + c];
    const tp = cm[c * k + c];
    confusion.push(r);
    confusionRate.push(r.map((v) => (support > 0 ? v / support : 0)));
    if (predicted === 0) warnings.push(`precision of class ${classes[c]} is ill-defined (never predicted): set to 0`);
    if (support === 0) warnings.push(`recall of class ${classes[c]} is ill-defined (no true samples): set to 0`);
    if (support + predicted === 0) warnings.push(`F1 of class ${classes[c]} is ill-defined (neither true nor predicted): set to 0`);
    if (support === 0 && predicted > 0) unsupportedButPredicted.push(classes[c]);
    perClass.push({
      class: classes[c],
      precision: predicted > 0 ? tp / predicted : 0,
      recall: support > 0 ? tp / support : 0,
      f1: support + predicted > 0 ? (2 * tp) / (support + predicted) : 0,
      support,
      predicted,
    });
  }
  if (unsupportedButPredicted.length > 0) {
    warnings.push(`predictions contain classes with no true samples (${unsupportedButPredicted.join(', ')}): UA leaves them out`);
  }
  return {
    classes,
    n,
    wa: scoreConfusion('wa', cm, k),
    ua: scoreConfusion('ua', cm, k),
    f1: scoreConfusion('f1', cm, k),
    macroF1: scoreConfusion('macroF1', cm, k),
    perClass,
    confusion,
    confusionRate,
    warnings,
  };
}

/** Predicted class per utterance: the argmax of each row (ties to the first class, as numpy). */
export function predictions(p: Posteriors, where = 'posteriors'): Int32Array {
  checkPosteriors(p, where);
  return argmaxRows(p.probs, p.classes.length);
}

/** Metrics of posteriors against labels (a Map id -> label, or names in the posteriors' id order). */
export function metricsFromPosteriors(p: Posteriors, labels: ReadonlyMap<string, string> | readonly string[], where = 'posteriors'): MetricsReport {
  const pred = predictions(p, where);
  const truth = labelIndices(p.ids, p.classes, labels, `${where} labels`);
  return computeMetrics({ classes: p.classes, truth, pred });
}
