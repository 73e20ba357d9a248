import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalFileTracker, corpusDataset } from '../src/index.ts';
import { removeTmpDirs, tmpDir } from './helpers.ts';

afterAll(() => removeTmpDirs());

describe('corpusDataset', () => {
  it('builds a dataset input MLflow takes: digest cut to 36, file:// source, counts in the profile', async () => {
    const corpusDir = tmpDir('corpus');
    const d = corpusDataset({ name: 'iemocap', fingerprint: 'a'.repeat(64), source: corpusDir, rows: 10, classes: ['ang', 'hap'], splits: { train: 6, valid: 2, test: 2 } });
    expect(d).toMatchObject({ name: 'iemocap', digest: 'a'.repeat(36), sourceType: 'local', source: { uri: pathToFileURL(corpusDir).href }, context: 'train' });
    expect(d.profile).toEqual({ num_rows: 10, classes: ['ang', 'hap'], splits: { train: 6, valid: 2, test: 2 } });
    expect(corpusDataset({ name: 'x', fingerprint: 'f', source: 's3://bucket/x', rows: 1 }).sourceType).toBe('s3');

    const tracker = new LocalFileTracker(path.join(tmpDir('ds'), 'mlruns'), { context: false });
    const run = await tracker.startRun({ experiment: 'ds' });
    await run.logInputs([d]);
    const hit = tracker.store.findRun(run.runId)!;
    const [back] = tracker.store.readInputs(hit.exp, hit.run);
    expect(back).toMatchObject({ name: 'iemocap', digest: 'a'.repeat(36), sourceType: 'local', context: 'train' });
    expect(JSON.parse(back.profile!)).toEqual(d.profile);
    expect(Object.keys(tracker.store.readTags(hit.run)).sort()).toEqual(['mlflow.runName', 'mlflow.user']);
  });
});
