import { appendFileSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmofuseError } from '@emofuse/core';
import { LIMITS, LocalFileTracker, LocalStore, listRuns, readArtifactText, splitBatch } from '../src/index.ts';
import { removeTmpDirs, tmpDir } from './helpers.ts';

afterAll(() => removeTmpDirs());

function metricFile(mlruns: string, expId: string, runId: string, key: string) {
  return path.join(mlruns, expId, runId, 'metrics', key);
}

describe('LocalStore layout', () => {
  it('creates experiment 0 "Default", .trash, and MLflow-shaped meta.yaml files', async () => {
    const mlruns = path.join(tmpDir('layout'), 'mlruns');
    const run = await new LocalFileTracker(mlruns).startRun({ experiment: 'e1', runName: 'on' });
    await run.logMetric('m', NaN, 0, 5);
    await run.logMetric('m', -0, 1, 6);
    await run.logMetric('m', Infinity, 2, 7);
    await run.endRun('FINISHED', 10);
    expect(readdirSync(mlruns).sort()).toEqual(['.trash', '0', run.experimentId].sort());
    expect(readFileSync(path.join(mlruns, '0/meta.yaml'), 'utf8')).toMatch(/^name: Default$/m);
    const meta = readFileSync(path.join(mlruns, run.experimentId, run.runId, 'meta.yaml'), 'utf8');
    expect(meta).toMatch(/^status: 3$/m);
    expect(meta).toMatch(/^end_time: 10$/m);
    expect(meta).toMatch(/^lifecycle_stage: active$/m);
    expect(meta).toMatch(new RegExp(`^experiment_id: "${run.experimentId}"$`, 'm'));
    // "on" is a boolean in YAML 1.1 (PyYAML), so it must be quoted
    expect(meta).toMatch(/^run_name: "on"$/m);
    expect(readFileSync(metricFile(mlruns, run.experimentId, run.runId, 'm'), 'utf8')).toBe('5 nan 0\n6 -0.0 1\n7 inf 2\n');
    expect(readFileSync(path.join(mlruns, run.experimentId, run.runId, 'tags', 'mlflow.runName'), 'utf8')).toBe('on');
  });

  it('cuts a torn last metric line before appending, and the reader ignores an unterminated tail', async () => {
    const mlruns = path.join(tmpDir('torn'), 'mlruns');
    const tracker = new LocalFileTracker(mlruns);
    const run = await tracker.startRun({ experiment: 'e' });
    await run.logMetric('loss', 1, 0, 100);
    const file = metricFile(mlruns, run.experimentId, run.runId, 'loss');
    appendFileSync(file, '101 0.9'); // a crash in the middle of a line
    expect((await listRuns({ store: mlruns }))[0].metricHistory.loss).toEqual([{ timestamp: 100, value: 1, step: 0 }]);
    // a new process (a new store object) appending to the same run
    const again = new LocalStore(mlruns);
    const meta = again.findRun(run.runId)!.run;
    again.appendMetrics(meta, [{ key: 'loss', value: 0.5, step: 1, timestamp: 102 }]);
    expect(readFileSync(file, 'utf8')).toBe('100 1 0\n102 0.5 1\n');
  });

  it('refuses changed params, bad keys and over-long values without writing anything', async () => {
    const mlruns = path.join(tmpDir('bad'), 'mlruns');
    const run = await new LocalFileTracker(mlruns).startRun({ experiment: 'e' });
    await run.logParams({ lr: 0.1 });
    await run.logParams({ lr: 0.1 }); // same value again is fine, as in MLflow
    await expect(run.logParams({ a: 1, lr: 0.2 })).rejects.toThrow(/param "lr" was already logged as "0.1"/);
    await expect(run.logParams({ '../x': 1 })).rejects.toBeInstanceOf(EmofuseError);
    await expect(run.setTags({ t: 'x'.repeat(LIMITS.tagValueLength + 1) })).rejects.toThrow(/at most 8000/);
    await expect(run.logMetric('m', 1, 0.5)).rejects.toThrow(/integers/);
    await expect(run.logArtifact('/nonexistent/file.txt')).rejects.toThrow(/artifact file not found/);
    const [rec] = await listRuns({ store: mlruns });
    expect(rec.params).toEqual({ lr: '0.1' });
    expect(rec.metrics).toEqual({});
  });

  it('names the file when a meta.yaml is corrupt', async () => {
    const mlruns = path.join(tmpDir('corrupt'), 'mlruns');
    const run = await new LocalFileTracker(mlruns).startRun({ experiment: 'e' });
    const file = path.join(mlruns, run.experimentId, run.runId, 'meta.yaml');
    writeFileSync(file, 'run_id: [unclosed\n  status: 1');
    const err = await listRuns({ store: mlruns }).catch((e) => e);
    expect(err).toBeInstanceOf(EmofuseError);
    expect(err.where).toBe(file);
    expect(err.message).toMatch(/corrupt meta.yaml/);
    writeFileSync(file, 'status: 9\n');
    const err2 = await listRuns({ store: mlruns }).catch((e) => e);
    expect(err2.where).toBe(file);
    const expMeta = path.join(mlruns, run.experimentId, 'meta.yaml');
    writeFileSync(expMeta, '- just\n- a list\n');
    expect((await listRuns({ store: mlruns }).catch((e) => e)).where).toBe(expMeta);
  });

  it('reads artifacts back and reports a missing store or run clearly', async () => {
    const mlruns = path.join(tmpDir('art'), 'mlruns');
    const run = await new LocalFileTracker(mlruns).startRun({ experiment: 'e' });
    const src = path.join(tmpDir('src'), 'notes.txt');
    writeFileSync(src, 'hello');
    await run.logArtifact(src, 'docs');
    expect(await readArtifactText({ store: mlruns }, run.runId, 'docs/notes.txt')).toBe('hello');
    await expect(readArtifactText({ store: mlruns }, run.runId, 'docs/missing.txt')).rejects.toThrow(/artifact not found/);
    await expect(readArtifactText({ store: mlruns }, 'f'.repeat(32), 'x')).rejects.toThrow(/is not in/);
    await expect(listRuns({ store: path.join(mlruns, 'nope') })).rejects.toThrow(/no run store/);
  });
});

describe('splitBatch', () => {
  it('keeps every request within MLflow limits and loses nothing', () => {
    const metrics = Array.from({ length: 2345 }, (_, i) => ({ key: 'm', value: i, step: i, timestamp: i }));
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: 'v'.repeat(5000) }));
    const tags = Array.from({ length: 205 }, (_, i) => ({ key: `t${i}`, value: 'x' }));
    const bodies = splitBatch({ metrics, params, tags });
    let nm = 0;
    let np = 0;
    let nt = 0;
    for (const [m, p, t] of bodies) {
      const cm = m ? JSON.parse(`[${m}]`).length : 0;
      const cp = p ? JSON.parse(`[${p}]`).length : 0;
      const ct = t ? JSON.parse(`[${t}]`).length : 0;
      expect(cm).toBeLessThanOrEqual(LIMITS.metricsPerBatch);
      expect(cp).toBeLessThanOrEqual(LIMITS.paramsPerBatch);
      expect(ct).toBeLessThanOrEqual(LIMITS.tagsPerBatch);
      expect(cm + cp + ct).toBeLessThanOrEqual(LIMITS.entitiesPerBatch);
      expect(Buffer.byteLength(m + p + t)).toBeLessThanOrEqual(LIMITS.batchBytes);
      nm += cm;
      np += cp;
      nt += ct;
    }
    expect([nm, np, nt]).toEqual([2345, 250, 205]);
  });
});
