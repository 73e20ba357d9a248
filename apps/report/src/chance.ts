import type { ConfusionArtifact } from './input.ts';

/**
 * What a classifier that learns nothing scores on the test labels, so an imbalanced corpus cannot
 * make a weak system look good: always answering the majority class, and guessing uniformly at
 * random. Both come from the class supports (the row sums of a test confusion matrix).
 */

export interface ChanceRow {
  /** 'majority class' or 'chance (uniform guess)'. */
  name: string;
  kind: 'majority' | 'chance';
  /** Percent. */
  ua: number;
  wa: number;
  f1: number;
  /** The class a majority-class classifier answers. */
  majority?: string;
  /** Test utterances per class, in `classes` order. */
  support: number[];
  classes: string[];
  /** The report rows whose test set this is (when the report holds several test sets). */
  rows: string[];
}

/** Majority class: WA = max support / total, UA = 1/k, weighted F1 = p * 2p / (1 + p) for p = max support / total. */
export function majorityScores(support: number[]): { ua: number; wa: number; f1: number; index: number } {
  const total = support.reduce((a, b) => a + b, 0);
  const index = support.indexOf(Math.max(...support));
  const p = total > 0 ? support[index] / total : 0;
  // Precision of the majority class is p and its recall 1; every other class scores 0.
  return { ua: 1 / support.length, wa: p, f1: p > 0 ? (p * 2 * p) / (1 + p) : 0, index };
}

/**
 * Uniform random guessing, in expectation: UA = WA = 1/k; weighted F1 from the expected confusion
 * (class i has precision p_i and recall 1/k).
 */
export function uniformChanceScores(support: number[]): { ua: number; wa: number; f1: number } {
  const k = support.length;
  const total = support.reduce((a, b) => a + b, 0);
  let f1 = 0;
  for (const n of support) {
    const p = total > 0 ? n / total : 0;
    if (p > 0) f1 += p * ((2 * p * (1 / k)) / (p + 1 / k));
  }
  return { ua: 1 / k, wa: 1 / k, f1 };
}

export function supportOf(cm: ConfusionArtifact): number[] {
  return cm.counts.map((row) => row.reduce((a, b) => a + b, 0));
}

/**
 * The reference rows of every distinct test set among the given (row, confusion) pairs. A confusion
 * summed over seeds is divided back to one seed's supports, so pass one seed's matrix per row.
 */
export function chanceRows(entries: Array<{ row: string; confusion: ConfusionArtifact }>): ChanceRow[] {
  const sets = new Map<string, { classes: string[]; support: number[]; rows: string[] }>();
  for (const e of entries) {
    const support = supportOf(e.confusion);
    const key = JSON.stringify([e.confusion.classes, support]);
    const set = sets.get(key) ?? { classes: e.confusion.classes, support, rows: [] };
    if (!set.rows.includes(e.row)) set.rows.push(e.row);
    sets.set(key, set);
  }
  const several = sets.size > 1;
  return [...sets.values()].flatMap((s, i) => {
    const tag = several ? ` (test set ${i + 1})` : '';
    const m = majorityScores(s.support);
    const c = uniformChanceScores(s.support);
    const pct = (x: number) => 100 * x;
    return [
      { name: `majority class${tag}`, kind: 'majority' as const, ua: pct(m.ua), wa: pct(m.wa), f1: pct(m.f1), majority: s.classes[m.index], support: s.support, classes: s.classes, rows: s.rows },
      { name: `chance (uniform guess)${tag}`, kind: 'chance' as const, ua: pct(c.ua), wa: pct(c.wa), f1: pct(c.f1), support: s.support, classes: s.classes, rows: s.rows },
    ];
  });
}
