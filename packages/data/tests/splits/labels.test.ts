import { describe, expect, it } from 'vitest';
import type { Corpus, Split } from '@emofuse/core';
import { checkSplitLabels, makeSplit } from '../../src/splits/index.ts';
import { expectEmofuseError } from '../corpora/helpers.ts';

/** Two speakers per session; labels as given, one utterance each. */
function corpus(labels: Record<string, string>, classes = ['ang', 'hap', 'sad']): Corpus {
  return {
    name: 'toy', classes, source: 'toy.csv',
    utterances: Object.entries(labels).map(([id, label]) => ({ id, dialogue: id.slice(0, 2), session: id[0], speaker: id.slice(0, 2), label, text: 'x' })),
  };
}
const split = (train: string[], valid: string[], test: string[]): Split => ({ train, valid, test, protocol: 'official', seed: 1 });

describe('checkSplitLabels', () => {
  const c = corpus({ a1x: 'ang', a1y: 'hap', a2x: 'sad', b1x: 'ang', b1y: 'sad', c1x: 'hap' });

  it('refuses a test or valid label the training part lacks, naming the label and its counts', () => {
    const e = expectEmofuseError(() => checkSplitLabels(c, split(['a1x', 'b1x', 'b1y'], ['a1y'], ['c1x']), 'fold X'), /label hap \(valid 1, test 1\) is not in the training part/, 'fold X');
    expect(e.fix).toMatch(/training part has every class/);
  });

  it('warns when valid or test lacks a class, or no part has it', () => {
    expect(checkSplitLabels(c, split(['a1x', 'a1y', 'a2x'], ['b1x', 'b1y'], ['c1x']), 'fold X')).toEqual([
      'fold X: valid has no utterances of hap; valid UA averages over the other 2 classes',
      'fold X: test has no utterances of ang, sad; test UA averages over the other 1 classes',
    ]);
    const sparse = corpus({ a1x: 'ang', a1y: 'hap', b1x: 'ang', b1y: 'hap' });
    expect(checkSplitLabels(sparse, split(['a1x', 'a1y'], [], ['b1x', 'b1y']))).toEqual(['split: no utterance of sad in any part; this class stays untrained and unscored']);
  });

  it('runs inside makeSplit for every protocol (here the corpus\'s own lists)', () => {
    const own = { ...c, officialSplit: { train: ['a1x', 'a2x'], valid: [], test: ['c1x'] } };
    expectEmofuseError(() => makeSplit(own, { protocol: 'official', seed: 1, validFraction: 0 }), /label hap \(test 1\) is not in the training part/, /split official of toy/);
    const warnings: string[] = [];
    const ok = { ...c, officialSplit: { train: ['a1x', 'a1y', 'a2x'], valid: [], test: ['c1x'] } };
    makeSplit(ok, { protocol: 'official', seed: 1, validFraction: 0, onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual(['split official of toy: test has no utterances of ang, sad; test UA averages over the other 1 classes']);
  });
});
