import { EmofuseError, checkFeatureMatrix, makeRng, pickRows, shuffled } from '@emofuse/core';
import type { FeatureMatrix } from '@emofuse/core';
import { softmaxL2 } from './solver.ts';

/**
 * Fitted feature transforms: plain objects whose whole state is a few number arrays, so a run can
 * save them (`toJSON`) and apply the exact same mapping later (`transformFromJSON`).
 *
 * Leakage rule: `fit` takes the TRAINING matrix (and, for selection, the training labels) and
 * nothing else; `apply` never changes the fitted state. Validation and test rows therefore cannot
 * influence the statistics, whatever the caller passes to `apply`.
 */
export interface Transform {
  readonly kind: string;
  readonly fitted: boolean;
  /** Output dimension once fitted. */
  readonly outputDim: number;
  apply(x: FeatureMatrix): FeatureMatrix;
  toJSON(): TransformJSON;
}

export type TransformJSON = MedianImputeJSON | MinMaxJSON | ZScoreJSON | L2SelectorJSON | PipelineJSON;

function needFitted(t: { fitted: boolean; kind: string }): void {
  if (!t.fitted) throw new EmofuseError(`the ${t.kind} transform is used before fit()`, { where: t.kind, fix: 'call fit(train) first, or load a fitted one with transformFromJSON' });
}

function checkDim(kind: string, expected: number, x: FeatureMatrix): void {
  if (x.dim !== expected) {
    throw new EmofuseError(`was fitted on ${expected} features but got a matrix with ${x.dim}`, { where: kind, fix: 'apply it to features from the same extractor and config it was fitted on' });
  }
}

function checkTrain(kind: string, train: FeatureMatrix): void {
  checkFeatureMatrix(train, `${kind}.fit(train)`);
  if (train.ids.length === 0) throw new EmofuseError('cannot fit on an empty training matrix', { where: `${kind}.fit(train)` });
}

/** Per-column min and max in float64. */
function columnRange(m: FeatureMatrix): { min: Float64Array; max: Float64Array } {
  const min = new Float64Array(m.dim).fill(Infinity);
  const max = new Float64Array(m.dim).fill(-Infinity);
  for (let r = 0; r < m.ids.length; r++) {
    const o = r * m.dim;
    for (let c = 0; c < m.dim; c++) {
      const v = m.values[o + c];
      if (v < min[c]) min[c] = v;
      if (v > max[c]) max[c] = v;
    }
  }
  return { min, max };
}

/** Per-column mean and population standard deviation (two-pass, float64). */
function columnMoments(m: FeatureMatrix): { mean: Float64Array; std: Float64Array } {
  const n = m.ids.length;
  const mean = new Float64Array(m.dim);
  const std = new Float64Array(m.dim);
  for (let r = 0; r < n; r++) for (let c = 0, o = r * m.dim; c < m.dim; c++) mean[c] += m.values[o + c];
  for (let c = 0; c < m.dim; c++) mean[c] /= n;
  for (let r = 0; r < n; r++) {
    for (let c = 0, o = r * m.dim; c < m.dim; c++) {
      const d = m.values[o + c] - mean[c];
      std[c] += d * d;
    }
  }
  for (let c = 0; c < m.dim; c++) std[c] = Math.sqrt(std[c] / n);
  return { mean, std };
}

/** x' = (x - offset) / scale per column; a zero scale (constant column) maps the column to 0. */
function affine(x: FeatureMatrix, offset: ArrayLike<number>, scale: ArrayLike<number>): FeatureMatrix {
  const out = new Float32Array(x.values.length);
  const inv = Array.from(scale, (s) => (s > 0 ? 1 / s : 0));
  for (let r = 0; r < x.ids.length; r++) {
    for (let c = 0, o = r * x.dim; c < x.dim; c++) out[o + c] = (x.values[o + c] - offset[c]) * inv[c];
  }
  return { ids: x.ids.slice(), dim: x.dim, values: out };
}

export interface MedianImputeJSON {
  kind: 'median-impute';
  median: number[];
}

