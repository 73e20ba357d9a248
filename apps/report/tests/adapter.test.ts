import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricPoint, RunRecord } from '@emofuse/core';
import { checkReportInput, fromRunRecords, type ReportRunLike } from '../src/index.ts';
import { fixtureRuns } from './fixtures.ts';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-report-adapter-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** TEST FIXTURE: lays fixture runs out as tracked runs would be, artifacts as real files on disk. */
function trackedRun(id: string, entries: ReportRunLike[], opts: { prefixed: boolean; parent?: string }): RunRecord {
  const artifacts = path.join(tmp, id, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const metrics: Record<string, number> = {};
  const metricHistory: Record<string, MetricPoint[]> = {};
  for (const e of entries) {
    const pre = opts.prefixed ? `${e.system}.` : '';
    const dir = opts.prefixed ? path.join(artifacts, e.system) : artifacts;
    mkdirSync(dir, { recursive: true });
    for (const [k, v] of Object.entries(e.metrics)) metrics[pre + k] = v;
    for (const h of e.history ?? []) {
      for (const k of ['train_loss', 'valid_loss', 'train_acc', 'valid_acc'] as const) {
        (metricHistory[pre + k] ??= []).push({ step: h.epoch, timestamp: 1_700_000_000_000 + h.epoch, value: h[k]! });
      }
    }
    for (const [k, pts] of Object.entries(metricHistory)) metrics[k] = pts[pts.length - 1].value;
    if (e.confusion) writeFileSync(path.join(dir, 'confusion_test.json'), JSON.stringify({ classes: e.confusion.classes, counts: e.confusion.counts }));
    if (e.fusionCurve) writeFileSync(path.join(dir, 'fusion_curve.json'), JSON.stringify(e.fusionCurve));
  }
  const tags: Record<string, string> = { ...entries[0].tags, 'mlflow.runName': id };
  if (!opts.prefixed) tags['emofuse.system'] = entries[0].system;
  if (opts.parent) tags['mlflow.parentRunId'] = opts.parent;
  return {
    runId: id,
    experimentId: '1',
    experimentName: entries[0].experiment,
    runName: id,
    status: 'FINISHED',
    startTime: 1_700_000_000_000,
    endTime: 1_700_000_100_000,
    // A run holding several systems names none of its own (no `system` param).
    params: Object.fromEntries(Object.entries({ ...entries[0].params, seed: String(entries[0].seed) }).filter(([k]) => !(opts.prefixed && k === 'system'))),
    metrics,
    metricHistory,
    tags,
    parentRunId: opts.parent ?? null,
    artifactUri: `file://${artifacts}`,
    localArtifactDir: artifacts,
  };
}

describe('fromRunRecords', () => {
  it('maps one-system runs and multi-system runs (prefixed metrics, artifacts per system) onto the same entries', async () => {
    const fx = fixtureRuns();
    const parent = trackedRun('parent-1', [{ ...fx[0], metrics: {}, history: [], confusion: undefined }], { prefixed: false });
    parent.tags['emofuse.system'] = 'pipeline';
    const nested = trackedRun('seed1-lstm', [fx[0]], { prefixed: false, parent: 'parent-1' });
    const single = trackedRun('seed1-late', [fx[1]], { prefixed: false });
    const multi = trackedRun('seed2', [fx[2], fx[3]], { prefixed: true });
    const failed = { ...trackedRun('seed3-failed', [fx[4]], { prefixed: false }), status: 'FAILED' as const };
    const input = checkReportInput(await fromRunRecords([parent, nested, single, multi, failed]));

    expect(input.runs.map((r) => [r.id, r.system, r.seed])).toEqual([
      ['seed1-lstm', 'text-lstm', 1],
      ['seed1-late', 'late-weighted', 1],
      ['seed2/text-lstm', 'text-lstm', 2],
      ['seed2/late-weighted', 'late-weighted', 2],
    ]);
    const want = [fx[0], fx[1], fx[2], fx[3]];
    input.runs.forEach((r, i) => {
      for (const [k, v] of Object.entries(want[i].metrics)) expect(r.metrics[k], `${r.id} ${k}`).toBe(v);
      expect(r.history).toEqual(want[i].history ?? []);
      expect(r.confusion?.counts).toEqual(want[i].confusion?.counts);
      // The one-fold layout (top-level curve and chosen) reads as a single fold.
      const c = want[i].fusionCurve;
      expect(r.fusionCurve).toEqual(c ? { ...c, folds: [{ fold: 'main', curve: c.curve, chosen: c.chosen }] } : undefined);
    });
    expect(input.runs[0].tags).toEqual({ 'emofuse.corpus': 'iemocap-features', 'split.protocol': 'paper', lstmInput: 'words', 'emofuse.system': 'text-lstm' });
    expect(input.runs[0].params).toEqual(fx[0].params);
    expect(input.runs[2].params.system).toBeUndefined();
  });

  it('names the run and artifact of a corrupt store', async () => {
    const r = trackedRun('broken', [fixtureRuns()[0]], { prefixed: false });
    writeFileSync(path.join(r.localArtifactDir!, 'confusion_test.json'), '{"classes": ["a", "b"], "counts": [[1, 2]');
    await expect(fromRunRecords([r])).rejects.toThrow(/artifact confusion_test.json is not valid JSON/);
    writeFileSync(path.join(r.localArtifactDir!, 'confusion_test.json'), JSON.stringify({ classes: ['a', 'b'], counts: [[1, 2]] }));
    await expect(fromRunRecords([r])).rejects.toThrow(expect.objectContaining({ where: 'run broken (broken)', message: expect.stringContaining('1 rows for 2 classes') }));
  });

  it('skips and names a run without a seed, and reports the rest', async () => {
    const r = trackedRun('noseed', [fixtureRuns()[0]], { prefixed: false });
    r.params = {};
    const ok = trackedRun('ok', [fixtureRuns()[1]], { prefixed: false });
    const input = await fromRunRecords([r, ok]);
    expect(input.runs.map((x) => x.id)).toEqual(['ok']);
    expect(input.skipped).toEqual(['run noseed (noseed, experiment iemocap-paper) is skipped: it has no seed (log it as param `seed` or tag `emofuse.seed`).']);
  });

  it('skips an invocation run whose system runs were deleted, and names it', async () => {
    const fx = fixtureRuns();
    // The parent carries summary metrics (late-weighted.test_ua, ...) and no seed of its own.
    const parent = trackedRun('parent', [{ ...fx[1], metrics: { 'late-weighted.test_ua': 0.5 } }], { prefixed: false });
    parent.tags['emofuse.kind'] = 'invocation';
    delete parent.tags['emofuse.system'];
    parent.params = {};
    const child = trackedRun('child', [fx[0]], { prefixed: false, parent: 'parent' });
    // With a child left, the parent is skipped silently; its summary metrics are not a system.
    expect((await fromRunRecords([parent, child])).runs.map((x) => x.id)).toEqual(['child']);
    const alone = await fromRunRecords([parent]);
    expect(alone.runs).toEqual([]);
    expect(alone.skipped![0]).toMatch(/run parent \(parent\) is an invocation whose system runs are all missing/);
  });
});
