import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFileTracker, MlflowRestTracker, type Tracker } from '@emofuse/tracking';
import { reportFromStore, type ReportRunLike } from '../src/index.ts';
import { fixtureRuns, fixtureSystemRuns } from './fixtures.ts';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the tracking tests' real-server helper
import { startMlflowServer, type MlflowServer } from '../../../packages/tracking/tests/helpers.ts';


let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-report-store-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * TEST FIXTURE: logs fixture runs through a real Tracker the way the pipeline does (one run per
 * system and seed: tag emofuse.system, param seed, final metrics, per-epoch history, JSON artifacts).
 */
async function logFixtureRuns(tracker: Tracker, entries: ReportRunLike[], parentRunId?: string): Promise<string[]> {
  const ids: string[] = [];
  for (const e of entries) {
    const run = await tracker.startRun({ experiment: e.experiment, runName: `${e.system}-seed${e.seed}`, parentRunId, tags: { ...e.tags, 'emofuse.system': e.system } });
    await run.logParams({ ...e.params, seed: e.seed });
    await run.logMetrics(Object.entries(e.metrics).map(([key, value]) => ({ key, value })));
    const points = (e.history ?? []).flatMap((h) => (['train_loss', 'valid_loss', 'train_acc', 'valid_acc'] as const).map((key) => ({ key, value: h[key]!, step: h.epoch })));
    if (points.length) await run.logMetrics(points);
    const dir = mkdtempSync(path.join(tmp, 'art-'));
    if (e.confusion) {
      writeFileSync(path.join(dir, 'confusion_test.json'), JSON.stringify({ classes: e.confusion.classes, counts: e.confusion.counts }));
      await run.logArtifact(path.join(dir, 'confusion_test.json'));
    }
    if (e.fusionCurve) {
      writeFileSync(path.join(dir, 'fusion_curve.json'), JSON.stringify(e.fusionCurve));
      await run.logArtifact(path.join(dir, 'fusion_curve.json'));
    }
    await run.endRun('FINISHED');
    ids.push(run.runId);
  }
  return ids;
}

describe('reportFromStore on a local store', () => {
  it('reads the runs logged by LocalFileTracker and reports them', async () => {
    const store = path.join(tmp, 'mlruns');
    await logFixtureRuns(new LocalFileTracker(store), fixtureRuns());
    const p = await reportFromStore({ from: { store }, experiment: 'iemocap-paper', outDir: path.join(tmp, 'local-report') });
    const json = JSON.parse(readFileSync(p.json, 'utf8'));
    expect(json.summary.map((s: { system: string; n: number }) => [s.system, s.n])).toEqual([['text-lstm', 3], ['late-weighted', 3]]);
    expect(Object.keys(p.svgs).sort()).toEqual(['comparison', 'confusion', 'fusion-weight', 'training']);
    // Numbers survive the trip through the store exactly.
    const want = fixtureRuns().find((r) => r.system === 'late-weighted' && r.seed === 2)!;
    const got = json.seeds.find((s: { system: string; seed: number }) => s.system === 'late-weighted' && s.seed === 2);
    expect(got.ua).toBeCloseTo(want.metrics.test_ua * 100, 9);
  });

  it('splits configurations logged into one experiment and keeps the paper out for an EmoDB store', async () => {
    const store = path.join(tmp, 'mlruns-configs');
    const six = ['hap', 'sad', 'neu', 'ang', 'exc', 'fru'];
    const iemocap = { corpus: 'iemocap-features', protocol: 'paper', experiment: 'iemocap-ablation', system: 'text-lstm', classes: six, seeds: [1, 2] };
    await logFixtureRuns(new LocalFileTracker(store), [
      ...fixtureSystemRuns({ ...iemocap, params: { 'model.text.lstmInput': 'words' } }),
      ...fixtureSystemRuns({ ...iemocap, params: { 'model.text.lstmInput': 'utterance' } }),
      ...fixtureSystemRuns({ experiment: 'iemocap-on-emodb', seeds: [1] }),
    ]);
    const a = await reportFromStore({ from: { store }, experiment: 'iemocap-ablation', outDir: path.join(tmp, 'configs-report') });
    const json = JSON.parse(readFileSync(a.json, 'utf8'));
    expect(json.summary.map((s: { label: string; n: number; seeds: string }) => [s.label, s.n, s.seeds])).toEqual([
      ['text-lstm (model.text.lstmInput=words)', 2, '1,2'],
      ['text-lstm (model.text.lstmInput=utterance)', 2, '1,2'],
    ]);
    expect(json.paperComparison.applies).toBe(true);
    // An experiment named like IEMOCAP, run on EmoDB: its runs say so, and the report believes them.
    const b = await reportFromStore({ from: { store }, experiment: 'iemocap-on-emodb', outDir: path.join(tmp, 'emodb-report'), comparePaper: true });
    expect(JSON.parse(readFileSync(b.json, 'utf8')).paperComparison).toEqual({ applies: false, reason: 'runs on emodb, not IEMOCAP' });
    expect(readFileSync(b.summary, 'utf8')).not.toContain('cited');
  });

  it('says which filter matched nothing, and which run ids are unknown', async () => {
    const store = path.join(tmp, 'mlruns');
    await expect(reportFromStore({ from: { store }, experiment: 'nope', outDir: path.join(tmp, 'x') })).rejects.toThrow(/no runs match experiment nope/);
    await expect(reportFromStore({ from: { store }, runIds: ['0123abcd'], outDir: path.join(tmp, 'x') })).rejects.toThrow(/run 0123abcd not found/);
    await expect(reportFromStore({ from: { store: path.join(tmp, 'missing') }, outDir: path.join(tmp, 'x') })).rejects.toThrow(/no run store/);
    expect(existsSync(path.join(tmp, 'x'))).toBe(false);
  });
});