/**
 * Fills a missing cell (NaN) with its column's median over the training rows that have it
 * (sklearn's SimpleImputer(strategy='median')). A column missing on every training row gets 0.
 * It comes first in a pipeline, so the scalers after it never see a NaN.
 */
export class MedianImputer implements Transform {
  readonly kind = 'median-impute';
  private median?: number[];
  get fitted() {
    return this.median !== undefined;
  }
  get outputDim() {
    needFitted(this);
    return this.median!.length;
  }
  fit(train: FeatureMatrix): this {
    if (train.ids.length === 0) throw new EmofuseError('cannot fit on an empty training matrix', { where: `${this.kind}.fit(train)` });
    const n = train.ids.length;
    const column = new Float64Array(n);
    this.median = Array.from({ length: train.dim }, (_, c) => {
      let m = 0;
      for (let r = 0; r < n; r++) {
        const v = train.values[r * train.dim + c];
        if (!Number.isNaN(v)) column[m++] = v;
      }
      if (m === 0) return 0;
      const sorted = column.subarray(0, m).sort();
      return m % 2 ? sorted[(m - 1) / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
    });
    return this;
  }
  apply(x: FeatureMatrix): FeatureMatrix {
    needFitted(this);
    checkDim(this.kind, this.median!.length, x);
    const values = Float32Array.from(x.values);
    for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) values[i] = this.median![i % x.dim];
    return { ids: x.ids.slice(), dim: x.dim, values };
  }
  toJSON(): MedianImputeJSON {
    needFitted(this);
    return { kind: 'median-impute', median: this.median!.slice() };
  }
  static fromJSON(j: MedianImputeJSON): MedianImputer {
    const s = new MedianImputer();
    s.median = j.median.slice();
    return s;
  }
}

export interface MinMaxJSON {
  kind: 'minmax';
  min: number[];
  max: number[];
}

/**
 * Scales each column to [0, 1] using the training min and max (the paper's min-max normalisation).
 * Rows outside the training range (valid/test) map outside [0, 1]; they are not clipped, so no
 * information is lost. A column constant on the training data maps to 0 everywhere.
 */
export class MinMaxScaler implements Transform {
  readonly kind = 'minmax';
  private min?: number[];
  private max?: number[];
  get fitted() {
    return this.min !== undefined;
  }
  get outputDim() {
    needFitted(this);
    return this.min!.length;
  }
  fit(train: FeatureMatrix): this {
    checkTrain(this.kind, train);
    const r = columnRange(train);
    this.min = Array.from(r.min);
    this.max = Array.from(r.max);
    return this;
  }
  apply(x: FeatureMatrix): FeatureMatrix {
    needFitted(this);
    checkDim(this.kind, this.min!.length, x);
    return affine(x, this.min!, this.max!.map((mx, c) => mx - this.min![c]));
  }
  toJSON(): MinMaxJSON {
    needFitted(this);
    return { kind: 'minmax', min: this.min!.slice(), max: this.max!.slice() };
  }
  static fromJSON(j: MinMaxJSON): MinMaxScaler {
    const s = new MinMaxScaler();
    if (j.min.length !== j.max.length) throw new EmofuseError('min and max have different lengths', { where: 'minmax transform JSON' });
    s.min = j.min.slice();
    s.max = j.max.slice();
    return s;
  }
}

export interface ZScoreJSON {
  kind: 'zscore';
  mean: number[];
  std: number[];
}

/** (x - mean) / std per column with the training mean and population std; constant columns -> 0. */
export class ZScoreScaler implements Transform {
  readonly kind = 'zscore';
  private mean?: number[];
  private std?: number[];
  get fitted() {
    return this.mean !== undefined;
  }
  get outputDim() {
    needFitted(this);
    return this.mean!.length;
  }
  fit(train: FeatureMatrix): this {
    checkTrain(this.kind, train);
    const m = columnMoments(train);
    this.mean = Array.from(m.mean);
    this.std = Array.from(m.std);
    return this;
  }
  apply(x: FeatureMatrix): FeatureMatrix {
    needFitted(this);
    checkDim(this.kind, this.mean!.length, x);
    return affine(x, this.mean!, this.std!);
  }
  toJSON(): ZScoreJSON {
    needFitted(this);
    return { kind: 'zscore', mean: this.mean!.slice(), std: this.std!.slice() };
  }
  static fromJSON(j: ZScoreJSON): ZScoreScaler {
    const s = new ZScoreScaler();
    if (j.mean.length !== j.std.length) throw new EmofuseError('mean and std have different lengths', { where: 'zscore transform JSON' });
    s.mean = j.mean.slice();
    s.std = j.std.slice();
    return s;
  }
}

