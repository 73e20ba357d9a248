import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, chanceRows, majorityScores, uniformChanceScores } from '../src/index.ts';
import { EMODB_CLASSES, fixtureScores, fixtureSystemRuns } from './fixtures.ts';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-report-chance-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SUPPORT = [144, 245, 384, 170, 299, 381];

describe('majority-class and chance references', () => {
  it('scores the majority-class classifier as its confusion matrix does', () => {
    // Every utterance answered with the largest class (neu, 384 of 1623).
    const counts = SUPPORT.map((n) => SUPPORT.map((_, j) => (j === 2 ? n : 0)));
    const want = fixtureScores(counts);
    const got = majorityScores(SUPPORT);
    expect(got.index).toBe(2);
    expect(got.wa).toBeCloseTo(384 / 1623, 12);
    expect(got.ua).toBeCloseTo(1 / 6, 12);
    expect(got.ua).toBeCloseTo(want.ua, 12);
    expect(got.wa).toBeCloseTo(want.wa, 12);
    expect(got.f1).toBeCloseTo(want.f1, 12);
  });

  it('scores uniform guessing as its expected confusion matrix does', () => {
    const counts = SUPPORT.map((n) => SUPPORT.map(() => n / 6));
    const want = fixtureScores(counts);
    const got = uniformChanceScores(SUPPORT);
    expect(got.ua).toBeCloseTo(1 / 6, 12);
    expect(got.wa).toBeCloseTo(want.wa, 12);
    expect(got.f1).toBeCloseTo(want.f1, 12);
  });

  it('gives one pair of rows per distinct test set', () => {
    const cm = (support: number[]) => ({ split: 'test', classes: ['a', 'b', 'c'], counts: support.map((n, i) => [0, 1, 2].map((j) => (i === j ? n : 0))) });
    const one = chanceRows([{ row: 'x', confusion: cm([5, 3, 2]) }, { row: 'y', confusion: cm([5, 3, 2]) }]);
    expect(one.map((r) => [r.name, r.majority, r.rows])).toEqual([['majority class', 'a', ['x', 'y']], ['chance (uniform guess)', undefined, ['x', 'y']]]);
    expect(one[0].wa).toBeCloseTo(50, 12);
    const two = chanceRows([{ row: 'x', confusion: cm([5, 3, 2]) }, { row: 'z', confusion: cm([1, 8, 1]) }]);
    expect(two.map((r) => r.name)).toEqual(['majority class (test set 1)', 'chance (uniform guess) (test set 1)', 'majority class (test set 2)', 'chance (uniform guess) (test set 2)']);
  });

  it('puts the rows in the report, computed from the test labels of an imbalanced corpus', async () => {
    const p = await buildReport({ input: { runs: fixtureSystemRuns() }, outDir: path.join(tmp, 'emodb'), ablation: false });
    const md = readFileSync(p.summary, 'utf8');
    // EmoDB: anger (ang) is the largest class, 127 of 535.
    expect(md).toContain(`|majority class: always ang|computed from the test labels|–|–|${(100 / 7).toFixed(1)}|${((100 * 127) / 535).toFixed(1)}|`);
    expect(md).toContain(`|chance (uniform guess): 1/7|computed from the test labels|–|–|${(100 / 7).toFixed(1)}|${(100 / 7).toFixed(1)}|`);
    const spec = JSON.parse(readFileSync(p.specs.comparison, 'utf8'));
    const wa = spec.data.values.filter((v: { type: string; metric: string }) => v.type === 'chance' && v.metric === 'WA').map((v: { value: number }) => v.value);
    expect(wa).toHaveLength(2);
    expect(wa[0]).toBeCloseTo((100 * 127) / 535, 10);
    expect(wa[1]).toBeCloseTo(100 / 7, 10);
    const json = JSON.parse(readFileSync(p.json, 'utf8'));
    expect(json.chance[0]).toMatchObject({ kind: 'majority', majority: 'ang', classes: EMODB_CLASSES, support: [127, 81, 46, 69, 71, 79, 62] });
  });
});
