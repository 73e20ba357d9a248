import { argmaxRows, BASIC_SCORERS, EmofuseError, labelIndices, type Posteriors, type Scorer } from '@emofuse/core';
import { alignSystems, checkWeights, systemName, weightedSum, type SystemPosteriors } from './align.ts';

/** Validation data: the only data the weight search ever sees. */
export interface ValidationSet {
  systems: readonly SystemPosteriors[];
  /** Map id -> label name, or label names in the first system's id order. */
  labels: ReadonlyMap<string, string> | readonly string[];
}

/**
 * Options of the weight search. There is deliberately no field for test posteriors: test data
 * can only be passed to `applyWeights`, after the choice is made (unknown keys are refused).
 */
export interface WeightSearchOptions {
  valid: ValidationSet;
  /** A key of `scorers`; default 'ua'. */
  metric?: string;
  /** Grid step on each weight; 1/step must be a whole number. Default 0.05. */
  step?: number;
  /** Metric registry (higher is better). Default: core's ua, wa, f1, macroF1; the CLI may pass eval's. */
  scorers?: Readonly<Record<string, Scorer>>;
}

export interface CurvePoint {
  /** Weight of the first system (the paper's w1). */
  w1: number;
  /** All weights, in system order. */
  weights: number[];
  score: number;
}

export interface WeightChoice {
  rule: 'weighted';
  weights: number[];
  /** Validation score at `weights`. */
  score: number;
  metric: string;
  step: number;
  /** Every grid point with its validation score, in grid order (w1 ascending for 2 systems). */
  curve: CurvePoint[];
  systems: string[];
  classes: string[];
  /** Grid points whose score tied with the best (>= 1). */
  ties: number;
}

const OPTION_KEYS = new Set(['valid', 'metric', 'step', 'scorers']);
/** Scores closer than this count as a tie (UA on the same confusion can differ in the last bit). */
export const TIE_TOLERANCE = 1e-12;

function gridSize(step: number): number {
  const m = Math.round(1 / step);
  if (!(step > 0 && step <= 1) || Math.abs(m * step - 1) > 1e-9) {
    throw new EmofuseError(`step ${step} does not divide [0, 1] into whole parts`, { where: 'fusion.step', fix: 'use e.g. 0.05, 0.1 or 0.25' });
  }
  return m;
}

/** All vectors of n non-negative integers summing to m, in lexicographic order (w1 ascending). */
export function simplexGrid(n: number, m: number): number[][] {
  const out: number[][] = [];
  const cur = new Array<number>(n).fill(0);
  const rec = (i: number, left: number): void => {
    if (i === n - 1) { cur[i] = left; out.push(cur.slice()); return; }
    for (let v = 0; v <= left; v++) { cur[i] = v; rec(i + 1, left - v); }
  };
  rec(0, m);
  return out;
}

/**
 * Chooses weighted-fusion weights on VALIDATION posteriors by grid search: w1 in {0, step, ..., 1}
 * (w2 = 1 - w1) for 2 systems, the simplex grid with the same step for N systems.
 * Ties (scores within TIE_TOLERANCE of the best) go to the weights closest to uniform
 * (Euclidean), then to the lexicographically smallest weights (smallest w1 first).
 */
