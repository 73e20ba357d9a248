import type { ConfusionArtifact } from './input.ts';
import type { LabelledRun } from './configs.ts';

/**
 * Per-class behaviour is what emotion papers discuss (happiness against excitement, the pull
 * towards neutral), so every system gets recall, precision and F1 per class, computed from each
 * seed's test confusion matrix and averaged over seeds, with the class's support.
 */

export interface ClassRow {
  system: string;
  class: string;
  /** Percent, mean over seeds; std null with one seed. */
  recall: number; recall_std: number | null;
  precision: number; precision_std: number | null;
  f1: number; f1_std: number | null;
  /** Test utterances of the class (per seed; the mean when seeds differ). */
  support: number;
  seeds: number;
}

export function classScores(cm: ConfusionArtifact): Array<{ class: string; recall: number; precision: number; f1: number; support: number }> {
  return cm.classes.map((c, i) => {
    const support = cm.counts[i].reduce((a, b) => a + b, 0);
    const predicted = cm.counts.reduce((a, row) => a + row[i], 0);
    const tp = cm.counts[i][i];
    const recall = support ? tp / support : 0;
    const precision = predicted ? tp / predicted : 0;
    return { class: c, recall, precision, f1: support + predicted ? (2 * tp) / (support + predicted) : 0, support };
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

/** One row per (configuration row, class), in class order; rows without a confusion matrix are left out. */
export function perClassRows(runs: LabelledRun[], split: string): ClassRow[] {
  const out: ClassRow[] = [];
  for (const label of [...new Set(runs.map((r) => r.label))]) {
    const cms = runs.filter((r) => r.label === label && r.confusion && r.confusion.split === split).map((r) => classScores(r.confusion!));
    if (!cms.length) continue;
    cms[0].forEach((c, i) => {
      const at = cms.map((s) => s[i]);
      const pct = (k: 'recall' | 'precision' | 'f1') => at.map((x) => 100 * x[k]);
      out.push({
        system: label, class: c.class,
        recall: mean(pct('recall')), recall_std: sd(pct('recall')),
        precision: mean(pct('precision')), precision_std: sd(pct('precision')),
        f1: mean(pct('f1')), f1_std: sd(pct('f1')),
        support: mean(at.map((x) => x.support)), seeds: cms.length,
      });
    });
  }
  return out;
}

const cell = (m: number, s: number | null) => (s === null ? m.toFixed(1) : `${m.toFixed(1)} ± ${s.toFixed(1)}`);

export function perClassDisplayRows(rows: ClassRow[]): Record<string, string | number>[] {
  return rows.map((r) => ({
    system: r.system, class: r.class, recall: cell(r.recall, r.recall_std), precision: cell(r.precision, r.precision_std), F1: cell(r.f1, r.f1_std),
    support: Number.isInteger(r.support) ? r.support : r.support.toFixed(1),
  }));
}
