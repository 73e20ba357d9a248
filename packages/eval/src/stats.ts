import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import erfc from '@stdlib/math-base-special-erfc';
import { BASIC_SCORERS, EmofuseError, makeRng, type MetricName, type Scorer } from '@emofuse/core';
import { toIndices, type ClassValues } from './metrics.ts';

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (divides by n - 1); NaN when n < 2. */
  std: number;
  n: number;
}

/** Mean and sample standard deviation (n - 1), e.g. of one metric over seeds. */
export function meanStd(values: readonly number[], where = 'values'): MeanStd {
  const n = values.length;
  if (n === 0) throw new EmofuseError('no values to summarise', { where });
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new EmofuseError(`value ${i} is ${v}`, { where });
  });
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const ss = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN, n };
}

/** q-th quantile (0..1) of SORTED values by linear interpolation (numpy.percentile's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function resolveScorer(metric: MetricName | Scorer): Scorer {
  if (typeof metric === 'function') return metric;
  const s = Object.hasOwn(BASIC_SCORERS, metric) ? BASIC_SCORERS[metric] : undefined;
  if (!s) throw new EmofuseError(`unknown metric ${JSON.stringify(metric)}`, { where: 'metric', fix: `use one of ${Object.keys(BASIC_SCORERS).join(', ')} or pass a scorer function` });
  return s;
}

function checkB(B: number): void {
  if (!Number.isInteger(B) || B < 1) throw new EmofuseError(`B must be a positive integer, got ${B}`, { where: 'bootstrap' });
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new EmofuseError(`level must be in (0, 1), got ${level}`, { where: 'bootstrap' });
}

/** B seeded resamples of n utterances with replacement; `score` gets each resample's row indices. */
function resampleScores(n: number, B: number, seed: number | string, score: (rows: Int32Array) => number): Float64Array {
  const rng = makeRng(seed);
  const rows = new Int32Array(n);
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) rows[i] = Math.floor(rng() * n);
    out[b] = score(rows);
  }
  return out;
}

export interface BootstrapOptions {
  classes: readonly string[];
  truth: ClassValues;
  pred: ClassValues;
  /** A metric name ('ua' | 'wa' | 'f1' | 'macroF1') or a scorer (truth, pred, k) => number. Default 'ua'. */
  metric?: MetricName | Scorer;
  /** Number of resamples, default 1000. */
  B?: number;
  seed?: number | string;
  /** Two-sided coverage, default 0.95. */
  level?: number;
}

export interface BootstrapInterval {
  /** The metric on the full set. */
  estimate: number;
  lower: number;
  upper: number;
  level: number;
  B: number;
  seed: number | string;
}

/**
 * Seeded percentile bootstrap: resample utterances with replacement B times, score each
 * resample, and take the (1-level)/2 and (1+level)/2 quantiles (numpy's linear interpolation).
 */
export function bootstrapCI(o: BootstrapOptions): BootstrapInterval {
  const { classes, metric = 'ua', B = 1000, seed = 0, level = 0.95 } = o;
  checkB(B);
  checkLevel(level);
  const scorer = resolveScorer(metric);
  const k = classes.length;
  const truth = toIndices(o.truth, classes, 'labels');
  const pred = toIndices(o.pred, classes, 'predictions');
  if (truth.length !== pred.length) throw new EmofuseError(`${truth.length} labels but ${pred.length} predictions`, { where: 'bootstrap' });
  if (truth.length === 0) throw new EmofuseError('no predictions to resample', { where: 'bootstrap' });
  const n = truth.length;
  const t = new Int32Array(n);
  const p = new Int32Array(n);
  const scores = resampleScores(n, B, seed, (rows) => {
    rows.forEach((j, i) => { t[i] = truth[j]; p[i] = pred[j]; });
    return scorer(t, p, k);
  });
  scores.sort();
  return {
    estimate: scorer(truth, pred, k),
    lower: quantileSorted(scores, (1 - level) / 2),
    upper: quantileSorted(scores, (1 + level) / 2),
    level,
    B,
    seed,
  };
}

export interface PairedOptions {
  classes: readonly string[];
  truth: ClassValues;
  /** Predictions of system A (e.g. the fusion) and B (e.g. the text model) on the same utterances. */
  predA: ClassValues;
  predB: ClassValues;
  metric?: MetricName | Scorer;
  B?: number;
  seed?: number | string;
  level?: number;
}

export interface PairedBootstrapResult {
  scoreA: number;
  scoreB: number;
  /** scoreA - scoreB on the full set. */
  delta: number;
  /** Percentile interval of the resampled delta. */
  lower: number;
  upper: number;
  /**
   * One-sided p-value for "A is better than B": (1 + #{resamples with delta <= 0}) / (B + 1).
   * Ties count against A; the +1 keeps it above 0 (the smallest reportable p is 1 / (B + 1)).
   */
  pValue: number;
  level: number;
  B: number;
  seed: number | string;
}

