import type { TopLevelSpec } from 'vega-lite';
import type { ConfusionArtifact, EpochRow, FusionCurve } from './input.ts';
import type { Reference } from './reference.ts';
import type { AblationRow, SeedRow, SummaryRow } from './tables.ts';

/**
 * Vega-Lite specs built from data. Every number drawn comes from the arguments (runs or the
 * reference file); nothing is typed into a spec by hand.
 */

const KIND_COLOURS = { ours: '#1b7837', paper: '#2166ac', baseline: '#b2182b' } as const;
const METRIC_LABEL = { ua: 'UA', wa: 'WA', f1: 'F1' } as const;
const BASE_CONFIG = { view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 12 }, font: 'Helvetica, Arial, sans-serif' };

export type Spread = 'std' | 'minmax';

interface ComparisonRow {
  label: string;
  kind: 'ours' | 'paper' | 'baseline';
  metric: string;
  order: number;
  type: 'mean' | 'seed' | 'reference';
  value: number;
  lo?: number;
  hi?: number;
  n?: number;
  seed?: number;
  note?: string;
}

/**
 * (1) UA / WA / F1 of our systems (mean, an error bar of ±std or min..max, each seed as a dot)
 * beside the paper's Table 2 and the Table 3 baselines; dialog-level baselines are starred and hollow.
 */
