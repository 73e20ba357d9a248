import type { TopLevelSpec } from 'vega-lite';
import type { ConfusionArtifact, EpochRow, FusionCurve } from './input.ts';
import type { Reference } from './reference.ts';
import { citedName, resultEntries, type AblationRow, type ResultEntry, type SeedRow, type SummaryRow } from './tables.ts';
import type { ChanceRow } from './chance.ts';

/**
 * Vega-Lite specs built from data. Every number drawn comes from the arguments (runs or the
 * reference file); nothing is typed into a spec by hand.
 */

const METRIC_LABEL = { ua: 'UA', wa: 'WA', f1: 'weighted F1' } as const;
const METRIC_ORDER = ['UA', 'WA', 'weighted F1'];
const BASE_CONFIG = { view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 12 }, font: 'Helvetica, Arial, sans-serif' };

/** Where a row's numbers come from; the legend lists only those present. */
const SOURCES = [
  { kind: 'measured here', colour: '#1b7837' },
  { kind: 'cited: Table 2', colour: '#2166ac' },
  { kind: 'cited: Table 3', colour: '#b2182b' },
  { kind: 'test labels', colour: '#777777' },
] as const;

export type Spread = 'std' | 'minmax';

/**
 * Panel headers of configuration rows are long ("text-lstm (model.text.lstmInput=utterance) (3
 * seeds)"): break them before the parenthesis and after each comma so panels never overlap.
 */
const WRAPPED_HEADER = { labelExpr: "split(replace(replace(datum.label, ' (', '|('), regexp(', ', 'g'), ',|'), '|')" } as const;

interface ComparisonRow {
  label: string;
  kind: string;
  metric: string;
  order: number;
  type: 'mean' | 'seed' | 'reference' | 'chance';
  level: 'utterance-level' | 'dialogue-level (uses context)' | '';
  value: number;
  lo?: number;
  hi?: number;
  n?: number;
  seed?: number;
  source: string;
}

/** The label of a result line on the chart's axis; dialogue-level rows carry a *. */
export function entryLabel(e: ResultEntry): string {
  if (e.kind === 'cited') return `${citedName(e.ref)}, cited`;
  if (e.kind === 'measured') return `${e.summary.label}${e.summary.context === 'dialogue' ? ' *' : ''}, measured here`;
  return e.chance.kind === 'majority' ? `${e.chance.name}: always ${e.chance.majority}` : `${e.chance.name}: 1/${e.chance.classes.length}`;
}

/**
 * (1) UA / WA / weighted F1 of the systems measured here (mean, an error bar of ±std or min..max
 * when there are several seeds, each seed as a dot) beside the cited rows of the paper's Table 2
 * and Table 3, and the majority-class and chance scores of the test labels. Dialogue-level rows are hollow.
 */