export interface L2SelectorOptions {
  /** Features to keep (D_S); default 100. */
  k?: number;
  /** L2 penalty lambda in: mean cross-entropy + lambda/2 * ||W||^2 (bias unpenalised). Default 1e-2. */
  l2?: number;
  /**
   * L-BFGS iterations at most; default 50. On the 535 x 6373 EmoDB ComParE matrix the top-100 set
   * after 50 iterations shares 93 features with the one after 300 (97 after 100).
   */
  maxIterations?: number;
  /**
   * Fit on at most this many training rows, a class-stratified subsample drawn with a fixed seed
   * (so the same training data always gives the same rows); default: all rows. Cost is linear in it.
   */
  maxRows?: number;
  /** Stop when the gradient's infinity norm falls below this; default 1e-5. */
  tolerance?: number;
}

export interface L2SelectorJSON {
  kind: 'l2-select';
  k: number;
  l2: number;
  inputDim: number;
  classes: string[];
  /** Training rows the model was fitted on (all, or the maxRows subsample). */
  rowsUsed: number;
  maxRows?: number;
  maxIterations: number;
  /** Kept columns, ascending (the output keeps the extractor's column order). */
  indices: number[];
  /** Rank score (L2 norm of the column's weights over classes) of each kept column, same order. */
  scores: number[];
  iterations: number;
  /** Loss+gradient passes over the data (iterations plus line-search retries). */
  evaluations: number;
  loss: number;
}

/**
 * "L2-based feature selection" (the paper leaves the ranking open). Exactly:
 * 1. z-score every column with the training mean/std (constant columns become 0), so weights are
 *    comparable across features of very different scales;
 * 2. fit a multinomial logistic regression (softmax, one weight per feature and class, plus an
 *    unpenalised bias per class) minimising mean cross-entropy + l2/2 * ||W||^2 by full-batch
 *    L-BFGS from zero weights (deterministic: the same training data always gives the same model);
 * 3. score feature j by the L2 norm of its weight vector across classes, sqrt(sum_c W[j,c]^2);
 * 4. keep the k best scores (ties: lower column index first); output them in ascending column order.
 * Defaults: l2 = 1e-2, at most 50 L-BFGS iterations, all rows (maxRows subsamples, stratified).
 * Only the training matrix and labels are seen; `apply` just picks the kept columns.
 * Cost: one loss+gradient pass is 2*n*d*K multiply-adds (about 0.45 G for 5810 x 6373 x 6); see
 * benchmarks/features.bench.ts for the time.
 */
