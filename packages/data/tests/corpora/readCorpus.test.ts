import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS_TYPES, readCorpus } from '../../src/corpora/index.ts';
import { emodbDir, expectEmofuseError, featuresFixture, iemocapPkl, sharedData } from './helpers.ts';

describe('readCorpus', () => {
  it('dispatches on corpus.type', () => {
    expect(readCorpus({ type: 'iemocap', path: iemocapPkl }).utterances).toHaveLength(7433);
    expect(readCorpus({ type: 'iemocap-features', path: featuresFixture }).name).toBe('iemocap-features');
    expect(readCorpus({ type: 'emodb', path: emodbDir }).utterances).toHaveLength(535);
  });

  it('resolves relative paths against baseDir', () => {
    const c = readCorpus({ type: 'emodb', path: 'emodb' }, { baseDir: sharedData });
    expect(c.source).toBe(path.resolve(emodbDir));
  });

  it('lists the valid types for an unknown one', () => {
    const e = expectEmofuseError(() => readCorpus({ type: 'iemocap4', path: iemocapPkl }), /unknown corpus type "iemocap4"; valid types: iemocap, iemocap-features, iemocap-raw, emodb, manifest/, 'corpus.type');
    expect(e.fix).toContain(CORPUS_TYPES.join(' | '));
  });

  it('names the missing path and the config key corpus.path', () => {
    const missing = path.join(sharedData, 'no-such-corpus.pkl');
    expectEmofuseError(() => readCorpus({ type: 'iemocap', path: missing }), new RegExp(`corpus path ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not exist`), 'corpus.path');
    expectEmofuseError(() => readCorpus({ type: 'manifest', path: '' }), /no corpus path given/, 'corpus.path');
  });
});