export function comparisonSpec(summary: SummaryRow[], seeds: SeedRow[], reference: Reference, opts: { spread?: Spread; split?: string; chance?: ChanceRow[] } = {}): TopLevelSpec {
  const spread = opts.spread ?? 'std';
  const rows: ComparisonRow[] = [];
  resultEntries(summary, reference, opts.chance ?? []).forEach((e, order) => {
    const label = entryLabel(e);
    for (const m of ['ua', 'wa', 'f1'] as const) {
      const metric = METRIC_LABEL[m];
      if (e.kind === 'measured') {
        const s = e.summary;
        const level = s.context === 'dialogue' ? 'dialogue-level (uses context)' : 'utterance-level';
        const mean = s[`${m}_mean`];
        const std = s[`${m}_std`];
        // One seed has no spread: no bar at all rather than a bar of zero width.
        const bar = s.n > 1 && std !== null ? (spread === 'std' ? { lo: mean - std, hi: mean + std } : { lo: s[`${m}_min`], hi: s[`${m}_max`] }) : {};
        rows.push({ label, kind: 'measured here', metric, order, type: 'mean', level, value: mean, ...bar, n: s.n, source: 'measured here' });
        for (const r of seeds.filter((x) => x.label === s.label)) rows.push({ label, kind: 'measured here', metric, order, type: 'seed', level, value: r[m], seed: r.seed, source: 'measured here' });
      } else if (e.kind === 'cited') {
        const level = e.ref.dialogLevel ? 'dialogue-level (uses context)' : 'utterance-level';
        rows.push({ label, kind: `cited: ${e.ref.table}`, metric, order, type: 'reference', level, value: e.ref[m], source: 'cited from the paper' });
      } else {
        rows.push({ label, kind: 'test labels', metric, order, type: 'chance', level: '', value: e.chance[m], source: 'computed from the test labels' });
      }
    }
  });

  const present = SOURCES.filter((s) => rows.some((r) => r.kind === s.kind));
  const colour = { field: 'kind', type: 'nominal', title: 'source', scale: { domain: present.map((s) => s.kind), range: present.map((s) => s.colour) } } as const;
  const y = { field: 'label', type: 'nominal', title: null, sort: { field: 'order', op: 'min', order: 'ascending' }, axis: { labelLimit: 560 } } as const;
  const values = rows.flatMap((r) => [r.value, r.lo ?? r.value, r.hi ?? r.value]);
  const domain = values.length ? [Math.max(0, Math.floor(Math.min(...values) / 5) * 5 - 5), Math.min(100, Math.ceil(Math.max(...values) / 5) * 5 + 5)] : [0, 100];
  const x = { field: 'value', type: 'quantitative', title: `${opts.split ?? 'test'} score (%)`, scale: { domain, zero: false } } as const;
  // Points take stroke + fill (color would override fill), hollow for dialogue-level rows; all three
  // share the field and scale, so vega-lite merges them into one legend (legend: null on any drops it).
  const stroke = colour;
  const hollow = { condition: { test: "datum.level === 'dialogue-level (uses context)'", value: 'white' }, field: 'kind', type: 'nominal', title: 'source', scale: colour.scale } as const;
  const tip = [{ field: 'label' }, { field: 'source' }, { field: 'value', format: '.1f' }, { field: 'level' }];
  const cited = reference.rows.length > 0;
  const parts = [
    `measured: mean with ${spread === 'std' ? '±1 sample std' : 'min..max'} over seeds (none for a single seed), dots = single seeds`,
    cited ? 'diamonds / squares = cited from the paper' : '',
    rows.some((r) => r.level === 'dialogue-level (uses context)') ? 'hollow and * = dialogue-level (uses context)' : '',
  ].filter(Boolean);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: cited ? 'Measured here vs cited from the paper (Table 2, Table 3)' : 'UA / WA / weighted F1 over seeds', subtitle: parts.join('; ') },
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: METRIC_ORDER } },
    spec: {
      width: 210,
      height: { step: 18 },
      layer: [
        {
          transform: [{ filter: "datum.type === 'mean' && isValid(datum.lo)" }],
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: { y, x: { field: 'lo', type: 'quantitative', scale: { domain, zero: false }, title: x.title }, x2: { field: 'hi' }, color: colour },
        },
        {
          transform: [{ filter: "datum.type === 'seed'" }],
          mark: { type: 'circle', size: 28, opacity: 0.55, strokeWidth: 1 },
          encoding: { y, x, stroke, fill: hollow, tooltip: [{ field: 'label' }, { field: 'seed' }, { field: 'value', format: '.1f' }] },
        },
        {
          transform: [{ filter: "datum.type === 'mean'" }],
          mark: { type: 'tick', thickness: 3, size: 14 },
          encoding: { y, x, color: colour, tooltip: [...tip, { field: 'n', title: 'seeds' }, { field: 'lo', format: '.1f' }, { field: 'hi', format: '.1f' }] },
        },
        {
          transform: [{ filter: "datum.type === 'reference' && datum.kind === 'cited: Table 2'" }],
          mark: { type: 'point', shape: 'diamond', size: 80, strokeWidth: 2, opacity: 1 },
          encoding: { y, x, stroke, fill: hollow, tooltip: tip },
        },
        {
          transform: [{ filter: "datum.type === 'reference' && datum.kind === 'cited: Table 3'" }],
          mark: { type: 'point', shape: 'square', size: 70, strokeWidth: 2, opacity: 1 },
          encoding: { y, x, stroke, fill: hollow, tooltip: tip },
        },
        {
          transform: [{ filter: "datum.type === 'chance'" }],
          mark: { type: 'point', shape: 'cross', size: 70, filled: true, opacity: 1 },
          encoding: { y, x, color: colour, tooltip: tip },
        },
      ],
    },
    resolve: { scale: { x: 'shared' } },
    config: BASE_CONFIG,
  };
}

export interface ConfusionEntry {
  system: string;
  /** Summed over the seeds given. */
  confusion: ConfusionArtifact;
  seeds: number;
}

function confusionTitle(e: { system: string; seeds: number }): string {
  return `${e.system} (${e.seeds} seed${e.seeds === 1 ? '' : 's'})`;
}

