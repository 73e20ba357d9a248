import { checkPosteriors, EmofuseError, type Posteriors } from '@emofuse/core';

/** A registered rule's name; the paper's late fusion I, II and III are 'average', 'weighted', 'product'. */
export type FusionRule = string;

/** Posteriors with an optional system name, used in every error message (default "system <i>"). */
export interface SystemPosteriors extends Posteriors {
  name?: string;
}

/** Systems checked and aligned on the first system's id order. */
export interface AlignedSystems {
  ids: string[];
  classes: string[];
  names: string[];
  /** One row-major ids.length x classes.length matrix per system, in `ids` order. */
  rows: Float64Array[];
}

export function systemName(s: SystemPosteriors, i: number): string {
  return s.name ?? `system ${i + 1}`;
}

/**
 * Checks every system (finite, rows summing to one, unique ids), then aligns them by id.
 * Id order may differ between systems; id sets, class lists and class order may not.
 */
export function alignSystems(systems: readonly SystemPosteriors[], where = 'fusion'): AlignedSystems {
  if (systems.length < 2) throw new EmofuseError(`fusion needs at least 2 systems, got ${systems.length}`, { where });
  const names = systems.map(systemName);
  systems.forEach((s, i) => checkPosteriors(s, names[i]));
  const ref = systems[0];
  const k = ref.classes.length;
  const refIndex = new Map(ref.ids.map((id, r) => [id, r]));
  const rows: Float64Array[] = [];
  systems.forEach((s, i) => {
    if (s.classes.length !== k) {
      throw new EmofuseError(`has ${s.classes.length} classes (${s.classes.join(', ')}), ${names[0]} has ${k} (${ref.classes.join(', ')})`, { where: names[i] });
    }
    const differs = s.classes.findIndex((c, j) => c !== ref.classes[j]);
    if (differs >= 0) {
      const sameSet = new Set(s.classes).size === k && s.classes.every((c) => ref.classes.includes(c));
      throw new EmofuseError(
        `class ${differs} is ${JSON.stringify(s.classes[differs])}, ${names[0]} has ${JSON.stringify(ref.classes[differs])} there (${s.classes.join(', ')} vs ${ref.classes.join(', ')})`,
        { where: names[i], fix: sameSet ? `reorder its columns to ${ref.classes.join(', ')}` : 'fuse only systems trained on the same classes' },
      );
    }
    const own = new Set(s.ids);
    const missing = ref.ids.find((id) => !own.has(id));
    if (missing !== undefined) {
      throw new EmofuseError(`has no posteriors for utterance ${missing}, which ${names[0]} has (${s.ids.length} vs ${ref.ids.length} utterances)`, {
        where: names[i], fix: 'fuse posteriors of the same split for every system',
      });
    }
    const extra = s.ids.find((id) => !refIndex.has(id));
    if (extra !== undefined) {
      throw new EmofuseError(`has posteriors for utterance ${extra}, which ${names[0]} lacks (${s.ids.length} vs ${ref.ids.length} utterances)`, {
        where: names[i], fix: 'fuse posteriors of the same split for every system',
      });
    }
    const m = new Float64Array(ref.ids.length * k);
    for (let r = 0; r < s.ids.length; r++) {
      const to = refIndex.get(s.ids[r])! * k;
      for (let c = 0; c < k; c++) m[to + c] = s.probs[r * k + c];
    }
    rows.push(m);
  });
  return { ids: ref.ids.slice(), classes: ref.classes.slice(), names, rows };
}

/** Weights must be n finite non-negative numbers summing to 1 (the simplex). */
export function checkWeights(weights: readonly number[], n: number, where = 'fusion weights'): number[] {
  if (weights.length !== n) throw new EmofuseError(`${weights.length} weights for ${n} systems`, { where, fix: 'give one weight per system, in system order' });
  weights.forEach((w, i) => {
    if (!(Number.isFinite(w) && w >= 0)) throw new EmofuseError(`weight ${i + 1} is ${w}; weights must be finite and >= 0`, { where });
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-9) throw new EmofuseError(`weights sum to ${Number(sum.toPrecision(12))}, not 1`, { where, fix: 'e.g. w1 = 0.3, w2 = 0.7 (w1 + w2 = 1)' });
  return weights.slice();
}

/** Weighted sum of aligned rows into `out` (average = uniform weights). */
export function weightedSum(rows: readonly Float64Array[], weights: readonly number[], out = new Float64Array(rows[0].length)): Float64Array {
  out.fill(0);
  rows.forEach((m, s) => {
    const w = weights[s];
    if (w === 0) return;
    for (let i = 0; i < m.length; i++) out[i] += w * m[i];
  });
  return out;
}

/**
 * Normalised product p_j = prod_s p_sj / sum_k prod_s p_sk, computed in log space so that
 * many small posteriors cannot underflow. A row whose product is zero for every class (each
 * class ruled out by some system) takes the limit of flooring zeros at eps as eps -> 0: only
 * the classes with the fewest zeros keep mass, in proportion to the product of their non-zero
 * probabilities. Rows with a non-zero product are exactly the normalised product.
 */
export function normalisedProduct(rows: readonly Float64Array[], k: number): Float64Array {
  const n = rows[0].length / k;
  const out = new Float64Array(rows[0].length);
  const logs = new Float64Array(k);
  const zeros = new Int32Array(k);
  for (let r = 0; r < n; r++) {
    logs.fill(0);
    zeros.fill(0);
    for (const m of rows) {
      for (let c = 0; c < k; c++) {
        const v = m[r * k + c];
        if (v > 0) logs[c] += Math.log(v);
        else zeros[c]++;
      }
    }
    let fewest = Infinity;
    for (let c = 0; c < k; c++) fewest = Math.min(fewest, zeros[c]);
    let max = -Infinity;
    for (let c = 0; c < k; c++) if (zeros[c] === fewest) max = Math.max(max, logs[c]);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const v = zeros[c] === fewest ? Math.exp(logs[c] - max) : 0;
      out[r * k + c] = v;
      sum += v;
    }
    for (let c = 0; c < k; c++) out[r * k + c] /= sum;
  }
  return out;
}