export function comparisonSpec(summary: SummaryRow[], seeds: SeedRow[], reference: Reference, opts: { spread?: Spread; split?: string } = {}): TopLevelSpec {
  const spread = opts.spread ?? 'std';
  const rows: ComparisonRow[] = [];
  let order = 0;
  const oursLabel = (s: string) => `ours: ${s}`;
  const placed = new Set<string>();
  const pushOurs = (s: SummaryRow) => {
    placed.add(s.system);
    const o = order++;
    for (const m of ['ua', 'wa', 'f1'] as const) {
      const mean = s[`${m}_mean`];
      const [lo, hi] = spread === 'std' ? [mean - s[`${m}_std`], mean + s[`${m}_std`]] : [s[`${m}_min`], s[`${m}_max`]];
      rows.push({ label: oursLabel(s.system), kind: 'ours', metric: METRIC_LABEL[m], order: o, type: 'mean', value: mean, lo, hi, n: s.n });
      for (const r of seeds.filter((x) => x.system === s.system)) {
        rows.push({ label: oursLabel(s.system), kind: 'ours', metric: METRIC_LABEL[m], order: o, type: 'seed', value: r[m], seed: r.seed });
      }
    }
  };
  // Each paper row is followed by our systems that reproduce it, so the pairs sit together.
  for (const ref of reference.rows) {
    const o = order++;
    const label = ref.kind === 'paper' ? `paper: ${ref.name} (${ref.input})` : `baseline: ${ref.name} (${ref.input}${ref.dialogLevel ? ', dialog-level' : ''})`;
    for (const m of ['ua', 'wa', 'f1'] as const) {
      rows.push({ label, kind: ref.kind, metric: METRIC_LABEL[m], order: o, type: 'reference', value: ref[m], note: ref.dialogLevel ? 'dialog-level (uses context)' : 'utterance-level' });
    }
    for (const s of summary.filter((x) => ref.kind === 'paper' && ref.systems.includes(x.system))) pushOurs(s);
  }
  for (const s of summary.filter((x) => !placed.has(x.system))) pushOurs(s);

  const colour = { field: 'kind', type: 'nominal', title: 'source', scale: { domain: ['ours', 'paper', 'baseline'], range: Object.values(KIND_COLOURS) } } as const;
  const y = { field: 'label', type: 'nominal', title: null, sort: { field: 'order', op: 'min', order: 'ascending' }, axis: { labelLimit: 320 } } as const;
  const values = rows.map((r) => r.value).concat(rows.flatMap((r) => [r.lo ?? r.value, r.hi ?? r.value]));
  const domain = [Math.max(0, Math.floor(Math.min(...values) / 5) * 5 - 5), Math.min(100, Math.ceil(Math.max(...values) / 5) * 5 + 5)];
  const x = { field: 'value', type: 'quantitative', title: `${opts.split ?? 'test'} score (%)`, scale: { domain, zero: false } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: reference.rows.length > 0 ? 'Ours vs the paper (Table 2) and baselines (Table 3)' : 'UA / WA / F1 over seeds', subtitle: `ours: mean with ${spread === 'std' ? '±1 sample std' : 'min..max'} over seeds, dots = single seeds; * = dialog-level baseline (hollow)` },
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['UA', 'WA', 'F1'] } },
    spec: {
      width: 210,
      height: { step: 18 },
      layer: [
        {
          transform: [{ filter: "datum.type === 'mean'" }],
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: { y, x: { field: 'lo', type: 'quantitative', scale: { domain, zero: false }, title: x.title }, x2: { field: 'hi' }, color: colour },
        },
        {
          transform: [{ filter: "datum.type === 'seed'" }],
          mark: { type: 'circle', size: 28, opacity: 0.55 },
          encoding: { y: { ...y, sort: y.sort }, x, color: colour, tooltip: [{ field: 'label' }, { field: 'seed' }, { field: 'value', format: '.1f' }] },
        },
        {
          transform: [{ filter: "datum.type === 'mean'" }],
          mark: { type: 'tick', thickness: 3, size: 14 },
          encoding: { y, x, color: colour, tooltip: [{ field: 'label' }, { field: 'n', title: 'seeds' }, { field: 'value', title: 'mean', format: '.1f' }, { field: 'lo', format: '.1f' }, { field: 'hi', format: '.1f' }] },
        },
        {
          transform: [{ filter: "datum.type === 'reference' && datum.kind === 'paper'" }],
          mark: { type: 'point', shape: 'diamond', filled: true, size: 80 },
          encoding: { y, x, color: colour, tooltip: [{ field: 'label' }, { field: 'value', format: '.1f' }, { field: 'note' }] },
        },
        {
          // Dialog-level baselines are drawn hollow: they use context that utterance-level systems do not.
          transform: [{ filter: "datum.type === 'reference' && datum.kind === 'baseline'" }],
          mark: { type: 'point', shape: 'square', size: 70, strokeWidth: 2 },
          encoding: {
            y,
            x,
            color: colour,
            fill: { condition: { test: "datum.note === 'utterance-level'", value: KIND_COLOURS.baseline }, value: 'white' },
            tooltip: [{ field: 'label' }, { field: 'value', format: '.1f' }, { field: 'note' }],
          },
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
    facet: { column: { field: 'system', type: 'nominal', title: null, sort: entries.map((e) => confusionTitle(e)) } },
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

/** (3) Validation metric against w1 per seed, the chosen w1 as a rule, and the test score at it as a labelled point. */
export function fusionCurveSpec(entries: FusionCurveEntry[], units: 'fraction' | 'percent'): TopLevelSpec {
  const k = units === 'fraction' ? 100 : 1;
  const metric = entries[0]?.curve.metric ?? 'ua';
  const line = entries.flatMap((e) => e.curve.curve.map((p) => ({ system: e.system, seed: String(e.seed), w1: p.w1, score: p.score * k })));
  const chosen = entries.map((e) => {
    const t = e.curve.test[e.curve.metric];
    return {
      system: e.system,
      seed: String(e.seed),
      w1: e.curve.chosen.w1,
      test: t === undefined ? null : t * k,
      label: `seed ${e.seed}: ` + (t === undefined ? `w1=${e.curve.chosen.w1}` : `test ${e.curve.metric.toUpperCase()} ${(t * k).toFixed(1)} at w1=${e.curve.chosen.w1}`),
    };
  });
  // Headroom above every value holds one label line per seed, so labels never cover the curves.
  const ys = [...line.map((r) => r.score), ...chosen.flatMap((c) => (c.test === null ? [] : [c.test]))];
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const span = hi - lo || 1;
  const perSystem = Math.max(...[...new Set(chosen.map((c) => c.system))].map((s) => chosen.filter((c) => c.system === s).length));
  const lineStep = span * 0.08;
  const top = hi + lineStep * (perSystem + 0.6);
  const labels = chosen.map((c) => {
    const rank = chosen.filter((o) => o.system === c.system && Number(o.seed) < Number(c.seed)).length;
    return { system: c.system, seed: c.seed, text: c.label, ly: top - lineStep * (rank + 0.4) };
  });
  const yScale = { domain: [lo - span * 0.05, top], nice: false, zero: false };
  const seedColour = { field: 'seed', type: 'nominal', title: 'seed' } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Late fusion weight search: validation ${metric.toUpperCase()} against w1`, subtitle: 'w2 = 1 − w1; dashed rule = w1 chosen on validation; triangle = test score at that w1 (scored once)' },
    facet: { column: { field: 'system', type: 'nominal', title: null } },
    data: { values: [...line.map((r) => ({ ...r, part: 'curve' })), ...chosen.map((r) => ({ ...r, part: 'chosen' })), ...labels.map((r) => ({ ...r, part: 'label' }))] },
    spec: {
      width: 320,
      height: 220,
      layer: [
        {
          transform: [{ filter: "datum.part === 'curve'" }],
          mark: { type: 'line', point: { size: 18 } },
          encoding: {
            x: { field: 'w1', type: 'quantitative', title: 'w1 (weight of the text posteriors)', scale: { domain: [0, 1] } },
            y: { field: 'score', type: 'quantitative', title: `${metric.toUpperCase()} (%)`, scale: yScale },
            color: seedColour,
            tooltip: [{ field: 'seed' }, { field: 'w1' }, { field: 'score', format: '.2f', title: `valid ${metric}` }],
          },
        },
        {
          transform: [{ filter: "datum.part === 'chosen'" }],
          mark: { type: 'rule', strokeDash: [5, 4], strokeWidth: 1.5 },
          encoding: { x: { field: 'w1', type: 'quantitative' }, color: seedColour },
        },
        {
          transform: [{ filter: "datum.part === 'chosen' && datum.test !== null" }],
          mark: { type: 'point', shape: 'triangle-up', filled: true, size: 90 },
          encoding: { x: { field: 'w1', type: 'quantitative' }, y: { field: 'test', type: 'quantitative' }, color: seedColour, tooltip: [{ field: 'label' }] },
        },
        {
          transform: [{ filter: "datum.part === 'label'" }],
          mark: { type: 'text', align: 'right', baseline: 'middle', fontSize: 10 },
          encoding: { x: { value: 316 }, y: { field: 'ly', type: 'quantitative' }, text: { field: 'text' }, color: seedColour },
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
      column: { field: 'system', type: 'nominal', title: null },
    },
    spec: {
      width: 220,
      height: 140,
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
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
    (['ua', 'wa', 'f1'] as const).map((m) => ({ variant: r.variant, metric: METRIC_LABEL[m], delta: r[`${m}_delta`], lo: r[`${m}_delta`] - r[`${m}_std`], hi: r[`${m}_delta`] + r[`${m}_std`], mean: r[`${m}_mean`], n: r.n })),
  );
  const order = rows.map((r) => r.variant);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Ablation: difference from ${baseline} (percentage points)`, subtitle: 'bar = difference of means; line = ±1 std of the variant over seeds' },
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['UA', 'WA', 'F1'] } },
    spec: {
      width: 200,
      height: { step: 22 },
      encoding: { y: { field: 'variant', type: 'nominal', sort: order, title: null } },
      layer: [
        {
          mark: 'bar',
          encoding: {
            x: { field: 'delta', type: 'quantitative', title: 'Δ (points)' },
            color: { condition: { test: 'datum.delta < 0', value: '#d6604d' }, value: '#4393c3' },
            tooltip: [{ field: 'variant' }, { field: 'n', title: 'seeds' }, { field: 'mean', format: '.1f' }, { field: 'delta', format: '+.1f' }],
          },
        },
        { mark: { type: 'rule', color: '#333' }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
      ],
    },
    config: BASE_CONFIG,
  };
}
