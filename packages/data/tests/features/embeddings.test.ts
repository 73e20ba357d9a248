import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  embedMean, embedSequences, embedTokens, loadVecFile, loadWinkEmbeddings, lookupToken, tokenize, vocabularyOf, corpusVocabulary,
} from '../../src/features/index.ts';
import type { WordEmbeddings } from '../../src/features/index.ts';
import { readIemocapPickle } from '../../src/corpora/index.ts';
import { catchEmofuse, iemocapPkl, removeTempDirs, tempDir, utt } from './helpers.ts';

afterAll(removeTempDirs);

function vecFile(lines: string[]): string {
  const f = path.join(tempDir(), 'tiny.vec');
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

describe('loadVecFile', () => {
  it('reads a FastText file with a header, keeping only vocabulary words, folding case (first casing wins)', async () => {
    const f = vecFile(['5 3', 'The 1 2 3 ', 'the 9 9 9 ', 'cat 0.5 -1 2e-1 ', 'dog 4 5 6 ', "n't 7 8 9 "]);
    const e = await loadVecFile(f, ['the', 'cat', "n't", 'zebra']);
    expect(e.dim).toBe(3);
    expect(e.words).toEqual(['the', 'cat', "n't"]);
    expect(Array.from(e.vectors)).toEqual([1, 2, 3, 0.5, -1, Math.fround(0.2), 7, 8, 9]);
    expect(e.source).toContain(f);
    const cased = await loadVecFile(f, ['The', 'the'], { lowercase: false });
    expect(cased.words).toEqual(['The', 'the']);
  });

  it('reads a GloVe file without a header line, taking dim from the first line', async () => {
    const e = await loadVecFile(vecFile(['hello 1 0', 'world 0 1']), ['world']);
    expect(e.dim).toBe(2);
    expect(Array.from(e.vectors)).toEqual([0, 1]);
  });

  it('names the file and line of a malformed line', async () => {
    const f = vecFile(['3 2', 'a 1 2', 'b 1', 'c 1 2']);
    const err = await catchEmofuse(() => loadVecFile(f, ['a']));
    expect(err.where).toBe(`${f}:3`);
    expect(err.message).toContain('expected 2 numbers');
    const g = vecFile(['a 1 2', 'b 1 x2']);
    const err2 = await catchEmofuse(() => loadVecFile(g, ['b']));
    expect(err2.where).toBe(`${g}:2`);
    expect(err2.message).toContain('"x2"');
  });

  it('rejects a file cut short of its declared count, and a missing file', async () => {
    const f = vecFile(['10 2', 'a 1 2', 'b 3 4']);
    expect((await catchEmofuse(() => loadVecFile(f, ['a']))).message).toContain('declares 10 words');
    expect((await catchEmofuse(() => loadVecFile('/no/such.vec', ['a']))).where).toBe('/no/such.vec');
  });
});

describe('loadWinkEmbeddings (the real 300 MB package file, streamed)', () => {
  it('keeps just the asked-for words, 100-d, equal to the values in the JSON', async () => {
    const e = await loadWinkEmbeddings({ vocab: ['the', 'laughter', 'not', 'zzzznotaword', 'happy'] });
    expect(e.dim).toBe(100);
    expect(e.words.sort()).toEqual(['happy', 'laughter', 'not', 'the']);
    const the = e.vectors.subarray(e.index.get('the')! * 100, e.index.get('the')! * 100 + 3);
    expect(Array.from(the)).toEqual([-0.038194, -0.24487, 0.72812].map(Math.fround));
  });

  it('covers the real IEMOCAP transcripts: under 1% OOV tokens, sequences of 50 steps', async () => {
    const us = readIemocapPickle(iemocapPkl).utterances;
    const e = await loadWinkEmbeddings({ vocab: corpusVocabulary(us) });
    const { sequences, stats } = embedSequences(us, e, { maxTokens: 50 });
    expect(sequences.ids).toHaveLength(7433);
    expect(sequences.values).toHaveLength(7433 * 50 * 100);
    expect(stats.tokenOovRate).toBeLessThan(0.01);
    expect(stats.typeOovRate).toBeLessThan(0.05);
    // "i" and "a" are found only through the backoff table (wink has no one-letter words).
    expect(e.index.has('i')).toBe(false);
    expect(stats.topOov.map(([w]) => w)).not.toContain('i');
    expect(stats.backoffTokens).toBeGreaterThan(5000);
  });

  it('reports a truncated file as such', async () => {
    const f = path.join(tempDir(), 'wink.json');
    writeFileSync(f, '{"dimensions":2,"words":["a","b"],"vectors":{"a":[1,2,3,0],"b":[4,');
    const err = await catchEmofuse(() => loadWinkEmbeddings({ file: f }));
    expect(err.message).toContain('incomplete');
    expect(err.where).toBe(f);
  });
});

describe('embedding utterances', () => {
  const emb: WordEmbeddings = {
    dim: 2,
    words: ['good', 'day', 'not', 'laughter', 'e', 'mail'],
    vectors: Float32Array.from([1, 0, 0, 1, -1, -1, 5, 5, 2, 2, 4, 0]),
    index: new Map(['good', 'day', 'not', 'laughter', 'e', 'mail'].map((w, i) => [w, i])),
    source: 'test',
  };
  const us = [utt('a', "Good day [LAUGHTER] isn't e-mail xyzzy"), utt('b', 'xyzzy qqq'), utt('c', 'good')];

  it('backs off clitics, markup and hyphenated words', () => {
    expect(lookupToken(emb, "n't")).toMatchObject({ via: 'backoff' });
    expect(Array.from(lookupToken(emb, '<laughter>')!.vector)).toEqual([5, 5]);
    expect(Array.from(lookupToken(emb, 'e-mail')!.vector)).toEqual([3, 1]);
    expect(lookupToken(emb, 'xyzzy')).toBeUndefined();
    expect(vocabularyOf([tokenize("isn't e-mail [LAUGHTER]")])).toEqual(new Set(['is', "n't", 'not', 'e-mail', 'e', 'mail', '<laughter>', 'laughter', 'laugh']));
  });

  it('pads/truncates sequences to maxTokens with OOV tokens as zero steps, and counts OOV by token and type', () => {
    const { sequences, stats } = embedSequences(us, emb, { maxTokens: 5 });
    expect(sequences.steps).toBe(5);
    expect(Array.from(sequences.lengths)).toEqual([5, 2, 1]);
    // a: good day <laughter> is n't | e-mail xyzzy cut off
    expect(Array.from(sequences.values.subarray(0, 10))).toEqual([1, 0, 0, 1, 5, 5, 0, 0, -1, -1]);
    expect(Array.from(sequences.values.subarray(10, 20))).toEqual(new Array(10).fill(0));
    expect(Array.from(sequences.values.subarray(20, 22))).toEqual([1, 0]);
    expect(stats).toMatchObject({ tokens: 10, oovTokens: 4, types: 8, oovTypes: 3, truncatedTokens: 2, emptyUtterances: 1, backoffTokens: 3 });
    expect(stats.tokenOovRate).toBeCloseTo(4 / 10);
    expect(stats.typeOovRate).toBeCloseTo(3 / 8);
    expect(stats.topOov).toEqual([['xyzzy', 2], ['is', 1], ['qqq', 1]]);
  });

  it('gives token ids into a vocabulary whose vectors are what embedSequences would feed', () => {
    const { sequences: tok, stats } = embedTokens(us, emb, { maxTokens: 5 });
    const { sequences: vec, stats: vstats } = embedSequences(us, emb, { maxTokens: 5 });
    expect(stats).toEqual(vstats);
    expect(tok.dim).toBe(1);
    expect(Array.from(tok.lengths)).toEqual(Array.from(vec.lengths));
    const v = tok.vocabulary;
    // first use order; 0 is padding; xyzzy and qqq have no vector but a row of their own
    expect(v.words).toEqual(['<pad>', 'good', 'day', '<laughter>', 'is', "n't", 'xyzzy', 'qqq']);
    expect(Array.from(tok.values.subarray(0, 10))).toEqual([1, 2, 3, 4, 5, 6, 7, 0, 0, 0]);
    for (let k = 0; k < tok.values.length; k++) {
      const row = tok.values[k];
      expect(Array.from(v.vectors.subarray(row * v.dim, (row + 1) * v.dim))).toEqual(Array.from(vec.values.subarray(k * v.dim, (k + 1) * v.dim)));
    }
    expect(v.fingerprint).toBe(embedTokens(us, emb, { maxTokens: 5 }).sequences.vocabulary.fingerprint);
    expect(v.fingerprint).not.toBe(embedTokens(us.slice(1), emb, { maxTokens: 5 }).sequences.vocabulary.fingerprint);
  });

  it('averages the in-vocabulary vectors of each utterance, zero for none', () => {
    const { matrix } = embedMean(us, emb);
    expect(matrix.dim).toBe(2);
    const a = Array.from(matrix.values.subarray(0, 2));
    expect(a[0]).toBeCloseTo((1 + 0 + 5 - 1 + 3) / 5);
    expect(a[1]).toBeCloseTo((0 + 1 + 5 - 1 + 1) / 5);
    expect(Array.from(matrix.values.subarray(2, 6))).toEqual([0, 0, 1, 0]);
    expect(corpusVocabulary(us).has('qqq')).toBe(true);
  });

  it('rejects a bad maxTokens', async () => {
    expect((await catchEmofuse(() => embedSequences(us, emb, { maxTokens: 0 }))).where).toBe('maxTokens');
  });
});
