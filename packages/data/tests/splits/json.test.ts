import { describe, expect, it } from 'vitest';
import { readEmodb } from '../../src/corpora/index.ts';
import { makeSplit, splitFingerprint, splitFromJson, splitToJson } from '../../src/splits/index.ts';
import { emodbDir, expectEmofuseError } from '../corpora/helpers.ts';

describe('split JSON and fingerprint', () => {
  const corpus = readEmodb(emodbDir);
  const split = makeSplit(corpus, { protocol: 'loso-speaker', seed: 4, fold: '10' });

  it('round-trips through JSON text', () => {
    const json = splitToJson(split, corpus);
    expect(json).toMatchObject({
      format: 'emofuse-split', version: 1, protocol: 'loso-speaker', seed: 4, fold: '10',
      corpus: { name: 'emodb', source: corpus.source, utterances: 535 },
      counts: { train: split.train.length, valid: split.valid.length, test: split.test.length },
      fingerprint: splitFingerprint(split),
    });
    const back = splitFromJson(JSON.parse(JSON.stringify(json)));
    expect(back).toEqual(split);
  });

  it('fingerprints the partition, not the id order', () => {
    const reordered = { ...split, train: [...split.train].reverse() };
    expect(splitFingerprint(reordered)).toBe(splitFingerprint(split));
    const moved = { ...split, train: split.train.slice(1), valid: [...split.valid, split.train[0]] };
    expect(splitFingerprint(moved)).not.toBe(splitFingerprint(split));
  });

  it('refuses edited or malformed files', () => {
    const json = splitToJson(split);
    expectEmofuseError(() => splitFromJson({ ...json, test: json.test.slice(1) }, 'runs/x/split.json'), /do not match the recorded fingerprint/, 'runs/x/split.json');
    expectEmofuseError(() => splitFromJson({ ...json, protocol: 'random' }), /protocol/);
    expectEmofuseError(() => splitFromJson({ hello: 1 }), /not an emofuse split/);
  });
});