/** Row-normalised confusion cells: rate = counts[true][pred] / sum of the true row. */
export function confusionCells(entries: ConfusionEntry[]) {
  return entries.flatMap(({ system, confusion, seeds }) =>
    confusion.classes.flatMap((truth, i) => {
      const row = confusion.counts[i];
      const total = row.reduce((a, b) => a + b, 0);
      return confusion.classes.map((pred, j) => ({
        system: confusionTitle({ system, seeds }),
        truth,
        pred,
        count: row[j],
        rate: total > 0 ? row[j] / total : 0,
      }));
    }),
  );
}

/** (2) Row-normalised confusion matrices, one heatmap per system, with the rate printed in each cell. */
export function confusionSpec(entries: ConfusionEntry[]): TopLevelSpec {
  const classes = entries[0]?.confusion.classes ?? [];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Confusion matrices (row-normalised: share of each true class)', subtitle: 'counts summed over seeds before normalising' },
    data: { values: confusionCells(entries) },
    facet: { column: { field: 'system', type: 'nominal', title: null, sort: entries.map((e) => confusionTitle(e)), header: WRAPPED_HEADER } },
    spec: {
      width: 200,
      height: 200,
      encoding: {
        x: { field: 'pred', type: 'ordinal', sort: classes, title: 'predicted' },
        y: { field: 'truth', type: 'ordinal', sort: classes, title: 'true' },
      },
      layer: [
        {
          mark: 'rect',
          encoding: {
            color: { field: 'rate', type: 'quantitative', title: 'share', scale: { scheme: 'blues', domain: [0, 1] } },
            tooltip: [{ field: 'truth' }, { field: 'pred' }, { field: 'count' }, { field: 'rate', format: '.1%' }],
          },
        },
        {
          mark: { type: 'text', fontSize: 10 },
          encoding: {
            text: { field: 'rate', type: 'quantitative', format: '.0%' },
            color: { condition: { test: 'datum.rate > 0.5', value: 'white' }, value: 'black' },
          },
        },
      ],
    },
    config: BASE_CONFIG,
  };
}

export interface FusionCurveEntry {
  system: string;
  seed: number;
  curve: FusionCurve;
}

/**
 * (3) Every fold's and seed's weight search: validation metric against w1, one thin line per
 * (seed, fold), a triangle at the w1 each one chose, and a dashed rule at the mean choice. Folds
 * choose differently; one curve would hide that.
 */
