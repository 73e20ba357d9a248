import { escape, from, op, type ColumnTable } from 'arquero';
import { EmofuseError } from '@emofuse/core';
import type { MetricsReport } from './metrics.ts';

/** Which run a number belongs to. */
export interface RunKey {
  system: string;
  seed: number;
  /** e.g. 'valid', 'test', or a fold name. */
  split: string;
}

/** One row per system, seed and split; any further numeric column is a metric. */
export type ResultRow = RunKey & { ua: number; wa: number; f1: number; macroF1: number } & Record<string, number | string>;

const KEY_COLUMNS = ['system', 'seed', 'split'] as const;

/** The result row of one run from its metrics report. */
export function resultRow(key: RunKey, m: Pick<MetricsReport, 'ua' | 'wa' | 'f1' | 'macroF1'>): ResultRow {
  return { system: key.system, seed: key.seed, split: key.split, ua: m.ua, wa: m.wa, f1: m.f1, macroF1: m.macroF1 };
}

function checkKey(r: Partial<RunKey>, i: number, where: string): void {
  if (typeof r.system !== 'string' || r.system === '') throw new EmofuseError(`row ${i} has no system name`, { where });
  if (typeof r.split !== 'string' || r.split === '') throw new EmofuseError(`row ${i} (${r.system}) has no split`, { where });
  if (!Number.isFinite(r.seed)) throw new EmofuseError(`row ${i} (${r.system}) has seed ${r.seed}, not a number`, { where });
}

/** Metric columns: every key except system, seed and split. */
function metricColumns(rows: readonly Record<string, unknown>[]): string[] {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!(KEY_COLUMNS as readonly string[]).includes(k) && !cols.includes(k)) cols.push(k);
  return cols;
}

/** Results as a table: system, seed, split, then the metric columns in first-seen order. */
export function metricsTable(results: readonly ResultRow[]): ColumnTable {
  const where = 'metricsTable';
  if (results.length === 0) throw new EmofuseError('no results', { where });
  const metrics = metricColumns(results);
  const seen = new Set<string>();
  results.forEach((r, i) => {
    checkKey(r, i, where);
    const id = `${r.system}\u0000${r.seed}\u0000${r.split}`;
    if (seen.has(id)) throw new EmofuseError(`row ${i} repeats system ${r.system}, seed ${r.seed}, split ${r.split}`, { where });
    seen.add(id);
    for (const m of metrics) {
      if (typeof r[m] !== 'number' || !Number.isFinite(r[m])) {
        throw new EmofuseError(`row ${i} (${r.system}, seed ${r.seed}, ${r.split}) has ${m} = ${typeof r[m] === 'number' ? r[m] : JSON.stringify(r[m])}`, { where, fix: 'every row needs the same finite metrics' });
      }
    }
  });
  return from(results.map((r) => Object.fromEntries([...KEY_COLUMNS, ...metrics].map((c) => [c, r[c]])))).orderby('system', 'split', 'seed');
}

/**
 * Mean, sample standard deviation (n - 1) and n of every metric per system and split, in long
 * format: system, split, metric, n, mean, std. std is null when n = 1.
 */
export function summaryTable(results: readonly ResultRow[] | ColumnTable): ColumnTable {
  const t = Array.isArray(results) ? metricsTable(results as readonly ResultRow[]) : (results as ColumnTable);
  const metrics = t.columnNames().filter((c) => !(KEY_COLUMNS as readonly string[]).includes(c));
  return t
    .fold(metrics, { as: ['metric', 'value'] })
    .groupby('system', 'split', 'metric')
    .rollup({ n: op.count(), mean: op.mean('value'), std: op.stdev('value') })
    .derive({ std: escape((d: { std?: number }) => (d.std === undefined || Number.isNaN(d.std) ? null : d.std)) })
    .orderby('system', 'split', 'metric');
}

export type ReportEntry = RunKey & { metrics: MetricsReport };

/** Per-class precision, recall, F1 and support, one row per run and class. */
export function perClassTable(entries: readonly ReportEntry[]): ColumnTable {
  const rows = entries.flatMap((e, i) => {
    checkKey(e, i, 'perClassTable');
    return e.metrics.perClass.map((c) => ({
      system: e.system, seed: e.seed, split: e.split,
      class: c.class, precision: c.precision, recall: c.recall, f1: c.f1, support: c.support, predicted: c.predicted,
    }));
  });
  return from(rows);
}

/** Confusion matrices in long format: true, pred, count, rate (row-normalised), one row per cell. */
export function confusionTable(entries: readonly ReportEntry[]): ColumnTable {
  const rows = entries.flatMap((e, i) => {
    checkKey(e, i, 'confusionTable');
    const { classes, confusion, confusionRate } = e.metrics;
    return classes.flatMap((t, r) => classes.map((p, c) => ({
      system: e.system, seed: e.seed, split: e.split, true: t, pred: p, count: confusion[r][c], rate: confusionRate[r][c],
    })));
  });
  return from(rows);
}