export class L2Selector implements Transform {
  readonly kind = 'l2-select';
  readonly k: number;
  readonly l2: number;
  readonly maxIterations: number;
  readonly tolerance: number;
  readonly maxRows?: number;
  private state?: Omit<L2SelectorJSON, 'kind' | 'k' | 'l2' | 'maxRows' | 'maxIterations'>;
  constructor(opts: L2SelectorOptions = {}) {
    this.k = opts.k ?? 100;
    this.l2 = opts.l2 ?? 1e-2;
    this.maxIterations = opts.maxIterations ?? 50;
    this.tolerance = opts.tolerance ?? 1e-5;
    this.maxRows = opts.maxRows;
    if (this.maxRows !== undefined && !(Number.isInteger(this.maxRows) && this.maxRows >= 2)) {
      throw new EmofuseError(`maxRows must be an integer >= 2, got ${this.maxRows}`, { where: 'l2-select' });
    }
    if (!Number.isInteger(this.k) || this.k < 1) throw new EmofuseError(`k must be a positive integer, got ${this.k}`, { where: 'l2-select' });
    if (!(this.l2 > 0)) throw new EmofuseError(`the L2 penalty must be > 0, got ${this.l2}`, { where: 'l2-select' });
  }
  get fitted() {
    return this.state !== undefined;
  }
  get outputDim() {
    needFitted(this);
    return this.state!.indices.length;
  }
  get indices(): readonly number[] {
    needFitted(this);
    return this.state!.indices;
  }
  /** `labels[r]` is the class of training row r. */
  fit(train: FeatureMatrix, labels: readonly string[]): this {
    checkTrain(this.kind, train);
    if (labels.length !== train.ids.length) {
      throw new EmofuseError(`got ${labels.length} labels for ${train.ids.length} training rows`, { where: 'l2-select.fit', fix: 'pass one label per training row, in row order' });
    }
    if (this.k > train.dim) {
      throw new EmofuseError(`cannot keep ${this.k} of ${train.dim} features`, { where: 'l2-select', fix: `keep at most ${train.dim}, or leave the selector out to keep all` });
    }
    const classes = [...new Set(labels)].sort();
    if (classes.length < 2) throw new EmofuseError('the training labels have a single class; nothing to rank features by', { where: 'l2-select.fit' });
    const rows = stratifiedRows(labels, this.maxRows);
    const sub = rows ? pickRows(train, rows.map((r) => train.ids[r]), 'l2-select.fit') : train;
    const y = Int32Array.from(rows ?? labels.keys(), (r) => classes.indexOf(labels[r]));
    const z = affineInPlaceCopy(sub);
    const fit = softmaxL2(z, sub.ids.length, train.dim, y, classes.length, this.l2, this.maxIterations, this.tolerance);
    const K = classes.length;
    const score = new Float64Array(train.dim);
    for (let j = 0; j < train.dim; j++) {
      let s = 0;
      for (let c = 0; c < K; c++) s += fit.w[c * train.dim + j] ** 2;
      score[j] = Math.sqrt(s);
    }
    const order = Array.from({ length: train.dim }, (_, j) => j).sort((a, b) => score[b] - score[a] || a - b);
    const indices = order.slice(0, this.k).sort((a, b) => a - b);
    this.state = {
      inputDim: train.dim,
      classes,
      rowsUsed: sub.ids.length,
      indices,
      scores: indices.map((j) => score[j]),
      iterations: fit.iterations,
      evaluations: fit.evaluations,
      loss: fit.loss,
    };
    return this;
  }
  apply(x: FeatureMatrix): FeatureMatrix {
    needFitted(this);
    checkDim(this.kind, this.state!.inputDim, x);
    const idx = this.state!.indices;
    const out = new Float32Array(x.ids.length * idx.length);
    for (let r = 0; r < x.ids.length; r++) {
      const o = r * x.dim;
      for (let c = 0; c < idx.length; c++) out[r * idx.length + c] = x.values[o + idx[c]];
    }
    return { ids: x.ids.slice(), dim: idx.length, values: out };
  }
  toJSON(): L2SelectorJSON {
    needFitted(this);
    const s = this.state!;
    return {
      kind: 'l2-select', k: this.k, l2: this.l2, maxRows: this.maxRows, maxIterations: this.maxIterations, inputDim: s.inputDim,
      classes: s.classes.slice(), rowsUsed: s.rowsUsed, indices: s.indices.slice(), scores: s.scores.slice(), iterations: s.iterations, evaluations: s.evaluations, loss: s.loss,
    };
  }
  static fromJSON(j: L2SelectorJSON): L2Selector {
    const s = new L2Selector({ k: j.k, l2: j.l2, maxRows: j.maxRows, maxIterations: j.maxIterations });
    if (j.indices.some((i) => !Number.isInteger(i) || i < 0 || i >= j.inputDim)) {
      throw new EmofuseError(`indices must be integers in [0, ${j.inputDim})`, { where: 'l2-select transform JSON' });
    }
    s.state = { inputDim: j.inputDim, classes: j.classes.slice(), rowsUsed: j.rowsUsed, indices: j.indices.slice(), scores: j.scores.slice(), iterations: j.iterations, evaluations: j.evaluations, loss: j.loss };
    return s;
  }
}

