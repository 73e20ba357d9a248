import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment, toResolvedYaml } from '../../src/config/index.ts';
import YAML from 'yaml';
import { completedRuns, configFingerprint, fingerprintOfYaml, partialDirs, taskKey } from '../../src/sweep/store.ts';
import { flattenConfig } from '../../src/pipeline/tracking.ts';
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
    const speech = { ...base, systems: ['speech-cnn'] };
    expect(configFingerprint({ ...speech, model: { ...base.model, speech: { ...base.model.speech, filters: base.model.speech.filters + 1 } } })).not.toBe(configFingerprint(speech));
    expect(configFingerprint({ ...base, train: { ...base.train, epochs: 3 } })).not.toBe(fp);
    expect(configFingerprint({ ...base, split: { ...base.split, folds: ['03'] } })).not.toBe(fp);
  });
});

describe('config fingerprint: only the slices the run reads (issue 25)', () => {
  const fp = (c: typeof base) => configFingerprint(c);
  it('a text-lstm run ignores the speech and joint slices, the speech features and fusion without rules', () => {
    const text = { ...base, systems: ['text-lstm'] };
    const other = {
      ...text,
      model: { ...base.model, speech: { ...base.model.speech, filters: base.model.speech.filters + 1 }, joint: { ...base.model.joint, textBranch: 'frozen' } },
      features: { ...base.features, speech: { ...base.features.speech, select: 7 }, cacheDir: '/elsewhere' },
      fusion: { ...base.fusion, step: 0.1 },
    } as typeof base;
    expect(fp(other)).toBe(fp(text));
    expect(fp({ ...text, model: { ...base.model, text: { ...base.model.text, lstmUnits: 7 } } })).not.toBe(fp(text));
    expect(fp({ ...text, model: { ...base.model, dense: [3] } })).not.toBe(fp(text));
  });

  it('joint-cnn with a frozen text branch takes the text LSTM, so the text slice counts for it', () => {
    const lstm7 = (c: typeof base) => ({ ...c, model: { ...c.model, text: { ...base.model.text, lstmUnits: 7 } } });
    const frozen = { ...base, systems: ['joint-cnn'], model: { ...base.model, joint: { ...base.model.joint, textBranch: 'frozen' } } } as typeof base;
    expect(fp(lstm7(frozen))).not.toBe(fp(frozen));
    // With its own text branch joint-cnn still builds the text extractor from model.text (its
    // descriptor declares slices: text, speech), so a change there is a new computation.
    const own = { ...base, systems: ['joint-cnn'], model: { ...base.model, joint: { ...base.model.joint, textBranch: 'joint' } } } as typeof base;
    const filters = (c: typeof base) => ({ ...c, model: { ...c.model, text: { ...base.model.text, convFilters: 7 } } });
    expect(fp(filters(own))).not.toBe(fp(own));
  });

  it('linear-text reads model.linear although the slice belongs to linear; the params say the same', () => {
    const lt = { ...base, systems: ['linear-text'], features: { ...base.features, text: { ...base.features.text, source: 'tfidf' } } } as typeof base;
    expect(fp({ ...lt, model: { ...base.model, linear: { ...(base.model.linear as object), c: [7] } } } as typeof base)).not.toBe(fp(lt));
    expect(fp({ ...lt, model: { ...base.model, bclstm: { ...(base.model.bclstm as object), units: 7 } } } as typeof base)).toBe(fp(lt));
    const params = flattenConfig(lt as never);
    expect(params['model.linear.c']).toBeDefined();
    expect(params['features.text.tfidf.ngrams']).toBe('[1,2]');
    expect(Object.keys(params).filter((k) => k.startsWith('model.bclstm') || k.startsWith('model.speech') || k.startsWith('features.speech'))).toEqual([]);
  });

  it('an older run whose config.resolved.yaml lacks a key added since (with its default) keeps its fingerprint', () => {
    const plain = YAML.parse(toResolvedYaml(base));
    delete plain.split.speakerLeakage; // as if written before the key existed
    expect(fingerprintOfYaml(YAML.stringify(plain))).toBe(fp(base));
    plain.split.speakerLeakage = 'warn'; // a value other than the default does count
    expect(fingerprintOfYaml(YAML.stringify(plain))).not.toBe(fp(base));
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
