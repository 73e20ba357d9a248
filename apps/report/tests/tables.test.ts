import { describe, expect, it } from 'vitest';
import { checkReportInput, loadReference, selectRuns, seedRows, summarise, summaryMarkdown, ablationTable } from '../src/index.ts';
import { fixtureRuns } from './fixtures.ts';

const reference = loadReference();

describe('reference.json', () => {
  it('holds Table 2 and the Table 3 baselines with their citation', () => {
    expect(reference.source.citation).toMatch(/Sebastian.*Pierucci.*Interspeech 2019/);
    expect(reference.rows.filter((r) => r.kind === 'paper').map((r) => r.name)).toHaveLength(6);
    const base = reference.rows.filter((r) => r.kind === 'baseline');
    expect(base.map((r) => [r.name, r.input, r.dialogLevel])).toEqual([
      ['TFN', 'A+T+V', false],
      ['MFN', 'A+T+V', false],
      ['cLSTM*', 'A+T+V', true],
      ['ICON*', 'A+T', true],
    ]);
    const weighted = reference.rows.find((r) => r.systems.includes('late-weighted'))!;
    expect([weighted.ua, weighted.wa, weighted.f1]).toEqual([60.2, 59.6, 59.6]);
  });
});

describe('summaries over seeds', () => {
  const input = checkReportInput({ runs: fixtureRuns() });

  it('computes mean, sample std, min and max per system in percent, with the paper beside', () => {
    const rows = seedRows(input.runs, 'test', input.metricUnits);
    const summary = summarise(rows, reference);
    expect(summary.map((s) => s.system)).toEqual(['text-lstm', 'late-weighted']);
    const ua = input.runs.filter((r) => r.system === 'text-lstm').map((r) => r.metrics.test_ua * 100);
    const mean = ua.reduce((a, b) => a + b) / ua.length;
    const std = Math.sqrt(ua.reduce((a, b) => a + (b - mean) ** 2, 0) / (ua.length - 1));
    const lstm = summary[0];
    expect(lstm.n).toBe(3);
    expect(lstm.seeds).toBe('1,2,3');
    expect(lstm.ua_mean).toBeCloseTo(mean, 10);
    expect(lstm.ua_std).toBeCloseTo(std, 10);
    expect(lstm.ua_min).toBeCloseTo(Math.min(...ua), 10);
    expect(lstm.ua_max).toBeCloseTo(Math.max(...ua), 10);
    expect(lstm.paper).toBe('LSTM');
    expect(lstm.paper_ua).toBe(53.0);
  });

  it('gives a single seed a zero spread, not NaN', () => {
    const one = checkReportInput({ runs: fixtureRuns([7]) });
    const s = summarise(seedRows(one.runs, 'test', 'fraction'), reference);
    expect(s[0].n).toBe(1);
    expect(s[0].ua_std).toBe(0);
  });

  it('writes a Markdown table of systems x (UA, WA, F1) with n and the paper numbers', () => {
    const summary = summarise(seedRows(input.runs, 'test', 'fraction'), reference);
    const md = summaryMarkdown(summary, reference, 'test');
    const lstmLine = md.split('\n').find((l) => l.startsWith('|text-lstm|'))!;
    expect(lstmLine).toContain(`${summary[0].ua_mean.toFixed(1)} ± ${summary[0].ua_std.toFixed(1)}`);
    expect(lstmLine).toContain('|53.0|');
    expect(md).toContain('|ICON*|A+T|yes|60.0|63.0|63.0|');
  });

  it('computes ablation differences from the baseline variant', () => {
    const rows = seedRows(input.runs, 'test', 'fraction');
    const t = ablationTable(input.runs, rows, { baseline: 'text-lstm' }).objects() as Array<Record<string, number | string>>;
    expect(t[0].variant).toBe('text-lstm');
    expect(t[0].ua_delta).toBe(0);
    expect(t[1].ua_delta as number).toBeCloseTo((t[1].ua_mean as number) - (t[0].ua_mean as number), 10);
    const byTag = ablationTable(input.runs, rows, { by: { tag: 'rule' } }).objects() as Array<{ variant: string }>;
    expect(byTag.map((r) => r.variant)).toEqual(['rule=(unset) · text-lstm', 'rule=weighted · late-weighted']);
  });
});

describe('errors', () => {
  it('refuses an empty store and an empty selection, naming what there is', () => {
    expect(() => selectRuns(checkReportInput({ runs: [], source: 'mlruns' }))).toThrow(/no runs to report/);
    const input = checkReportInput({ runs: fixtureRuns() });
    expect(() => selectRuns(input, ['joint-cnn'])).toThrow(expect.objectContaining({ message: expect.stringContaining('joint-cnn'), fix: expect.stringContaining('late-weighted, text-lstm') }));
  });

  it('keeps the order of the systems asked for', () => {
    const input = checkReportInput({ runs: fixtureRuns() });
    expect([...new Set(selectRuns(input, ['late-weighted', 'text-lstm']).map((r) => r.system))]).toEqual(['late-weighted', 'text-lstm']);
    expect(selectRuns(input, ['text-lstm']).map((r) => r.seed)).toEqual([1, 2, 3]);
  });

  it('names the run and the metric that is missing', () => {
    const runs = fixtureRuns();
    delete (runs[3].metrics as Record<string, number>).test_wa;
    const input = checkReportInput({ runs });
    expect(() => seedRows(input.runs, 'test', 'fraction')).toThrow(`run ${runs[3].id} (system late-weighted, seed 2) has no metric test_wa`);
  });

  it('names the run and field of a malformed artifact', () => {
    const runs = fixtureRuns();
    runs[1].confusion = { classes: ['a', 'b'], counts: [[1, 2]] };
    expect(() => checkReportInput({ runs })).toThrow(/runs\[1\] \(id run-1\/late-weighted\)\.confusion.*1 rows for 2 classes/);
  });

  it('refuses percentages declared as fractions', () => {
    const runs = fixtureRuns();
    runs[0].metrics = { ...runs[0].metrics, test_ua: 53.1 };
    expect(() => checkReportInput({ runs })).toThrow(/test_ua = 53.1 is outside 0..1/);
    expect(() => checkReportInput({ runs, metricUnits: 'percent' })).not.toThrow();
  });

  it('refuses duplicate run ids', () => {
    const runs = fixtureRuns();
    runs[1].id = runs[0].id;
    expect(() => checkReportInput({ runs })).toThrow(/duplicate run id/);
  });
});