function pairedIndices(o: { classes: readonly string[]; truth: ClassValues; predA: ClassValues; predB: ClassValues }, where: string) {
  const truth = toIndices(o.truth, o.classes, 'labels');
  const a = toIndices(o.predA, o.classes, 'predictions of A');
  const b = toIndices(o.predB, o.classes, 'predictions of B');
  if (a.length !== truth.length || b.length !== truth.length) {
    throw new EmofuseError(`${truth.length} labels, ${a.length} predictions of A, ${b.length} of B`, { where, fix: 'compare both systems on the same utterances, in the same order' });
  }
  if (truth.length === 0) throw new EmofuseError('no predictions to compare', { where });
  return { truth, a, b };
}

/** Paired bootstrap: the same resampled utterances score both systems, B times, seeded. */
export function pairedBootstrap(o: PairedOptions): PairedBootstrapResult {
  const { classes, metric = 'ua', B = 1000, seed = 0, level = 0.95 } = o;
  checkB(B);
  checkLevel(level);
  const scorer = resolveScorer(metric);
  const k = classes.length;
  const { truth, a, b } = pairedIndices(o, 'pairedBootstrap');
  const n = truth.length;
  const t = new Int32Array(n);
  const pa = new Int32Array(n);
  const pb = new Int32Array(n);
  const deltas = resampleScores(n, B, seed, (rows) => {
    rows.forEach((j, i) => { t[i] = truth[j]; pa[i] = a[j]; pb[i] = b[j]; });
    return scorer(t, pa, k) - scorer(t, pb, k);
  });
  const notBetter = deltas.reduce((c, d) => c + (d <= 0 ? 1 : 0), 0);
  deltas.sort();
  const scoreA = scorer(truth, a, k);
  const scoreB = scorer(truth, b, k);
  return {
    scoreA,
    scoreB,
    delta: scoreA - scoreB,
    lower: quantileSorted(deltas, (1 - level) / 2),
    upper: quantileSorted(deltas, (1 + level) / 2),
    pValue: (1 + notBetter) / (B + 1),
    level,
    B,
    seed,
  };
}

export interface McNemarResult {
  /** Utterances A gets right and B gets wrong. */
  aOnly: number;
  /** Utterances B gets right and A gets wrong. */
  bOnly: number;
  bothRight: number;
  bothWrong: number;
  /** Exact binomial test on the disagreements, two-sided: min(1, 2 P(X <= min(aOnly, bOnly))), X ~ Bin(aOnly + bOnly, 1/2). */
  pExact: number;
  /** Exact one-sided p for "A is better than B": P(X >= aOnly). */
  pExactAGreater: number;
  /** Continuity-corrected statistic (|aOnly - bOnly| - 1)^2 / (aOnly + bOnly), as R and statsmodels. */
  chi2: number;
  /** Its p-value under chi-square with 1 degree of freedom. */
  pChi2: number;
}

/**
 * McNemar's test on correct/incorrect disagreements of two systems on the same utterances.
 * With no disagreements at all there is no evidence either way: statistic 0 and every p = 1.
 */
export function mcnemar(o: { classes: readonly string[]; truth: ClassValues; predA: ClassValues; predB: ClassValues }): McNemarResult {
  const { truth, a, b } = pairedIndices(o, 'mcnemar');
  let aOnly = 0;
  let bOnly = 0;
  let bothRight = 0;
  let bothWrong = 0;
  for (let i = 0; i < truth.length; i++) {
    const ra = a[i] === truth[i];
    const rb = b[i] === truth[i];
    if (ra && rb) bothRight++;
    else if (ra) aOnly++;
    else if (rb) bOnly++;
    else bothWrong++;
  }
  const d = aOnly + bOnly;
  if (d === 0) return { aOnly, bOnly, bothRight, bothWrong, pExact: 1, pExactAGreater: 1, chi2: 0, pChi2: 1 };
  const chi2 = (Math.abs(aOnly - bOnly) - 1) ** 2 / d;
  return {
    aOnly,
    bOnly,
    bothRight,
    bothWrong,
    pExact: Math.min(1, 2 * binomialCdf(Math.min(aOnly, bOnly), d, 0.5)),
    // P(X >= aOnly) = P(X <= bOnly) by symmetry of Bin(d, 1/2).
    pExactAGreater: binomialCdf(bOnly, d, 0.5),
    chi2,
    // Chi-square(1) survival function: P(Z^2 > x) = erfc(sqrt(x / 2)), accurate in the far tail.
    pChi2: erfc(Math.sqrt(chi2 / 2)),
  };
}
