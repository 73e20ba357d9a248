import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEmofuseError } from '@emofuse/core';
import { buildReport, confusionCells, fusionCurveSpec, comparisonSpec, loadReference, REFERENCE_FILE, type ReportPaths } from '../src/index.ts';
import { fixtureRuns } from './fixtures.ts';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-report-build-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('buildReport', () => {
  let paths: ReportPaths;
  beforeAll(async () => {
    paths = await buildReport({ input: { runs: fixtureRuns(), source: 'fixtures' }, outDir: path.join(tmp, 'ok'), title: 'Fixture report', now: new Date('2026-01-01T00:00:00Z'), ablation: { by: 'system' } });
  });

  it('leaves the ablation out unless something was ablated: one configuration per system repeats the results table', async () => {
    const p = await buildReport({ input: { runs: fixtureRuns() }, outDir: path.join(tmp, 'no-ablation') });
    expect(p.ablation).toBeUndefined();
    expect(Object.keys(p.svgs)).not.toContain('ablation');
    expect(readFileSync(p.html, 'utf8')).toContain('No ablation table: each system ran in one configuration of one experiment');
    // runs of two experiments are compared across them
    const two = fixtureRuns().map((r, i) => (i % 2 ? { ...r, experiment: `${r.experiment}-b` } : r));
    const q = await buildReport({ input: { runs: two }, outDir: path.join(tmp, 'two-experiments') });
    expect(Object.keys(q.svgs)).toContain('ablation');
    expect(readFileSync(q.ablation!, 'utf8')).toMatch(/-b · /);
  });

  it('writes the HTML, the Markdown summary, JSON, and one SVG and spec per chart', () => {
    const files = readdirSync(paths.dir).sort();
    expect(files).toEqual(['ablation.md', 'charts', 'report.html', 'report.json', 'specs', 'summary.md']);
    expect(Object.keys(paths.svgs).sort()).toEqual(['ablation', 'comparison', 'confusion', 'fusion-weight', 'training']);
    for (const [name, file] of Object.entries(paths.svgs)) {
      const svg = readFileSync(file, 'utf8');
      expect(svg.startsWith('<svg'), name).toBe(true);
      expect(svg.length, name).toBeGreaterThan(5000);
      expect(JSON.parse(readFileSync(paths.specs[name], 'utf8')).$schema).toMatch(/vega-lite\/v6/);
    }
    // No temporary sibling directory is left behind.
    expect(readdirSync(tmp).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('inlines the vega runtime and the data: no external script or fetch', () => {
    const html = readFileSync(paths.html, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('vega.View');
    expect(html).toContain('late-weighted');
    expect(html.length).toBeGreaterThan(400_000);
  });

  it('draws the paper numbers read from reference.json into the comparison SVG', () => {
    const svg = readFileSync(paths.svgs.comparison, 'utf8');
    for (const label of ['Late fusion II (weighted) (A+T), Table 2, cited', 'ICON* (A+T), Table 3, cited', 'text-lstm, measured here', 'late-weighted, measured here', 'majority class: always neu']) {
      expect(svg).toContain(label);
    }
    // One legend, listing every source drawn.
    expect(svg.match(/role-legend"/g)).toHaveLength(1);
    for (const kind of ['measured here', 'cited: Table 2', 'cited: Table 3', 'test labels']) expect(svg).toContain(`>${kind}</text>`);
    const md = readFileSync(paths.summary, 'utf8');
    expect(md).toContain('|Late fusion II (weighted) (A+T), Table 2|cited from the paper|utterance|–|60.2|59.6|59.6||');
    expect(md).toContain('Paper comparison: shown: every run is on iemocap-features');
  });

  it('replaces an existing report directory only when the new one is complete', async () => {
    const dir = path.join(tmp, 'keep');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'old.txt'), 'previous report');
    const runs = fixtureRuns();
    delete (runs[0].metrics as Record<string, number>).test_f1;
    const err = await buildReport({ input: { runs }, outDir: dir }).catch((e) => e);
    expect(isEmofuseError(err)).toBe(true);
    expect(err.message).toContain('run run-1/text-lstm (system text-lstm, seed 1) has no metric test_f1');
    expect(readdirSync(dir)).toEqual(['old.txt']);
    expect(readdirSync(tmp).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('refuses an empty selection without writing anything', async () => {
    const dir = path.join(tmp, 'empty');
    await expect(buildReport({ input: { runs: [] }, outDir: dir })).rejects.toThrow(/no runs to report/);
    await expect(buildReport({ input: { runs: fixtureRuns() }, outDir: dir, systems: ['speech-cnn'] })).rejects.toThrow(/no runs of system "speech-cnn"/);
    await expect(buildReport({ input: { runs: fixtureRuns() }, outDir: dir, confusionSystems: ['joint-cnn'] })).rejects.toThrow(/not in the report/);
    expect(existsSync(dir)).toBe(false);
  });

  it('keeps names from the runs as text, never markup', async () => {
    const runs = fixtureRuns([1]).map((r) => ({ ...r, system: r.system === 'text-lstm' ? '</script><img src=x onerror=alert(1)>' : r.system }));
    const p = await buildReport({ input: { runs }, outDir: path.join(tmp, 'escape'), title: 'a <b>title</b>' });
    const html = readFileSync(p.html, 'utf8');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>title</b>');
    expect(html).toContain('&lt;b&gt;title&lt;/b&gt;');
  });

  it('can leave the paper out on request, with no empty paper columns or legend entries', async () => {
    const p = await buildReport({ input: { runs: fixtureRuns() }, outDir: path.join(tmp, 'nopaper'), comparePaper: false, ablation: false });
    const md = readFileSync(p.summary, 'utf8');
    expect(md).not.toContain('ICON');
    expect(md).not.toContain('cited');
    expect(md).toContain('|system|source|level|n|UA|WA|weighted F1|\n');
    expect(md).toContain('|text-lstm|measured here|utterance|3|');
    const spec = JSON.parse(readFileSync(p.specs.comparison, 'utf8'));
    expect(spec.spec.layer[0].encoding.color.scale.domain).toEqual(['measured here', 'test labels']);
    expect(readFileSync(p.svgs.comparison, 'utf8')).not.toContain('cited');
    const html = readFileSync(p.html, 'utf8');
    // No such column; one sentence says why.
    expect(html).not.toContain('UA − cited</th>');
    expect(html).toContain('There are no &quot;cited&quot; rows and no &quot;UA − cited&quot; column: the caller turned the comparison off');
    expect(html).toContain('Paper comparison not shown: the caller turned the comparison off (comparePaper: false).');
    expect(p.ablation).toBeUndefined();
  });

  it('leaves out charts it has no data for, and says so', async () => {
    const runs = fixtureRuns().filter((r) => r.system === 'text-lstm').map((r) => ({ ...r, confusion: undefined }));
    const p = await buildReport({ input: { runs }, outDir: path.join(tmp, 'lean') });
    expect(Object.keys(p.svgs).sort()).toEqual(['comparison', 'training']);
    expect(readFileSync(p.html, 'utf8')).toContain('No run has a fusion weight curve');
  });
});

describe('chart data', () => {
  it('row-normalises confusion matrices', () => {
    const cells = confusionCells([{ system: 's', seeds: 1, confusion: { split: 'test', classes: ['a', 'b'], counts: [[3, 1], [0, 0]] } }]);
    expect(cells.map((c) => [c.truth, c.pred, c.rate])).toEqual([['a', 'a', 0.75], ['a', 'b', 0.25], ['b', 'a', 0], ['b', 'b', 0]]);
  });

  it('takes the reference numbers from the file it is given', () => {
    const alt = JSON.parse(readFileSync(REFERENCE_FILE, 'utf8'));
    alt.rows[0].ua = 12.3;
    const file = path.join(tmp, 'ref.json');
    writeFileSync(file, JSON.stringify(alt));
    const spec = comparisonSpec([], [], loadReference(file)) as { data: { values: Array<{ label: string; metric: string; value: number }> } };
    expect(spec.data.values.find((v) => v.label === 'CNN (A), Table 2, cited' && v.metric === 'UA')!.value).toBe(12.3);
    writeFileSync(file, '{"rows": [');
    expect(() => loadReference(file)).toThrow(/cannot read the reference numbers/);
  });

  it('draws every fold\'s and seed\'s weight search, its choice, and the mean choice, in percent', () => {
    const fold = (name: string, best: number) => ({ fold: name, curve: [{ w1: 0, score: 0.5 }, { w1: 0.5, score: best === 0.5 ? 0.6 : 0.4 }, { w1: 1, score: 0.55 }], chosen: { w1: best } });
    const curve = (folds: ReturnType<typeof fold>[]) => ({ metric: 'ua', step: 0.5, curve: folds[0].curve, chosen: folds[0].chosen, folds, test: { ua: 0.58 } });
    const spec = fusionCurveSpec([
      { system: 'late-weighted', seed: 1, curve: curve([fold('03', 0.5), fold('08', 1)]) },
      { system: 'late-weighted', seed: 2, curve: curve([fold('03', 0.5), fold('08', 0.5)]) },
    ], 'fraction') as { data: { values: Array<Record<string, unknown>> } };
    const chosen = spec.data.values.filter((v) => v.part === 'chosen');
    expect(chosen.map((c) => [c.seed, c.fold, c.w1])).toEqual([['1', '03', 0.5], ['1', '08', 1], ['2', '03', 0.5], ['2', '08', 0.5]]);
    expect(chosen[1].score as number).toBeCloseTo(55, 10);
    expect(spec.data.values.filter((v) => v.part === 'curve')).toHaveLength(12);
    const mean = spec.data.values.filter((v) => v.part === 'mean');
    expect(mean).toHaveLength(1);
    expect(mean[0].w1 as number).toBeCloseTo(0.625, 12);
  });

  it('tabulates every fold\'s and seed\'s chosen weights, not the first fold\'s', async () => {
    const runs = fixtureRuns([1, 2]).map((r) => {
      if (!r.fusionCurve) return r;
      const c = r.fusionCurve;
      // Fold 03 chooses 0.5 and fold 08 chooses 0.0, as a leave-one-speaker-out run did.
      const folds = [{ fold: '03', curve: c.curve, chosen: { w1: 0.5 } }, { fold: '08', curve: c.curve, chosen: { w1: 0 } }];
      return { ...r, fusionCurve: { ...c, folds } };
    });
    const p = await buildReport({ input: { runs }, outDir: path.join(tmp, 'folds'), now: new Date('2026-01-01T00:00:00Z') });
    const json = JSON.parse(readFileSync(p.json, 'utf8'));
    expect(json.fusionChoices).toHaveLength(1);
    expect(json.fusionChoices[0]).toMatchObject({ system: 'late-weighted', choices: 4, seeds: 2, folds: 2, w1_min: 0, w1_max: 0.5, counts: [{ w1: 0, n: 2 }, { w1: 0.5, n: 2 }] });
    expect(json.fusionChoices[0].w1_mean).toBeCloseTo(0.25, 12);
    const html = readFileSync(p.html, 'utf8');
    expect(html).toContain('Late fusion weights chosen on validation');
    expect(html).toContain('0.00 ×2, 0.50 ×2');
    expect(html).toContain('4 (2 × 2)');
  });

  it('draws a 1-epoch training curve as points, with whole-number epoch ticks', async () => {
    const one = fixtureRuns([1]).map((r) => ({ ...r, history: (r.history ?? []).slice(0, 1) }));
    const p = await buildReport({ input: { runs: one }, outDir: path.join(tmp, 'one-epoch'), ablation: false });
    const svg = readFileSync(p.svgs.training, 'utf8');
    expect(svg).toContain('role-mark child_layer_1_marks');
    expect(svg).not.toMatch(/>1\.0+</);
  });
});
