import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { EmofuseError } from '@emofuse/core';
import type { ReportInput, ReportRun } from './input.ts';
import { referenceRowFor, type Reference, type ReferenceRow } from './reference.ts';
import { contextOf, labelRuns, type Context } from './configs.ts';
import type { ChanceRow } from './chance.ts';

export const MAIN_METRICS = ['ua', 'wa', 'f1'] as const;
export type MainMetric = (typeof MAIN_METRICS)[number];

/** One row per selected run: scores in percent. */
export interface SeedRow {
  run: string;
  experiment: string;
  system: string;
  /** The report row: the system, or the system and what sets its configuration apart (configs.ts). */
  label: string;
  /** Configuration fingerprint (configs.ts). */
  config: string;
  context: Context;
  seed: number;
  ua: number;
  wa: number;
  f1: number;
}

export interface SummaryRow {
  system: string;
  label: string;
  config: string;
  /** Params that set this configuration apart from the system's others (empty when it has one). */
  differs: Record<string, string>;
  context: Context;
  n: number;
  seeds: string;
  /** Sample std over seeds; null with a single seed (there is no spread to show). */
  ua_mean: number; ua_std: number | null; ua_min: number; ua_max: number;
  wa_mean: number; wa_std: number | null; wa_min: number; wa_max: number;
  f1_mean: number; f1_std: number | null; f1_min: number; f1_max: number;
  /** The cited row this system is the measured counterpart of (only when the paper comparison applies). */
  paper?: string;
  paper_table?: string;
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
  return labelRuns(runs).map((run) => {
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
    return { run: run.id, experiment: run.experiment, system: run.system, label: run.label, config: run.config, context: contextOf(run), seed: run.seed, ua: get('ua'), wa: get('wa'), f1: get('f1') };
  });
}

/**
 * Mean, sample std, min and max over seeds per configuration (arquero), with the cited row beside.
 * Pass a reference without rows when the paper comparison does not apply.
 */
export function summarise(rows: SeedRow[], reference: Reference, differs: Map<string, Record<string, string>> = new Map()): SummaryRow[] {
  const dt = aq.from(rows);
  const rollups: Record<string, string> = { n: 'd => op.count()', seeds: 'd => op.array_agg(d.seed)', system: 'd => op.any(d.system)', config: 'd => op.any(d.config)', context: 'd => op.any(d.context)' };
  for (const m of MAIN_METRICS) {
    rollups[`${m}_mean`] = `d => op.mean(d.${m})`;
    // A single seed has no spread: null, so no table shows "± 0.0" and no chart draws a bar.
    rollups[`${m}_std`] = `d => op.count() > 1 ? op.stdev(d.${m}) : null`;
    rollups[`${m}_min`] = `d => op.min(d.${m})`;
    rollups[`${m}_max`] = `d => op.max(d.${m})`;
  }
  const order = [...new Set(rows.map((r) => r.label))];
  const out = dt.groupby('label').rollup(rollups).objects() as Array<Omit<SummaryRow, 'seeds' | 'differs'> & { seeds: number[] }>;
  return out
    .sort((a, b) => order.indexOf(a.label) - order.indexOf(b.label))
    .map((r) => {
      const p = referenceRowFor(reference, r.system);
      const row: SummaryRow = {
        system: r.system, label: r.label, config: r.config, differs: differs.get(r.label) ?? {}, context: r.context, n: r.n,
        seeds: [...r.seeds].sort((x, y) => x - y).join(','),
        ua_mean: r.ua_mean, ua_std: r.ua_std ?? null, ua_min: r.ua_min, ua_max: r.ua_max,
        wa_mean: r.wa_mean, wa_std: r.wa_std ?? null, wa_min: r.wa_min, wa_max: r.wa_max,
        f1_mean: r.f1_mean, f1_std: r.f1_std ?? null, f1_min: r.f1_min, f1_max: r.f1_max,
      };
      if (p) Object.assign(row, { paper: p.name, paper_table: p.table, paper_ua: p.ua, paper_wa: p.wa, paper_f1: p.f1 });
      return row;
    });
}

