import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { EmofuseError } from '@emofuse/core';
import type { ReportInput, ReportRun } from './input.ts';
import { paperRowFor, type Reference } from './reference.ts';

export const MAIN_METRICS = ['ua', 'wa', 'f1'] as const;
export type MainMetric = (typeof MAIN_METRICS)[number];

/** One row per selected run: scores in percent. */
export interface SeedRow {
  run: string;
  experiment: string;
  system: string;
  seed: number;
  ua: number;
  wa: number;
  f1: number;
}

export interface SummaryRow {
  system: string;
  n: number;
  seeds: string;
  ua_mean: number; ua_std: number; ua_min: number; ua_max: number;
  wa_mean: number; wa_std: number; wa_min: number; wa_max: number;
  f1_mean: number; f1_std: number; f1_min: number; f1_max: number;
  paper?: string;
  paper_ua?: number; paper_wa?: number; paper_f1?: number;
}

export function toPercent(value: number, units: ReportInput['metricUnits']): number {
  return units === 'fraction' ? value * 100 : value;
}

/** Choose the runs to report; an empty choice is an error that lists what there is. */
export function selectRuns(input: ReportInput, systems?: string[]): ReportRun[] {
  if (input.runs.length === 0) {
    throw new EmofuseError('there are no runs to report', { where: input.source ?? 'report input', fix: 'train first (emofuse run ...) or point the report at the store that holds the runs' });
  }
  if (!systems || systems.length === 0) return input.runs;
  const have = [...new Set(input.runs.map((r) => r.system))].sort();
  const missing = systems.filter((s) => !have.includes(s));
  if (missing.length > 0) {
    throw new EmofuseError(`no runs of system ${missing.map((s) => JSON.stringify(s)).join(', ')}`, {
      where: input.source ?? 'report input',
      fix: `choose among the systems present: ${have.join(', ')}`,
    });
  }
  // Stable sort: the caller's system order, seeds in input order within a system.
  return input.runs.filter((r) => systems.includes(r.system)).sort((a, b) => systems.indexOf(a.system) - systems.indexOf(b.system));
}

/** The per-seed table; every run must carry `<split>_ua`, `<split>_wa` and `<split>_f1`. */
export function seedRows(runs: ReportRun[], split: string, units: ReportInput['metricUnits']): SeedRow[] {
  return runs.map((run) => {
    const get = (m: MainMetric) => {
      const key = `${split}_${m}`;
      const v = run.metrics[key];
      if (v === undefined) {
        const present = Object.keys(run.metrics).sort().join(', ') || 'none';
        throw new EmofuseError(`run ${run.id} (system ${run.system}, seed ${run.seed}) has no metric ${key}`, {
          where: `run ${run.id}`,
          fix: `log ${key} for this run, or leave it out of the report (metrics present: ${present})`,
        });
      }
      return toPercent(v, units);
    };
    return { run: run.id, experiment: run.experiment, system: run.system, seed: run.seed, ua: get('ua'), wa: get('wa'), f1: get('f1') };
  });
}

/** Mean, sample std, min and max over seeds per system (arquero), with the paper's row beside. */
export function summarise(rows: SeedRow[], reference: Reference): SummaryRow[] {
  const dt = aq.from(rows);
  const rollups: Record<string, string> = { n: 'd => op.count()', seeds: "d => op.array_agg(d.seed)" };
  for (const m of MAIN_METRICS) {
    rollups[`${m}_mean`] = `d => op.mean(d.${m})`;
    // A single seed has no spread: report 0 rather than NaN so tables and error bars stay valid.
    rollups[`${m}_std`] = `d => op.count() > 1 ? op.stdev(d.${m}) : 0`;
    rollups[`${m}_min`] = `d => op.min(d.${m})`;
    rollups[`${m}_max`] = `d => op.max(d.${m})`;
  }
  const order = [...new Set(rows.map((r) => r.system))];
  const out = dt.groupby('system').rollup(rollups).objects() as Array<Omit<SummaryRow, 'seeds'> & { seeds: number[] }>;
  return out
    .sort((a, b) => order.indexOf(a.system) - order.indexOf(b.system))
    .map((r) => {
      const p = paperRowFor(reference, r.system);
      const row: SummaryRow = { ...r, seeds: [...r.seeds].sort((x, y) => x - y).join(',') };
      if (p) Object.assign(row, { paper: p.name, paper_ua: p.ua, paper_wa: p.wa, paper_f1: p.f1 });
      return row;
    });
}

const fmt = (x: number | undefined, digits = 1) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));

/** One display row per system: mean ± std of each metric with the paper's number beside (the HTML adds `seeds`). */
export function summaryDisplayRows(summary: SummaryRow[], opts: { seeds?: boolean } = {}): Record<string, string | number>[] {
  return summary.map((s) => ({
    system: s.system,
    n: s.n,
    ...(opts.seeds ? { seeds: s.seeds } : {}),
    UA: `${fmt(s.ua_mean)} ± ${fmt(s.ua_std)}`,
    'UA paper': fmt(s.paper_ua),
    WA: `${fmt(s.wa_mean)} ± ${fmt(s.wa_std)}`,
    'WA paper': fmt(s.paper_wa),
    F1: `${fmt(s.f1_mean)} ± ${fmt(s.f1_std)}`,
    'F1 paper': fmt(s.paper_f1),
    'paper row': s.paper ?? '–',
  }));
}

