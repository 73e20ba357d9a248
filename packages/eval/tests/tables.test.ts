import { describe, expect, it } from 'vitest';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { computeMetrics, confusionTable, meanStd, metricsTable, perClassTable, resultRow, summaryTable, type ReportEntry, type ResultRow } from '../src/index.ts';

const classes = ['hap', 'sad', 'neu'];
const truth = [0, 0, 0, 1, 1, 2, 2, 2, 2, 1];
const predText = [0, 1, 2, 1, 1, 2, 0, 2, 2, 1];
const predFusion = [0, 0, 2, 1, 1, 2, 2, 2, 2, 1];

const rows: ResultRow[] = [
  { system: 'text-lstm', seed: 2, split: 'test', ua: 0.6, wa: 0.62, f1: 0.61, macroF1: 0.58 },
  { system: 'text-lstm', seed: 1, split: 'test', ua: 0.5, wa: 0.55, f1: 0.52, macroF1: 0.5 },
  { system: 'text-lstm', seed: 3, split: 'test', ua: 0.55, wa: 0.6, f1: 0.58, macroF1: 0.53 },
  { system: 'fusion-product', seed: 1, split: 'test', ua: 0.7, wa: 0.72, f1: 0.71, macroF1: 0.69 },
  { system: 'fusion-product', seed: 1, split: 'valid', ua: 0.74, wa: 0.75, f1: 0.73, macroF1: 0.7 },
];

describe('metricsTable and summaryTable', () => {
  it('keeps one row per system, seed and split, sorted, as plain objects', () => {
    const t = metricsTable(rows);
    expect(t.numRows()).toBe(5);
    expect(t.columnNames()).toEqual(['system', 'seed', 'split', 'ua', 'wa', 'f1', 'macroF1']);
    expect(t.objects()[0]).toEqual(rows[3]);
    expect((t.objects() as ResultRow[]).filter((r) => r.system === 'text-lstm').map((r) => r.seed)).toEqual([1, 2, 3]);
  });

  it('summarises mean, sample std (n - 1) and n per system, split and metric', () => {
    const s = summaryTable(rows).objects() as { system: string; split: string; metric: string; n: number; mean: number; std: number | null }[];
    expect(s).toHaveLength(3 * 4);
    const ua = s.find((r) => r.system === 'text-lstm' && r.metric === 'ua')!;
    const ref = meanStd([0.6, 0.5, 0.55]);
    expect(ua.n).toBe(3);
    expect(ua.mean).toBeCloseTo(ref.mean, 15);
    expect(ua.std).toBeCloseTo(ref.std, 15);
    expect(ua.std).toBeCloseTo(0.05, 15);
    const single = s.find((r) => r.system === 'fusion-product' && r.split === 'valid' && r.metric === 'wa')!;
    expect([single.n, single.mean, single.std]).toEqual([1, 0.75, null]);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('takes extra metric columns and rows made from reports', () => {
    const m = computeMetrics({ classes, truth, pred: predText });
    const extra = metricsTable([{ ...resultRow({ system: 'a', seed: 1, split: 'test' }, m), loss: 0.9 }]);
    expect(extra.columnNames()).toContain('loss');
    expect((extra.objects()[0] as ResultRow).ua).toBe(m.ua);
  });

  it('refuses duplicates, missing or non-finite metrics and missing keys, naming the row', () => {
    expect(() => metricsTable([...rows, rows[0]])).toThrow(/row 5 repeats system text-lstm, seed 2, split test/);
    expect(() => metricsTable([{ ...rows[0], ua: NaN }])).toThrow(/row 0 \(text-lstm, seed 2, test\) has ua = NaN/);
    const { wa: _wa, ...noWa } = rows[1];
    expect(() => metricsTable([rows[0], noWa as ResultRow])).toThrow(/row 1 .* has wa = undefined/);
    expect(() => metricsTable([{ ...rows[0], split: '' }])).toThrow(/row 0 \(text-lstm\) has no split/);
    expect(() => metricsTable([])).toThrow(/no results/);
  });
});

describe('perClassTable and confusionTable', () => {
  const entries: ReportEntry[] = [
    { system: 'text-lstm', seed: 1, split: 'test', metrics: computeMetrics({ classes, truth, pred: predText }) },
    { system: 'fusion-product', seed: 1, split: 'test', metrics: computeMetrics({ classes, truth, pred: predFusion }) },
  ];

  it('per-class rows carry precision, recall, F1 and support', () => {
    const t = perClassTable(entries).objects();
    expect(t).toHaveLength(6);
    expect(t[0]).toEqual({ system: 'text-lstm', seed: 1, split: 'test', class: 'hap', precision: 0.5, recall: 1 / 3, f1: 0.4, support: 3, predicted: 2 });
  });

  it('confusion cells in long format: counts add up to n, rates to 1 per true class', () => {
    const t = confusionTable(entries).objects() as { system: string; true: string; pred: string; count: number; rate: number }[];
    expect(t).toHaveLength(2 * 9);
    const text = t.filter((r) => r.system === 'text-lstm');
    expect(text.reduce((a, r) => a + r.count, 0)).toBe(truth.length);
    for (const c of classes) expect(text.filter((r) => r.true === c).reduce((a, r) => a + r.rate, 0)).toBeCloseTo(1, 15);
    expect(text.find((r) => r.true === 'neu' && r.pred === 'hap')).toMatchObject({ count: 1, rate: 0.25 });
  });

  it('feeds a Vega-Lite heatmap that renders', async () => {
    const spec: TopLevelSpec = {
      data: { values: confusionTable(entries).objects() },
      facet: { column: { field: 'system' } },
      spec: {
        mark: 'rect',
        encoding: {
          x: { field: 'pred', type: 'nominal' },
          y: { field: 'true', type: 'nominal' },
          color: { field: 'rate', type: 'quantitative' },
        },
      },
    };
    const view = new View(parse(compile(spec).spec), { renderer: 'none' });
    const svg = await view.toSVG();
    expect(svg).toMatch(/^<svg/);
    expect((svg.match(/<path/g) ?? []).length).toBeGreaterThanOrEqual(18);
    view.finalize();
  });
});
