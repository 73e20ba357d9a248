import { describe, expect, it } from 'vitest';
import { checkReportInput, loadReference, selectRuns, seedRows, summarise, summaryMarkdown, ablationTable, ablationMarkdown } from '../src/index.ts';

const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;
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

  it('gives a single seed n = 1 and no spread: no "± 0.0" anywhere', () => {
    const one = checkReportInput({ runs: fixtureRuns([7]) });
    const s = summarise(seedRows(one.runs, 'test', 'fraction'), reference);
    expect(s[0].n).toBe(1);
    expect(s[0].ua_std).toBeNull();
    const md = summaryMarkdown(s, reference, 'test');
    const line = md.split('\n').find((l) => l.startsWith('|text-lstm|'))!;
    expect(line).toBe(`|text-lstm|measured here|utterance|1|${s[0].ua_mean.toFixed(1)}|${s[0].wa_mean.toFixed(1)}|${s[0].f1_mean.toFixed(1)}|${signed(s[0].ua_mean - 53)}|`);
    expect(md).not.toContain('±');
    expect(md).toContain('a single seed (n = 1): its score alone, with no spread');
  });

  it('writes one Markdown table: each cited row, then the rows measured here that reproduce it, labelled by source', () => {
    const summary = summarise(seedRows(input.runs, 'test', 'fraction'), reference);
    const md = summaryMarkdown(summary, reference, 'test');
    const lines = md.split('\n').filter((l) => l.startsWith('|'));
    expect(lines[0]).toBe('|system|source|level|n|UA|WA|weighted F1|UA − cited|');
    const lstm = lines.findIndex((l) => l.startsWith('|text-lstm|'));
    expect(lines[lstm - 1]).toBe('|LSTM (T), Table 2|cited from the paper|utterance|–|53.0|53.5|53.6||');
    const s = summary[0];
    expect(lines[lstm]).toBe(`|text-lstm|measured here|utterance|3|${s.ua_mean.toFixed(1)} ± ${s.ua_std!.toFixed(1)}|${s.wa_mean.toFixed(1)} ± ${s.wa_std!.toFixed(1)}|${s.f1_mean.toFixed(1)} ± ${s.f1_std!.toFixed(1)}|${signed(s.ua_mean - 53)}|`);
    expect(md).toContain('|ICON* (A+T), Table 3|cited from the paper|dialogue (uses context) *|–|60.0|63.0|63.0||');
    expect(md).toContain('F1 is support-weighted');
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

  it('shows a single-seed ablation variant without a spread', () => {
    const one = checkReportInput({ runs: fixtureRuns([4]) });
    const t = ablationTable(one.runs, seedRows(one.runs, 'test', 'fraction'));
    expect((t.objects() as Array<{ ua_std: number | null }>).map((r) => r.ua_std)).toEqual([null, null]);
    const md = ablationMarkdown(t, 'text-lstm');
    expect(md).not.toContain('±');
    expect(md.split('\n')[0]).toContain('|weighted F1|');
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
