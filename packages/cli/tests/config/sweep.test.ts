import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandSweep, loadSweep } from '../../src/config/index.ts';
import { configError, repoRoot, sharedData, tempDir, writeFile } from '../helpers.ts';

const dir = tempDir();
const base = writeFile(dir, 'base.yaml', `experiment: base-exp\nseeds: [1, 2]\ntags: { corpus: iemocap }\ncorpus: { path: ${path.join(sharedData, 'iemocap/iemocap.pkl')} }\n`);

describe('loadSweep', () => {
  it('refuses a sweep that chooses on the test split, explaining the honest protocol', () => {
    const f = writeFile(dir, 'test.yaml', 'base: base.yaml\ngrid: { train.batchSize: [16] }\nmetric: ua\nsplit: test\n');
    const e = configError(() => loadSweep(f));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0].key).toBe('split');
    expect(e.describe()).toMatch(/validation only.*honest protocol/);
    expect(e.issues[0].fix).toBe('set split: valid');
  });

  it('refuses grid keys that are not config paths, with a did-you-mean', () => {
    const f = writeFile(dir, 'typo.yaml', 'base: base.yaml\ngrid: { train.batchsize: [16], model.text.lstmUnit: [64] }\nmetric: ua\nsplit: valid\n');
    const e = configError(() => loadSweep(f));
    expect(e.issues.map((i) => [i.key, i.fix])).toEqual([
      ['grid.train.batchsize', 'did you mean `batchSize`?'],
      ['grid.model.text.lstmUnit', 'did you mean `lstmUnits`?'],
    ]);
  });

  it('refuses sweeping seeds, an unknown metric and unknown keys', () => {
    const seeds = writeFile(dir, 'seeds.yaml', 'base: base.yaml\ngrid: { seeds: [[1], [2]] }\nmetric: ua\nsplit: valid\n');
    expect(configError(() => loadSweep(seeds)).describe()).toContain('may not be swept');
    const metric = writeFile(dir, 'metric.yaml', 'base: base.yaml\ngrid: { train.batchSize: [16] }\nmetric: accuracy\nsplit: valid\n');
    expect(configError(() => loadSweep(metric)).describe()).toContain("metric: expected one of 'ua', 'wa', 'f1', 'macroF1', got 'accuracy'");
    const extra = writeFile(dir, 'extra.yaml', 'base: base.yaml\ngrid: { train.batchSize: [16] }\nmetric: ua\nsplit: valid\nMode: max\n');
    expect(configError(() => loadSweep(extra)).issues[0]).toMatchObject({ key: 'Mode', fix: expect.stringContaining('did you mean `mode`?') });
  });

  it('expands the grid into named, resolved, validated points', () => {
    const f = writeFile(dir, 'units.yaml', 'base: base.yaml\ngrid:\n  model.text.lstmUnits: [64, 128]\n  train.batchSize: [16, 32, 64]\nmetric: f1\nsplit: valid\n');
    const sweep = loadSweep(f);
    expect(sweep).toMatchObject({ name: 'units', base, metric: 'f1', split: 'valid', mode: 'max' });
    const points = expandSweep(sweep);
    expect(points.map((p) => p.name)).toEqual([
      'lstmUnits=64,batchSize=16', 'lstmUnits=64,batchSize=32', 'lstmUnits=64,batchSize=64',
      'lstmUnits=128,batchSize=16', 'lstmUnits=128,batchSize=32', 'lstmUnits=128,batchSize=64',
    ]);
    const p = points[4];
    expect(p.overrides).toEqual({ 'model.text.lstmUnits': 128, 'train.batchSize': 32 });
    expect(p.config.model.text.lstmUnits).toBe(128);
    expect(p.config.train.batchSize).toBe(32);
    expect(p.config.seeds).toEqual([1, 2]);
    expect(p.config.experiment).toBe('sweep-units');
    expect(p.config.tags).toMatchObject({ corpus: 'iemocap', sweep: 'units', sweepPoint: 'lstmUnits=128,batchSize=32' });
    expect(expandSweep(sweep, { seed: 9 })[0].config.seeds).toEqual([9]);
  });

  it('refuses a bad grid value before any point runs, naming the sweep and the value', () => {
    const f = writeFile(dir, 'badvalue.yaml', 'base: base.yaml\ngrid: { train.batchSize: [16, big] }\nmetric: ua\nsplit: valid\n');
    const e = configError(() => expandSweep(loadSweep(f)));
    expect(e.issues[0].key).toBe('train.batchSize');
    expect(e.issues[0].where).toContain("grid 'train.batchSize' = 'big'");
  });

  it('resolves base against the repo root for sweeps in the repo', () => {
    const s = loadSweep(path.join(repoRoot, 'experiments/sweeps/text_lstm_units.yaml'));
    expect(s.base).toBe(path.join(repoRoot, 'experiments/iemocap/text_lstm.yaml'));
  });
});