/** systems x (UA, WA, F1) as mean ± std with n, and the paper's number beside. */
export function summaryMarkdown(summary: SummaryRow[], reference: Reference, split: string): string {
  const rows = summaryDisplayRows(summary);
  const right = (cols: string[]) => Object.fromEntries(cols.map((c) => [c, 'r'])) as Record<string, 'r'>;
  const ours = aq.from(rows).toMarkdown({ align: right(['n', 'UA', 'UA paper', 'WA', 'WA paper', 'F1', 'F1 paper']) });
  const baseRows = reference.rows.filter((r) => r.kind === 'baseline');
  const lines = [`## Results on the ${split} split (%; mean ± sample std over seeds)`, '', ours.trim(), ''];
  if (baseRows.length > 0) {
    const base = aq.from(baseRows.map((r) => ({ system: r.name, input: r.input, 'dialog-level': r.dialogLevel ? 'yes' : 'no', UA: fmt(r.ua), WA: fmt(r.wa), F1: fmt(r.f1) }))).toMarkdown({ align: right(['UA', 'WA', 'F1']) });
    lines.push('## Baselines reported in the paper (Table 3; * = dialog-level, uses context)', '', base.trim(), '');
  }
  if (reference.rows.length > 0) lines.push(`Reference: ${reference.source.citation}. ${reference.source.tables}.`, '');
  return lines.join('\n');
}

export type AblationBy = 'system' | 'experiment' | { tag: string };

export interface AblationOptions {
  /** What varies between the rows: the system (default), the experiment, or a tag's value. */
  by?: AblationBy;
  /** The row every other is compared with (default: the first). */
  baseline?: string;
}

export interface AblationRow {
  variant: string;
  n: number;
  ua_mean: number; ua_std: number;
  wa_mean: number; wa_std: number;
  f1_mean: number; f1_std: number;
  ua_delta: number; wa_delta: number; f1_delta: number;
}

function variantOf(run: ReportRun, by: AblationBy): string {
  if (by === 'system') return run.system;
  if (by === 'experiment') return `${run.experiment} · ${run.system}`;
  const v = run.tags[by.tag];
  return `${by.tag}=${v ?? '(unset)'} · ${run.system}`;
}

/** Mean ± std per variant and its difference from the baseline variant, in percentage points. */
export function ablationTable(runs: ReportRun[], rows: SeedRow[], opts: AblationOptions = {}): ColumnTable {
  const by = opts.by ?? 'system';
  const byRun = new Map(runs.map((r) => [r.id, r]));
  const withVariant = rows.map((r) => ({ ...r, variant: variantOf(byRun.get(r.run)!, by) }));
  const order = [...new Set(withVariant.map((r) => r.variant))];
  const baseline = opts.baseline ?? order[0];
  if (!order.includes(baseline)) {
    throw new EmofuseError(`ablation baseline ${JSON.stringify(baseline)} is not among the variants`, { where: 'report ablation', fix: `choose one of: ${order.join(', ')}` });
  }
  const rollups: Record<string, string> = { n: 'd => op.count()' };
  for (const m of MAIN_METRICS) {
    rollups[`${m}_mean`] = `d => op.mean(d.${m})`;
    rollups[`${m}_std`] = `d => op.count() > 1 ? op.stdev(d.${m}) : 0`;
  }
  const agg = aq.from(withVariant).groupby('variant').rollup(rollups);
  const base = agg.filter(aq.escape((d: { variant: string }) => d.variant === baseline)).object() as Record<string, number>;
  return agg
    .derive({
      ua_delta: aq.escape((d: { ua_mean: number }) => d.ua_mean - base.ua_mean),
      wa_delta: aq.escape((d: { wa_mean: number }) => d.wa_mean - base.wa_mean),
      f1_delta: aq.escape((d: { f1_mean: number }) => d.f1_mean - base.f1_mean),
      order: aq.escape((d: { variant: string }) => order.indexOf(d.variant)),
    })
    .orderby('order')
    .select(aq.not('order'));
}

export function ablationMarkdown(table: ColumnTable, baseline: string): string {
  const rows = (table.objects() as unknown as AblationRow[]).map((r) => ({
    variant: r.variant,
    n: r.n,
    UA: `${fmt(r.ua_mean)} ± ${fmt(r.ua_std)}`,
    'ΔUA': r.variant === baseline ? '(baseline)' : signed(r.ua_delta),
    WA: `${fmt(r.wa_mean)} ± ${fmt(r.wa_std)}`,
    'ΔWA': r.variant === baseline ? '(baseline)' : signed(r.wa_delta),
    F1: `${fmt(r.f1_mean)} ± ${fmt(r.f1_std)}`,
    'ΔF1': r.variant === baseline ? '(baseline)' : signed(r.f1_delta),
  }));
  return aq.from(rows).toMarkdown({ align: { n: 'r', UA: 'r', 'ΔUA': 'r', WA: 'r', 'ΔWA': 'r', F1: 'r', 'ΔF1': 'r' } }).trim();
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;
}
