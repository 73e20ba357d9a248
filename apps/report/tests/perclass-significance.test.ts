import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRng } from '@emofuse/core';
import { buildReport, checkReportInput, labelRuns } from '../src/index.ts';
import { perClassRows } from '../src/perclass.ts';
import { significance } from '../src/significance.ts';
import { collapseWarnings } from '../src/warnings.ts';
import { summarise, seedRows } from '../src/tables.ts';
import { FIXTURE_CLASSES, fixturePredictions, fixtureRuns, fixtureScores } from './fixtures.ts';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-report-sig-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const labelled = (runs: ReturnType<typeof fixtureRuns>) => labelRuns(checkReportInput({ runs }).runs);

describe('per-class table', () => {
  it('gives recall, precision, F1 and support per class from the confusion matrices, averaged over seeds', () => {
    const cm = (a: number) => ({ split: 'test', classes: ['a', 'b'], counts: [[a, 10 - a], [2, 8]] });
    const runs = labelled([1, 2].map((seed) => ({ id: `r${seed}`, experiment: 'e', system: 's', seed, metrics: { test_ua: 0.5, test_wa: 0.5, test_f1: 0.5 }, confusion: cm(seed === 1 ? 6 : 8) })));
    const [a, b] = perClassRows(runs, 'test');
    expect(a).toMatchObject({ system: 's', class: 'a', support: 10, seeds: 2 });
    expect(a.recall).toBeCloseTo(70, 10); // (60 + 80) / 2
    expect(a.precision).toBeCloseTo(100 * (6 / 8 + 8 / 10) / 2, 10);
    expect(a.f1).toBeCloseTo(100 * ((12 / 18) + (16 / 20)) / 2, 10);
    expect(a.recall_std).toBeCloseTo(Math.sqrt(200), 10);
    expect(b).toMatchObject({ class: 'b', support: 10, recall: 80 });
  });
});

describe('significance', () => {
  it('tests each fused system against its components seed by seed, on the same utterances', () => {
    const fx = fixtureRuns();
    const { tests, notes } = significance(labelled(fx), { B: 200 });
    expect(notes).toEqual([]);
    expect(tests.map((t) => [t.a, t.b, t.why, t.seeds.map((s) => s.seed)])).toEqual([['late-weighted', 'text-lstm', 'fused vs component', [1, 2, 3]]]);
    for (const s of tests[0].seeds) {
      const ua = (sys: string) => fx.find((r) => r.system === sys && r.seed === s.seed)!.metrics.test_ua;
      // The point estimate is the UA difference of the two systems' own test scores.
      expect(s.delta).toBeCloseTo(100 * (ua('late-weighted') - ua('text-lstm')), 8);
      expect(s.lower).toBeLessThan(s.delta);
      expect(s.upper).toBeGreaterThan(s.delta);
      expect(s.n).toBe(1623);
      expect(s.p).toBeGreaterThanOrEqual(0);
      expect(s.p).toBeLessThanOrEqual(1);
    }
    // Fusion is about 8 points better in every seed of the fixture: every interval lies above 0.
    expect(tests[0]).toMatchObject({ above: 3, below: 0, significant: 3 });
  });

  it('tests named pairs too, and says which seeds lack predictions', () => {
    const fx = fixtureRuns([1, 2]);
    delete fx[3].predictions; // late-weighted seed 2
    const { tests, notes } = significance(labelled(fx), { B: 100, pairs: [['text-lstm', 'late-weighted']] });
    expect(tests.map((t) => [t.a, t.b, t.why, t.seeds.length])).toEqual([['late-weighted', 'text-lstm', 'fused vs component', 1], ['text-lstm', 'late-weighted', 'named', 1]]);
    expect(notes[0]).toMatch(/late-weighted against text-lstm: seed\(s\) 2 have no test predictions/);
  });

  it('refuses to pair runs scored on different utterances', () => {
    const fx = fixtureRuns([1]);
    fx[1].predictions = { ...fx[1].predictions!, ids: fx[1].predictions!.ids.map((id) => `x${id}`) };
    const { tests, notes } = significance(labelled(fx), { B: 50 });
    expect(tests).toEqual([]);
    expect(notes[0]).toMatch(/different test utterances/);
  });
});

describe('collapse warnings', () => {
  it('flags a row that predicts at most two classes or is not above chance by more than the seed spread', () => {
    const rng = makeRng('collapse');
    const support = [144, 245, 384, 170, 299, 381];
    // Every utterance predicted neu (index 2): the majority-class classifier.
    const collapsed = support.map((n) => support.map((_, j) => (j === 2 ? n : 0)));
    const s = fixtureScores(collapsed);
    const runs = [...fixtureRuns([1, 2]), ...[1, 2].map((seed) => ({
      id: `neu-${seed}`, experiment: 'iemocap-paper', system: 'speech-cnn', seed, tags: {}, params: {},
      metrics: { test_ua: s.ua, test_wa: s.wa, test_f1: s.f1 },
      confusion: { split: 'test', classes: FIXTURE_CLASSES, counts: collapsed },
      predictions: fixturePredictions(FIXTURE_CLASSES, collapsed, rng),
    }))];
    const lr = labelled(runs);
    const w = collapseWarnings(lr, summarise(seedRows(lr, 'test', 'fraction'), { source: {} as never, rows: [] } as never), 'test');
    expect(w.map((x) => [x.system, x.kind])).toEqual([['speech-cnn', 'few-classes'], ['speech-cnn', 'chance']]);
    expect(w[0].text).toContain('seed 1: neu; seed 2: neu');
    expect(w[0].text).toContain('majority-class baseline');
  });
});

describe('the report page', () => {
  it('shows the per-class table, the significance table and the warnings', async () => {
    const rng = makeRng('page');
    const support = [144, 245, 384, 170, 299, 381];
    const collapsed = support.map((n) => support.map((_, j) => (j === 2 ? n : 0)));
    const s = fixtureScores(collapsed);
    const runs = [...fixtureRuns(), { id: 'neu-1', experiment: 'iemocap-paper', system: 'speech-cnn', seed: 1, metrics: { test_ua: s.ua, test_wa: s.wa, test_f1: s.f1 }, confusion: { split: 'test', classes: FIXTURE_CLASSES, counts: collapsed }, predictions: fixturePredictions(FIXTURE_CLASSES, collapsed, rng) }];
    const p = await buildReport({ input: { runs }, outDir: path.join(tmp, 'page'), significance: { B: 200 }, now: new Date('2026-01-01T00:00:00Z') });
    const html = readFileSync(p.html, 'utf8');
    expect(html).toContain('<h2>Per class (test split, %)</h2>');
    expect(html).toContain('<h2>Significance</h2>');
    expect(html).toContain('late-weighted − text-lstm');
    expect(html).toContain('pooled (3)');
    expect(html).toContain('<h2>Warnings</h2>');
    expect(html).toMatch(/speech-cnn: its test predictions hit at most two of the 6 classes/);
    const json = JSON.parse(readFileSync(p.json, 'utf8'));
    expect(json.perClass.filter((r: { system: string }) => r.system === 'text-lstm').map((r: { class: string; support: number }) => [r.class, r.support])).toEqual(FIXTURE_CLASSES.map((c, i) => [c, support[i]]));
    expect(json.significance[0].seeds).toHaveLength(3);
    expect(json.warnings.map((w: { system: string }) => w.system)).toEqual(['speech-cnn', 'speech-cnn']);
  });
});