describe('reportFromStore on an MLflow server', () => {
  let server: MlflowServer | undefined;
  let url = '';

  beforeAll(async () => {
    server = await startMlflowServer();
    url = server.url;
  });

  afterAll(async () => server?.stop());

  it('reads metrics, histories and artifacts through the server and reports them', async () => {
    const runs = fixtureRuns([1, 2]);
    const ids = await logFixtureRuns(new MlflowRestTracker({ uri: url }), runs);
    const p = await reportFromStore({ from: { uri: url }, experiment: 'iemocap-paper', runIds: ids, outDir: path.join(tmp, 'server-report') });
    const json = JSON.parse(readFileSync(p.json, 'utf8'));
    expect(json.summary.map((s: { system: string; n: number }) => [s.system, s.n])).toEqual([['text-lstm', 2], ['late-weighted', 2]]);
    expect(Object.keys(p.svgs).sort()).toEqual(['comparison', 'confusion', 'fusion-weight', 'training']);
    expect(readFileSync(p.svgs['fusion-weight'], 'utf8')).toContain('seed: 2; fold: main; chosen w1');
  });

  it('reports the rest when a child run is deleted in the MLflow UI, and names an invocation left with none', async () => {
    const tracker = new MlflowRestTracker({ uri: url });
    const parent = await tracker.startRun({ experiment: 'deleted-child', runName: 'invocation', tags: { 'emofuse.kind': 'invocation', 'emofuse.invocation': 'inv-1' } });
    await parent.logMetrics([{ key: 'text-lstm.test_ua', value: 0.5 }]);
    const runs = fixtureRuns([1, 2]).filter((r) => r.system === 'text-lstm').map((r) => ({ ...r, experiment: 'deleted-child', tags: { ...r.tags, 'emofuse.invocation': 'inv-1' } }));
    const [first, second] = await logFixtureRuns(tracker, runs, parent.runId);
    await parent.endRun('FINISHED');
    // What the UI's delete button does.
    const del = (id: string) => fetch(`${url}/api/2.0/mlflow/runs/delete`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ run_id: id }) }).then((r) => expect(r.ok).toBe(true));
    await del(first);
    const p = await reportFromStore({ from: { uri: url }, experiment: 'deleted-child', tags: { 'emofuse.invocation': 'inv-1' }, outDir: path.join(tmp, 'deleted-child') });
    const json = JSON.parse(readFileSync(p.json, 'utf8'));
    expect(json.summary.map((s: { system: string; n: number; seeds: string }) => [s.system, s.n, s.seeds])).toEqual([['text-lstm', 1, '2']]);
    await del(second);
    await expect(reportFromStore({ from: { uri: url }, experiment: 'deleted-child', outDir: path.join(tmp, 'deleted-all') }))
      .rejects.toThrow(new RegExp(`run ${parent.runId} \\(invocation\\) is an invocation whose system runs are all missing`));
  });
});