/**
 * Row indices of a class-stratified subsample of at most maxRows rows (undefined = use all):
 * each class keeps its share, rows drawn by a shuffle seeded with a constant, then sorted.
 */
function stratifiedRows(labels: readonly string[], maxRows?: number): number[] | undefined {
  if (maxRows === undefined || labels.length <= maxRows) return undefined;
  const byClass = new Map<string, number[]>();
  labels.forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  const rng = makeRng('l2-select');
  const out: number[] = [];
  for (const [, rows] of [...byClass.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const take = Math.max(1, Math.round((rows.length * maxRows) / labels.length));
    out.push(...shuffled(rows, rng).slice(0, take));
  }
  return out.sort((a, b) => a - b);
}

/** z-scored copy of the training values (Float32, row-major). */
function affineInPlaceCopy(train: FeatureMatrix): Float32Array {
  const m = columnMoments(train);
  return affine(train, m.mean, m.std).values;
}

export interface PipelineJSON {
  kind: 'pipeline';
  steps: TransformJSON[];
}

/** Transforms applied in order; `fit` fits each on the training output of the previous ones. */
export class Pipeline implements Transform {
  readonly kind = 'pipeline';
  constructor(readonly steps: (MedianImputer | MinMaxScaler | ZScoreScaler | L2Selector | Pipeline)[]) {}
  get fitted(): boolean {
    return this.steps.every((s) => s.fitted);
  }
  get outputDim(): number {
    needFitted(this);
    return this.steps.length ? this.steps.at(-1)!.outputDim : NaN;
  }
  fit(train: FeatureMatrix, labels: readonly string[]): this {
    let x = train;
    for (const s of this.steps) {
      if (s instanceof L2Selector || s instanceof Pipeline) s.fit(x, labels);
      else s.fit(x);
      x = s.apply(x);
    }
    return this;
  }
  apply(x: FeatureMatrix): FeatureMatrix {
    needFitted(this);
    return this.steps.reduce((m, s) => s.apply(m), x);
  }
  toJSON(): PipelineJSON {
    return { kind: 'pipeline', steps: this.steps.map((s) => s.toJSON()) };
  }
}

/** Rebuilds any fitted transform from its JSON. */
export function transformFromJSON(j: TransformJSON): MedianImputer | MinMaxScaler | ZScoreScaler | L2Selector | Pipeline {
  switch (j?.kind) {
    case 'median-impute':
      return MedianImputer.fromJSON(j);
    case 'minmax':
      return MinMaxScaler.fromJSON(j);
    case 'zscore':
      return ZScoreScaler.fromJSON(j);
    case 'l2-select':
      return L2Selector.fromJSON(j);
    case 'pipeline':
      return new Pipeline(j.steps.map(transformFromJSON));
    default:
      throw new EmofuseError(`unknown transform kind ${JSON.stringify((j as { kind?: unknown })?.kind)}`, {
        where: 'transform JSON',
        fix: 'expected one of median-impute, minmax, zscore, l2-select, pipeline',
      });
  }
}

export interface SpeechTransformOptions {
  normalise: 'minmax' | 'zscore';
  /** Features to keep by L2-logistic ranking; 0 or >= dim keeps all. */
  select: number;
  /** Fill missing cells (NaN) with the training median first (feature files with `missing: impute`). */
  impute?: boolean;
}

/**
 * The speech front end of a fold: normalisation, then (optionally) L2 selection, fitted on the
 * training rows and their labels only. Apply the result unchanged to validation and test.
 */
export function fitSpeechTransform(train: FeatureMatrix, labels: readonly string[], o: SpeechTransformOptions): Pipeline {
  const steps: (MedianImputer | MinMaxScaler | ZScoreScaler | L2Selector)[] = [o.normalise === 'zscore' ? new ZScoreScaler() : new MinMaxScaler()];
  if (o.impute) steps.unshift(new MedianImputer());
  if (o.select > 0 && o.select < train.dim) steps.push(new L2Selector({ k: o.select }));
  return new Pipeline(steps).fit(train, labels);
}
