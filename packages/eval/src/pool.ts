/**
 * Scores of one seed over its folds: test posteriors are pooled over folds and scored once (every
 * test utterance counted once, as leave-one-out protocols report); validation and training scores
 * are averaged over folds, since each fold has its own.
 */
import { concatPosteriors, subsetPosteriors, type Posteriors, type Split } from '@emofuse/core';
import { metricsFromPosteriors, type MetricsReport } from './metrics.ts';

export type Part = 'train' | 'valid' | 'test';
export const PARTS: readonly Part[] = ['train', 'valid', 'test'];

export interface Scores { ua: number; wa: number; f1: number; macroF1: number }

export const scoresOf = (m: MetricsReport): Scores => ({ ua: m.ua, wa: m.wa, f1: m.f1, macroF1: m.macroF1 });

function meanScores(xs: readonly Scores[]): Scores {
  const mean = (k: keyof Scores) => xs.reduce((s, x) => s + x[k], 0) / xs.length;
  return { ua: mean('ua'), wa: mean('wa'), f1: mean('f1'), macroF1: mean('macroF1') };
}

export interface SystemSummary {
  /** test pooled over folds; train and valid averaged over folds (valid only when a fold had one). */
  scores: Partial<Record<Part, Scores>>;
  /** Every test utterance's posteriors, fold after fold. */
  test: Posteriors;
  /** The full report of the pooled test posteriors (per class, confusion). */
  testReport: MetricsReport;
}

export class FoldPool {
  private readonly tests = new Map<string, Posteriors[]>();
  private readonly means = new Map<string, Map<Part, Scores[]>>();

  constructor(private readonly labels: ReadonlyMap<string, string>) {}

  /**
   * Adds one fold of one system: `all` covers the fold's parts. Returns the fold's own scores
   * per part (its test score too, for per-fold curves; the pooled test is scored in `summary`).
   */
  add(system: string, split: Pick<Split, Part> & { fold?: string }, all: Posteriors): Partial<Record<Part, Scores>> {
    const out: Partial<Record<Part, Scores>> = {};
    for (const part of PARTS) {
      if (!split[part].length) continue;
      const p = subsetPosteriors(all, split[part], `${system} ${part}`);
      out[part] = scoresOf(metricsFromPosteriors(p, this.labels, `${system} ${part}${split.fold ? ` fold ${split.fold}` : ''}`));
      if (part === 'test') (this.tests.get(system) ?? this.tests.set(system, []).get(system)!).push(p);
      else {
        const m = this.means.get(system) ?? this.means.set(system, new Map()).get(system)!;
        (m.get(part) ?? m.set(part, []).get(part)!).push(out[part]!);
      }
    }
    return out;
  }

  systems(): string[] {
    return [...this.tests.keys()];
  }

  summary(system: string): SystemSummary {
    const test = concatPosteriors(this.tests.get(system) ?? []);
    const testReport = metricsFromPosteriors(test, this.labels, `${system} test`);
    const scores: Partial<Record<Part, Scores>> = { test: scoresOf(testReport) };
    for (const [part, xs] of this.means.get(system) ?? []) if (xs.length) scores[part] = meanScores(xs);
    return { scores, test, testReport };
  }
}