const fmt = (x: number | undefined | null, digits = 1) => (x === undefined || x === null || !Number.isFinite(x) ? '–' : x.toFixed(digits));
/** Mean ± std, or the bare mean for a single seed. */
const meanStd = (mean: number, std: number | null) => (std === null ? fmt(mean) : `${fmt(mean)} ± ${fmt(std)}`);

export const SOURCE = { measured: 'measured here', cited: 'cited from the paper', computed: 'computed from the test labels' } as const;

/** One line of the results, in the order tables and the comparison chart show them. */
export type ResultEntry =
  | { kind: 'cited'; ref: ReferenceRow }
  | { kind: 'measured'; summary: SummaryRow }
  | { kind: 'chance'; chance: ChanceRow };

/**
 * Each cited row followed by the systems measured here as its counterpart, so the pairs sit
 * together; then the measured systems without one; then the chance and majority-class rows.
 */
export function resultEntries(summary: SummaryRow[], reference: Reference, chance: ChanceRow[] = []): ResultEntry[] {
  const out: ResultEntry[] = [];
  const placed = new Set<string>();
  for (const ref of reference.rows) {
    out.push({ kind: 'cited', ref });
    for (const s of summary.filter((x) => x.paper === ref.name && x.paper_table === ref.table)) {
      out.push({ kind: 'measured', summary: s });
      placed.add(s.label);
    }
  }
  for (const s of summary.filter((x) => !placed.has(x.label))) out.push({ kind: 'measured', summary: s });
  for (const c of chance) out.push({ kind: 'chance', chance: c });
  return out;
}

/** How a cited row is named everywhere: its name, the inputs it uses and its table. */
export function citedName(ref: ReferenceRow): string {
  return `${ref.name} (${ref.input}), ${ref.table}`;
}

export function levelText(context: Context): string {
  return context === 'dialogue' ? 'dialogue (uses context) *' : 'utterance';
}

/** The results table as display rows (strings), for Markdown and HTML alike. */
export function resultTableRows(entries: ResultEntry[], opts: { seeds?: boolean } = {}): Record<string, string | number>[] {
  const withCited = entries.some((e) => e.kind === 'cited');
  return entries.map((e) => {
    let row: Record<string, string | number>;
    if (e.kind === 'measured') {
      const s = e.summary;
      row = {
        system: s.label, source: SOURCE.measured, level: levelText(s.context), n: s.n,
        ...(opts.seeds ? { seeds: s.seeds } : {}),
        UA: meanStd(s.ua_mean, s.ua_std), WA: meanStd(s.wa_mean, s.wa_std), 'weighted F1': meanStd(s.f1_mean, s.f1_std),
      };
      if (withCited) row['UA − cited'] = s.paper_ua === undefined ? '–' : signed(s.ua_mean - s.paper_ua);
    } else if (e.kind === 'cited') {
      const r = e.ref;
      row = { system: citedName(r), source: SOURCE.cited, level: levelText(r.dialogLevel ? 'dialogue' : 'utterance'), n: '–', ...(opts.seeds ? { seeds: '–' } : {}), UA: fmt(r.ua), WA: fmt(r.wa), 'weighted F1': fmt(r.f1) };
      if (withCited) row['UA − cited'] = '';
    } else {
      const c = e.chance;
      const what = c.kind === 'majority' ? `always ${c.majority}` : `1/${c.classes.length}`;
      row = { system: `${c.name}: ${what}`, source: SOURCE.computed, level: '–', n: '–', ...(opts.seeds ? { seeds: '–' } : {}), UA: fmt(c.ua), WA: fmt(c.wa), 'weighted F1': fmt(c.f1) };
      if (withCited) row['UA − cited'] = '';
    }
    return row;
  });
}

