import { describe, it } from 'vitest';
import type { Corpus, Utterance } from '@emofuse/core';
import { checkCorpus } from '../../src/corpora/index.ts';
import { expectEmofuseError } from './helpers.ts';

const utt = (id: string, extra: Partial<Utterance> = {}): Utterance => ({ id, dialogue: 'd', session: 's', speaker: 'p', label: 'a', text: '', ...extra });
const corpus = (utterances: Utterance[], classes = ['a', 'b']): Corpus => ({ name: 'c', classes, utterances, source: 'c.csv' });

describe('checkCorpus', () => {
  it('accepts a well-formed corpus and names the utterance of a bad one', () => {
    checkCorpus(corpus([utt('u1'), utt('u2', { label: 'b', vectors: { text: new Float32Array(3) } })]));
    expectEmofuseError(() => checkCorpus(corpus([])), /no utterances/, 'c.csv');
    expectEmofuseError(() => checkCorpus(corpus([utt('u1')], ['a'])), /at least 2 distinct/);
    expectEmofuseError(() => checkCorpus(corpus([utt('u1'), utt('u1')])), /duplicate utterance id "u1"/, 'c.csv [utterance 1 u1]');
    expectEmofuseError(() => checkCorpus(corpus([utt('u1', { speaker: '' })])), /empty speaker/, 'c.csv [utterance 0 u1]');
    expectEmofuseError(() => checkCorpus(corpus([utt('u1', { label: 'z' })])), /label "z" is not one of a, b/);
    expectEmofuseError(
      () => checkCorpus(corpus([utt('u1', { vectors: { audio: new Float32Array(2) } }), utt('u2', { vectors: { audio: new Float32Array(3) } })])),
      /audio vector has 3 numbers, others have 2/,
      'c.csv [utterance 1 u2]',
    );
  });
});
