import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment, toResolvedYaml } from '../../src/config/index.ts';
import { completedRuns, configFingerprint, partialDirs, taskKey } from '../../src/sweep/store.ts';
import { tempDir } from '../helpers.ts';

const base = loadExperiment(undefined, { checkFiles: false });

describe('config fingerprint', () => {
  it('ignores seeds, experiment, tags, output, report and tracking', () => {
    const fp = configFingerprint(base);
    const renamed = {
      ...base, seeds: [7, 8], experiment: 'other', tags: { sweepPoint: 'x' }, output: { dir: '/elsewhere' },
      report: { enabled: !base.report.enabled }, tracking: { uri: 'http://127.0.0.1:5000', experiment: 'x' },
    };
    expect(configFingerprint(renamed)).toBe(fp);
  });

  it('changes with anything that changes what is computed', () => {
    const fp = configFingerprint(base);
    expect(configFingerprint({ ...base, model: { ...base.model, speech: { ...base.model.speech, filters: base.model.speech.filters + 1 } } })).not.toBe(fp);
    expect(configFingerprint({ ...base, train: { ...base.train, epochs: 3 } })).not.toBe(fp);
    expect(configFingerprint({ ...base, split: { ...base.split, folds: ['03'] } })).not.toBe(fp);
  });
});

describe('completed runs in the run store', () => {
  const out = tempDir();
  const run = (name: string, seed: number, files: string[], cfg = base, startedAt = '2026-12-01T10:00:00Z') => {
    const dir = path.join(out, 'exp', name);
    mkdirSync(dir, { recursive: true });
    if (files.includes('config')) writeFileSync(path.join(dir, 'config.resolved.yaml'), toResolvedYaml({ ...cfg, seeds: [seed] }));
    if (files.includes('meta')) writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ runId: name, seed, startedAt }));
    if (files.includes('metrics')) writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({ 'text-lstm': { valid: { ua: seed / 10 } } }));
    return dir;
  };

  it('counts a run only with its final name and config, meta and metrics; the newest duplicate wins', () => {
    const all = ['config', 'meta', 'metrics'];
    const a = run('r1-s1', 1, all, base, '2026-12-01T10:00:00Z');
    const newer = run('r3-s1', 1, all, base, '2026-12-01T11:00:00Z');
    run('r2-s2', 2, ['config', 'meta']); // killed before metrics.json
    const partial = run('.r4-s3.partial-123-abcd', 3, all); // a temp dir: never complete
    const other = run('r5-s1', 1, all, { ...base, train: { ...base.train, epochs: 2 } });
    const done = completedRuns(out, ['exp', 'missing-experiment']);
    const fp = configFingerprint(base);
    expect([...done.keys()].sort()).toEqual([taskKey(fp, 1), taskKey(configFingerprint({ ...base, train: { ...base.train, epochs: 2 } }), 1)].sort());
    expect(done.get(taskKey(fp, 1))!.dir).toBe(newer);
    expect(done.get(taskKey(fp, 1))!.metrics['text-lstm'].valid.ua).toBe(0.1);
    expect(a).not.toBe(newer);
    expect([...done.values()].map((r) => r.dir)).toContain(other);
    expect(partialDirs(out, ['exp'])).toEqual([partial]);
  });
});