/** What the ± in the measured rows means, and that a single seed has none. */
export function spreadNote(summary: Array<{ n: number }>): string {
  if (summary.length > 0 && summary.every((s) => s.n === 1)) return 'Each measured row has a single seed (n = 1): its score alone, with no spread.';
  const single = summary.some((s) => s.n === 1);
  return `Measured rows: mean ± sample standard deviation over seeds${single ? '; a row with a single seed (n = 1) shows its score alone, with no spread' : ''}.`;
}

/** The results as Markdown: measured rows beside the cited ones, chance rows, and what applies. */
export function summaryMarkdown(summary: SummaryRow[], reference: Reference, split: string, opts: { chance?: ChanceRow[]; paperReason?: string } = {}): string {
  const entries = resultEntries(summary, reference, opts.chance ?? []);
  const rows = resultTableRows(entries);
  const right = Object.fromEntries(['n', 'UA', 'WA', 'weighted F1', 'UA − cited'].map((c) => [c, 'r'])) as Record<string, 'r'>;
  const table = aq.from(rows).toMarkdown({ align: right }).trim();
  const lines = [`## Results on the ${split} split (%)`, '', table, '', `${spreadNote(summary)} F1 is support-weighted.`];
  if (summary.some((s) => s.context === 'dialogue') || reference.rows.some((r) => r.dialogLevel)) lines.push('Rows marked * are dialogue-level: they use the conversation around each utterance.');
  if ((opts.chance ?? []).length > 0) lines.push('Majority class and chance are computed from the test labels (class supports of the confusion matrices): the majority-class classifier always answers the most frequent class; chance guesses uniformly.');
  if (opts.paperReason) lines.push(`Paper comparison: ${reference.rows.length > 0 ? 'shown' : 'not shown'}: ${opts.paperReason}.`);
  if (reference.rows.length > 0) lines.push(`Reference: ${reference.source.citation}. ${reference.source.tables}.`);
  lines.push('');
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
  /** std is null with a single seed. */
  ua_mean: number; ua_std: number | null;
  wa_mean: number; wa_std: number | null;
  f1_mean: number; f1_std: number | null;
  ua_delta: number; wa_delta: number; f1_delta: number;
}

/** `label` is the seed row's configuration label, so two configurations of a system are two variants. */
function variantOf(run: ReportRun, row: SeedRow, by: AblationBy): string {
  if (by === 'system') return row.label;
  if (by === 'experiment') return `${run.experiment} · ${row.label}`;
  // The tag already names the configuration (a sweep point), so the system name alone follows it.
  const v = run.tags[by.tag];
  return `${by.tag}=${v ?? '(unset)'} · ${row.system}`;
}