export function fusionCurveSpec(entries: FusionCurveEntry[], units: 'fraction' | 'percent'): TopLevelSpec {
  const k = units === 'fraction' ? 100 : 1;
  const metric = entries[0]?.curve.metric ?? 'ua';
  const searches = entries.flatMap((e) => e.curve.folds.map((f) => ({ system: e.system, seed: String(e.seed), fold: f.fold, key: `seed ${e.seed} fold ${f.fold}`, f })));
  const line = searches.flatMap((s) => s.f.curve.map((p) => ({ part: 'curve', system: s.system, seed: s.seed, fold: s.fold, key: s.key, w1: p.w1, score: p.score * k })));
  const chosen = searches.map((s) => {
    const at = s.f.curve.find((p) => Math.abs(p.w1 - s.f.chosen.w1) < 1e-9);
    return { part: 'chosen', system: s.system, seed: s.seed, fold: s.fold, key: s.key, w1: s.f.chosen.w1, score: at ? at.score * k : null };
  });
  const systems = [...new Set(entries.map((e) => e.system))];
  const means = systems.map((system) => {
    const ws = chosen.filter((c) => c.system === system).map((c) => c.w1);
    return { part: 'mean', system, w1: ws.reduce((a, b) => a + b, 0) / ws.length, n: ws.length };
  });
  const seedColour = { field: 'seed', type: 'nominal', title: 'seed' } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Late fusion weight search: validation ${metric.toUpperCase()} against w1, every fold and seed`, subtitle: 'w2 = 1 − w1; one line per seed × fold; triangle = w1 that fold chose on its validation split; dashed rule = mean chosen w1' },
    facet: { column: { field: 'system', type: 'nominal', title: null, header: WRAPPED_HEADER } },
    data: { values: [...line, ...chosen, ...means] },
    spec: {
      width: 320,
      height: 220,
      layer: [
        {
          transform: [{ filter: "datum.part === 'curve'" }],
          mark: { type: 'line', strokeWidth: 1, opacity: 0.55 },
          encoding: {
            x: { field: 'w1', type: 'quantitative', title: 'w1 (weight of the first fused system)', scale: { domain: [0, 1] } },
            y: { field: 'score', type: 'quantitative', title: `valid ${metric.toUpperCase()} (%)`, scale: { zero: false } },
            color: seedColour,
            detail: { field: 'key' },
            tooltip: [{ field: 'seed' }, { field: 'fold' }, { field: 'w1' }, { field: 'score', format: '.2f', title: `valid ${metric}` }],
          },
        },
        {
          transform: [{ filter: "datum.part === 'chosen' && datum.score !== null" }],
          mark: { type: 'point', shape: 'triangle-up', filled: true, size: 70 },
          encoding: { x: { field: 'w1', type: 'quantitative' }, y: { field: 'score', type: 'quantitative' }, color: seedColour, tooltip: [{ field: 'seed' }, { field: 'fold' }, { field: 'w1', title: 'chosen w1' }] },
        },
        {
          transform: [{ filter: "datum.part === 'mean'" }],
          mark: { type: 'rule', strokeDash: [5, 4], strokeWidth: 1.5, color: '#333' },
          encoding: { x: { field: 'w1', type: 'quantitative' }, tooltip: [{ field: 'w1', format: '.3f', title: 'mean chosen w1' }, { field: 'n', title: 'choices' }] },
        },
      ],
    },
    config: BASE_CONFIG,
  };
}

export interface HistoryEntry {
  system: string;
  seed: number;
  history: EpochRow[];
}

/** (4) Loss and accuracy per epoch, train (solid) vs valid (dashed), one line per seed. */
export function trainingCurvesSpec(entries: HistoryEntry[]): TopLevelSpec {
  const values = entries.flatMap((e) =>
    e.history.flatMap((h) =>
      (['train', 'valid'] as const).flatMap((part) =>
        (['loss', 'acc'] as const).flatMap((measure) => {
          const v = h[`${part}_${measure}`];
          return v === undefined ? [] : [{ system: e.system, seed: String(e.seed), epoch: h.epoch, part, measure, value: v }];
        }),
      ),
    ),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Training curves per epoch', subtitle: 'solid = train, dashed = validation; colour = seed' },
    data: { values },
    facet: {
      row: { field: 'measure', type: 'nominal', title: null, sort: ['loss', 'acc'] },
      column: { field: 'system', type: 'nominal', title: null, sort: [...new Set(entries.map((e) => e.system))], header: WRAPPED_HEADER },
    },
    spec: {
      width: 220,
      height: 140,
      // Points too: a 1-epoch run is a single point per line, which a bare line would not draw.
      mark: { type: 'line', strokeWidth: 1.5, point: { size: 14 } },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'seed', type: 'nominal', title: 'seed' },
        strokeDash: { field: 'part', type: 'nominal', title: 'part', scale: { domain: ['train', 'valid'], range: [[1, 0], [5, 3]] }, legend: { symbolType: 'stroke', symbolStrokeColor: '#333' } },
        detail: { field: 'seed' },
        tooltip: [{ field: 'system' }, { field: 'seed' }, { field: 'part' }, { field: 'epoch' }, { field: 'value', format: '.4f' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: BASE_CONFIG,
  };
}

/** (5) The ablation: each variant's difference from the baseline variant, in points, with the seed spread. */
export function ablationSpec(rows: AblationRow[], baseline: string): TopLevelSpec {
  const values = rows.flatMap((r) =>
    (['ua', 'wa', 'f1'] as const).map((m) => {
      const std = r[`${m}_std`];
      const bar = std === null ? {} : { lo: r[`${m}_delta`] - std, hi: r[`${m}_delta`] + std };
      return { variant: r.variant, metric: METRIC_LABEL[m], delta: r[`${m}_delta`], ...bar, mean: r[`${m}_mean`], n: r.n };
    }),
  );
  const order = rows.map((r) => r.variant);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Ablation: difference from ${baseline} (percentage points)`, subtitle: 'bar = difference of means; line = ±1 std of the variant over seeds (none for a single seed)' },
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: METRIC_ORDER } },
    spec: {
      width: 200,
      height: { step: 22 },
      encoding: { y: { field: 'variant', type: 'nominal', sort: order, title: null, axis: { labelLimit: 400 } } },
      layer: [
        {
          mark: 'bar',
          encoding: {
            x: { field: 'delta', type: 'quantitative', title: 'Δ (points)' },
            color: { condition: { test: 'datum.delta < 0', value: '#d6604d' }, value: '#4393c3' },
            tooltip: [{ field: 'variant' }, { field: 'n', title: 'seeds' }, { field: 'mean', format: '.1f' }, { field: 'delta', format: '+.1f' }],
          },
        },
        { transform: [{ filter: 'isValid(datum.lo)' }], mark: { type: 'rule', color: '#333' }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
      ],
    },
    config: BASE_CONFIG,
  };
}
