import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../src/index.ts';
import { fixtureSystemRuns } from './fixtures.ts';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-report-sweep-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Three points of a D_S sweep; s200 has the best validation UA, s400 the best test UA. */
function sweepRuns() {
  const point = (name: string, select: string, valid: number, recall: number) => fixtureSystemRuns({ seeds: [1, 2], recall, params: { 'features.speech.select': select }, tags: { sweepPoint: name } })
    .map((r) => ({ ...r, metrics: { ...r.metrics, valid_ua: valid } }));
  return [...point('s100', '100', 0.40, 0.4), ...point('s200', '200', 0.55, 0.5), ...point('s400', '400', 0.45, 0.7)];
}

const sweep = { tag: 'sweepPoint', chosen: 's200', target: 'speech-cnn', metric: 'ua' };

describe('sweep reports', () => {
  it("show every point's validation score and only the chosen point's test score", async () => {
    const p = await buildReport({ input: { runs: sweepRuns() }, outDir: path.join(tmp, 'chosen'), sweep });
    const json = JSON.parse(readFileSync(p.json, 'utf8'));
    expect(json.sweepPoints.map((r: { point: string; valid: number; testShown: boolean; test: number | null }) => [r.point, Math.round(r.valid), r.testShown, r.test === null])).toEqual([
      ['s100', 40, false, true], ['s200', 55, true, false], ['s400', 45, false, true],
    ]);
    // The results hold the chosen point's runs only: no other point's test score anywhere.
    expect(json.seeds.map((r: { run: string }) => r.run).every((id: string) => id.includes('-200'))).toBe(true);
    expect(json.summary).toHaveLength(1);
    const html = readFileSync(p.html, 'utf8');
    expect(html).toContain('<h2>Sweep points</h2>');
    expect(html).toContain('chosen on validation');
    expect(html.match(/not shown/g)!.length).toBeGreaterThanOrEqual(2);
    expect(html).not.toContain('not used for the choice</td>');
  });

  it("lists the points in the grid's order, whatever order their runs come in", async () => {
    const runs = sweepRuns();
    const shuffled = [...runs.filter((r) => r.tags?.sweepPoint === 's400'), ...runs.filter((r) => r.tags?.sweepPoint !== 's400')];
    const p = await buildReport({ input: { runs: shuffled }, outDir: path.join(tmp, 'order'), sweep: { ...sweep, points: ['s100', 's200', 's400'] } });
    expect(JSON.parse(readFileSync(p.json, 'utf8')).sweepPoints.map((r: { point: string }) => r.point)).toEqual(['s100', 's200', 's400']);
  });

  it('with showTestAll, shows the others marked "not used for the choice"', async () => {
    const p = await buildReport({ input: { runs: sweepRuns() }, outDir: path.join(tmp, 'all'), sweep: { ...sweep, showTestAll: true } });
    const json = JSON.parse(readFileSync(p.json, 'utf8'));
    expect(json.summary).toHaveLength(3);
    const html = readFileSync(p.html, 'utf8');
    expect(html.match(/\(not used for the choice\)<\/td>/g)).toHaveLength(2);
  });
});