export function searchWeights(options: WeightSearchOptions): WeightChoice {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new EmofuseError(`unknown option ${JSON.stringify(key)}: the weight search takes validation data only`, {
        where: 'searchWeights', fix: 'choose weights on { valid }, then applyWeights(choice, testSystems)',
      });
    }
  }
  const { valid, metric = 'ua', step = 0.05 } = options;
  const scorers: Readonly<Record<string, Scorer>> = options.scorers ?? BASIC_SCORERS;
  if (!valid || !Array.isArray(valid.systems)) throw new EmofuseError('needs { valid: { systems, labels } }', { where: 'searchWeights' });
  const scorer = Object.hasOwn(scorers, metric) ? scorers[metric] : undefined;
  if (typeof scorer !== 'function') {
    throw new EmofuseError(`unknown metric ${JSON.stringify(metric)}`, { where: 'fusion.metric', fix: `use one of ${Object.keys(scorers).join(', ')}` });
  }
  const m = gridSize(step);
  const a = alignSystems(valid.systems, 'searchWeights');
  const k = a.classes.length;
  const truth = labelIndices(a.ids, a.classes, valid.labels, 'validation labels');
  const n = a.rows.length;
  const fused = new Float64Array(a.rows[0].length);
  const pred = new Int32Array(a.ids.length);
  const curve: CurvePoint[] = [];
  let best = -Infinity;
  let bestAt: number[] = [];
  let ties = 0;
  // Integer distance to uniform: sum (N*k_i - m)^2 is exact, so tie-breaking has no rounding.
  const spread = (ks: number[]) => ks.reduce((s, v) => s + (n * v - m) ** 2, 0);
  for (const ks of simplexGrid(n, m)) {
    const weights = ks.map((v) => v / m);
    const score = scorer(truth, argmaxRows(weightedSum(a.rows, weights, fused), k, pred), k);
    if (!Number.isFinite(score)) throw new EmofuseError(`metric ${metric} returned ${score} at weights ${weights.join(', ')}`, { where: 'searchWeights' });
    curve.push({ w1: weights[0], weights, score });
    if (score > best + TIE_TOLERANCE) {
      best = score; bestAt = ks; ties = 1;
    } else if (Math.abs(score - best) <= TIE_TOLERANCE) {
      ties++;
      // The grid is in lexicographic order, so an equal spread keeps the earlier (smaller w1) point.
      if (spread(ks) < spread(bestAt)) bestAt = ks;
      best = Math.max(best, score);
    }
  }
  const weights = bestAt.map((v) => v / m);
  const chosen = curve.find((p) => p.weights.every((w, i) => w === weights[i]))!;
  return { rule: 'weighted', weights, score: chosen.score, metric, step, curve, systems: a.names, classes: a.classes, ties };
}

/** Refuses systems in another order or with other classes than those the weights were chosen on. */
export function checkChoiceFits(choice: Pick<WeightChoice, 'weights' | 'systems' | 'classes'>, systems: readonly SystemPosteriors[]): void {
  if (systems.length !== choice.weights.length) {
    throw new EmofuseError(`weights were chosen for ${choice.weights.length} systems, got ${systems.length}`, { where: 'applyWeights' });
  }
  systems.forEach((s, i) => {
    const name = systemName(s, i);
    if (s.name !== undefined && choice.systems[i] !== undefined && s.name !== choice.systems[i]) {
      throw new EmofuseError(`system ${i + 1} is ${name} but the weights were chosen with ${choice.systems[i]} in that place`, {
        where: 'applyWeights', fix: `pass the systems in the order ${choice.systems.join(', ')}`,
      });
    }
    if (choice.classes.length && s.classes.join('\u0000') !== choice.classes.join('\u0000')) {
      throw new EmofuseError(`classes ${s.classes.join(', ')} differ from those the weights were chosen on (${choice.classes.join(', ')})`, { where: name });
    }
  });
}

/** Weights and what they were chosen for: the parameters of the `weighted` rule. */
export type WeightParams = Pick<WeightChoice, 'weights' | 'systems' | 'classes'>;

/** The weighted sum of the systems' posteriors (late fusion II), once the weights fit the systems. */
export function weightedFusion(choice: WeightParams, systems: readonly SystemPosteriors[]): Posteriors {
  const w = checkWeights(choice.weights, systems.length);
  checkChoiceFits(choice, systems);
  const a = alignSystems(systems);
  return { ids: a.ids, classes: a.classes, probs: weightedSum(a.rows, w) };
}

/** Applies weights chosen on validation data to other (test) posteriors of the same systems. */
export function applyWeights(choice: WeightParams, systems: readonly SystemPosteriors[]): Posteriors {
  checkChoiceFits(choice, systems);
  return weightedFusion(choice, systems);
}
