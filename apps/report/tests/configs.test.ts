import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, checkReportInput, configFingerprint, configGroups, seedRows, summarise, loadReference, type ReportRunLike } from '../src/index.ts';
import { fixtureParams, fixtureRuns, fixtureSystemRuns } from './fixtures.ts';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-report-configs-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** text-lstm with words and with utterance input under one experiment, seeds 1-3 each. */
function twoConfigs(): ReportRunLike[] {
  const iemocap = { corpus: 'iemocap-features', protocol: 'paper', experiment: 'iemocap-paper', system: 'text-lstm', classes: ['hap', 'sad', 'neu', 'ang', 'exc', 'fru'] };
  return [
    ...fixtureSystemRuns({ ...iemocap, recall: 0.45, params: { 'model.text.lstmInput': 'words' } }),
    ...fixtureSystemRuns({ ...iemocap, recall: 0.55, params: { 'model.text.lstmInput': 'utterance' } }),
  ];
}

describe('configuration fingerprint', () => {
  it('ignores the seed, the system name, paths, output and provenance, and sees every other param', () => {
    const a = fixtureParams('text-lstm', 1);
    const b = fixtureParams('text-lstm', 2, { 'corpus.path': '/elsewhere/iemocap.pkl', 'meta.git_commit': 'beef', 'lib.tfjs-node': '4.23.0', 'output.dir': '/o', 'tracking.uri': 'http://x', 'train.backend': 'wasm', 'features.cacheDir': '/c', 'experiment': 'other-name' });
    expect(configFingerprint(a)).toBe(configFingerprint(b));
    expect(configFingerprint({ ...a, system: 'x' })).toBe(configFingerprint(a));
    expect(configFingerprint({ ...a, 'model.text.lstmInput': 'utterance' })).not.toBe(configFingerprint(a));
    expect(configFingerprint({ ...a, 'corpus.fingerprint': 'other data' })).not.toBe(configFingerprint(a));
    expect(configFingerprint({ ...a, 'train.epochs': '31' })).not.toBe(configFingerprint(a));
  });
});

describe('one row per configuration', () => {
  it('names each configuration of a system by the params that differ, and keeps its seeds apart', () => {
    const input = checkReportInput({ runs: twoConfigs() });
    const groups = configGroups(input.runs);
    expect([...new Set([...groups.values()].map((g) => g.label))]).toEqual(['text-lstm (model.text.lstmInput=words)', 'text-lstm (model.text.lstmInput=utterance)']);
    const summary = summarise(seedRows(input.runs, 'test', 'fraction'), loadReference());
    expect(summary.map((s) => [s.label, s.system, s.n, s.seeds])).toEqual([
      ['text-lstm (model.text.lstmInput=words)', 'text-lstm', 3, '1,2,3'],
      ['text-lstm (model.text.lstmInput=utterance)', 'text-lstm', 3, '1,2,3'],
    ]);
    // Both rows are measured counterparts of the paper's LSTM row.
    expect(summary.map((s) => s.paper)).toEqual(['LSTM', 'LSTM']);
  });

  it('keeps the plain system name when a system has one configuration, whatever differs in provenance', () => {
    const input = checkReportInput({ runs: fixtureRuns() });
    expect([...new Set([...configGroups(input.runs).values()].map((g) => g.label))]).toEqual(['text-lstm', 'late-weighted']);
  });

  it('cuts a label after three differing keys and still tells rows apart', () => {
    const many = (v: string) => ({ 'model.dense': `[${v}]`, 'model.text.dim': v, 'model.text.lstmUnits': v, 'train.batchSize': v });
    const runs = [...fixtureSystemRuns({ seeds: [1], params: many('1') }), ...fixtureSystemRuns({ seeds: [1], params: many('2') })];
    const labels = [...new Set([...configGroups(checkReportInput({ runs }).runs).values()].map((g) => g.label))];
    expect(labels).toEqual(['speech-cnn (model.dense=[1], model.text.dim=1, model.text.lstmUnits=1, +1 more)', 'speech-cnn (model.dense=[2], model.text.dim=2, model.text.lstmUnits=2, +1 more)']);
  });

  it('draws one training panel and one confusion matrix per configuration, and says when a seed repeats', async () => {
    // A repeat of seed 1 that started later: it replaces the first, and n stays 3.
    const first = twoConfigs()[0];
    const runs = [{ ...first, startTime: 1 }, ...twoConfigs().slice(1), { ...first, id: 'repeat-of-seed-1', startTime: 2, metrics: { ...first.metrics, test_ua: 0.99 } }];
    const p = await buildReport({ input: { runs }, outDir: path.join(tmp, 'two-configs'), ablation: false });
    const training = JSON.parse(readFileSync(p.specs.training, 'utf8'));
    const panels = new Set(training.data.values.map((v: { system: string }) => v.system));
    expect([...panels]).toEqual(['text-lstm (model.text.lstmInput=words)', 'text-lstm (model.text.lstmInput=utterance)']);
    // Within a panel each seed is its own line (no two configurations share a (panel, seed) line).
    const confusion = JSON.parse(readFileSync(p.specs.confusion, 'utf8'));
    expect(new Set(confusion.data.values.map((v: { system: string }) => v.system))).toEqual(new Set(['text-lstm (model.text.lstmInput=words) (3 seeds)', 'text-lstm (model.text.lstmInput=utterance) (3 seeds)']));
    const md = readFileSync(p.summary, 'utf8');
    expect(md).toContain('|text-lstm (model.text.lstmInput=words)|measured here|utterance|3|');
    const json = JSON.parse(readFileSync(p.json, 'utf8'));
    expect(json.seeds.filter((r: { run: string }) => r.run === 'repeat-of-seed-1' || r.run === first.id).map((r: { run: string; ua: number }) => [r.run, r.ua])).toEqual([['repeat-of-seed-1', 99]]);
    expect(md).toContain('|text-lstm (model.text.lstmInput=utterance)|measured here|utterance|3|');
    const html = readFileSync(p.html, 'utf8');
    expect(html).toContain(`text-lstm (model.text.lstmInput=words): seed 1 ran 2 times (runs ${first.id}, repeat-of-seed-1); it counts once, with the latest complete run (repeat-of-seed-1).`);
    expect(html).toContain('systems: text-lstm (2 configurations)');
  });
});