/** Mean ± std per variant and its difference from the baseline variant, in percentage points. */
export function ablationTable(runs: ReportRun[], rows: SeedRow[], opts: AblationOptions = {}): ColumnTable {
  const by = opts.by ?? 'system';
  const byRun = new Map(runs.map((r) => [r.id, r]));
  const withVariant = rows.map((r) => ({ ...r, variant: variantOf(byRun.get(r.run)!, r, by) }));
  const order = [...new Set(withVariant.map((r) => r.variant))];
  const baseline = opts.baseline ?? order[0];
  if (!order.includes(baseline)) {
    throw new EmofuseError(`ablation baseline ${JSON.stringify(baseline)} is not among the variants`, { where: 'report ablation', fix: `choose one of: ${order.join(', ')}` });
  }
  const rollups: Record<string, string> = { n: 'd => op.count()' };
  for (const m of MAIN_METRICS) {
    rollups[`${m}_mean`] = `d => op.mean(d.${m})`;
    rollups[`${m}_std`] = `d => op.count() > 1 ? op.stdev(d.${m}) : null`;
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

/** The ablation as display rows (HTML). */
export function ablationDisplayRows(rows: AblationRow[], baseline: string, baselineLabel = 'baseline'): Record<string, string | number>[] {
  const delta = (r: AblationRow, d: number) => (r.variant === baseline ? baselineLabel : signed(d));
  return rows.map((r) => ({
    variant: r.variant,
    n: r.n,
    UA: meanStd(r.ua_mean, r.ua_std),
    'ΔUA': delta(r, r.ua_delta),
    WA: meanStd(r.wa_mean, r.wa_std),
    'ΔWA': delta(r, r.wa_delta),
    'weighted F1': meanStd(r.f1_mean, r.f1_std),
    'Δweighted F1': delta(r, r.f1_delta),
  }));
}

export function ablationMarkdown(table: ColumnTable, baseline: string): string {
  const rows = ablationDisplayRows(table.objects() as unknown as AblationRow[], baseline, '(baseline)');
  return aq.from(rows).toMarkdown({ align: { n: 'r', UA: 'r', 'ΔUA': 'r', WA: 'r', 'ΔWA': 'r', 'weighted F1': 'r', 'Δweighted F1': 'r' } }).trim();
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;
}

/** One fused configuration's weight choices over every fold and seed. */
export interface FusionChoiceRow {
  system: string;
  /** seeds × folds choices. */
  choices: number;
  seeds: number;
  folds: number;
  w1_mean: number;
  /** Sample std over the choices; null with one. */
  w1_std: number | null;
  w1_min: number;
  w1_max: number;
  /** Each chosen w1 and how often it was chosen, most frequent first. */
  counts: Array<{ w1: number; n: number }>;
  /** Every choice, for report.json. */
  each: Array<{ seed: number; fold: string; w1: number }>;
}

export function fusionChoices(runs: Array<Pick<ReportRun, 'seed' | 'fusionCurve'> & { label: string }>): FusionChoiceRow[] {
  const by = new Map<string, Array<{ seed: number; fold: string; w1: number }>>();
  for (const r of runs) {
    if (!r.fusionCurve) continue;
    const list = by.get(r.label) ?? [];
    for (const f of r.fusionCurve.folds) list.push({ seed: r.seed, fold: f.fold, w1: f.chosen.w1 });
    by.set(r.label, list);
  }
  return [...by.entries()].map(([system, each]) => {
    const ws = each.map((e) => e.w1);
    const mean = ws.reduce((a, b) => a + b, 0) / ws.length;
    const std = ws.length > 1 ? Math.sqrt(ws.reduce((a, w) => a + (w - mean) ** 2, 0) / (ws.length - 1)) : null;
    const tally = new Map<number, number>();
    for (const w of ws) tally.set(w, (tally.get(w) ?? 0) + 1);
    const counts = [...tally.entries()].map(([w1, n]) => ({ w1, n })).sort((a, b) => b.n - a.n || a.w1 - b.w1);
    return {
      system, choices: ws.length, seeds: new Set(each.map((e) => e.seed)).size, folds: new Set(each.map((e) => e.fold)).size,
      w1_mean: mean, w1_std: std, w1_min: Math.min(...ws), w1_max: Math.max(...ws), counts, each,
    };
  });
}

/** The weight choices as display rows. */
export function fusionChoiceDisplayRows(rows: FusionChoiceRow[]): Record<string, string | number>[] {
  const w = (x: number) => x.toFixed(2);
  return rows.map((r) => ({
    system: r.system,
    'choices (seeds × folds)': `${r.choices} (${r.seeds} × ${r.folds})`,
    'w1 mean ± sd': r.w1_std === null ? w(r.w1_mean) : `${w(r.w1_mean)} ± ${w(r.w1_std)}`,
    'w1 min – max': `${w(r.w1_min)} – ${w(r.w1_max)}`,
    'chosen w1 (times)': r.counts.map((c) => `${w(c.w1)} ×${c.n}`).join(', '),
  }));
}
