import { describe, expect, it } from 'vitest';
import { tokenize } from '../../src/features/index.ts';
import { readIemocapPickle } from '../../src/corpora/index.ts';
import { iemocapPkl } from './helpers.ts';

describe('tokenize', () => {
  it('lowercases and splits contractions the Penn-Treebank way', () => {
    expect(tokenize("I don't know, I'm sure it's fine.")).toEqual(['i', 'do', "n't", 'know', 'i', "'m", 'sure', 'it', "'s", 'fine']);
    expect(tokenize('I don\u2019t')).toEqual(['i', 'do', "n't"]);
    expect(tokenize("Can't. Won't! They're, we've, you'll, he'd")).toEqual(['ca', "n't", 'wo', "n't", '!', 'they', "'re", 'we', "'ve", 'you', "'ll", 'he', "'d"]);
  });

  it('keeps laughter and breathing markup as tokens and drops garbage and other tags', () => {
    expect(tokenize('[LAUGHTER] Oh my god [laughter]')).toEqual(['<laughter>', 'oh', 'my', 'god', '<laughter>']);
    expect(tokenize('[BREATHING] Okay. [GARBAGE] fine [garbage] [NOISE]')).toEqual(['<breathing>', 'okay', 'fine']);
    expect(tokenize('no[LAUGHTER]way')).toEqual(['no', '<laughter>', 'way']);
  });

  it('keeps ? and ! as tokens and drops other punctuation, dashes and quote marks', () => {
    expect(tokenize('What?! "Really"... (yes); no: ok -- fine')).toEqual(['what', '?', '!', 'really', 'yes', 'no', 'ok', 'fine']);
    expect(tokenize("you- you know 'cause goin' uh-huh e-mail")).toEqual(['you', 'you', 'know', 'cause', 'goin', 'uh-huh', 'e-mail']);
  });

  it('keeps numbers, with a decimal point only between digits', () => {
    expect(tokenize('In 1990 it cost 3.5 dollars.')).toEqual(['in', '1990', 'it', 'cost', '3.5', 'dollars']);
    expect(tokenize('')).toEqual([]);
    expect(tokenize('   ...  ')).toEqual([]);
  });

  it('leaves no bracket, comma or full stop in any token of the real IEMOCAP transcripts', () => {
    const sentences = readIemocapPickle(iemocapPkl).utterances.map((u) => u.text);
    expect(sentences).toHaveLength(7433);
    const tokens = sentences.flatMap(tokenize);
    expect(tokens.filter((t) => /[[\],.;:"]/.test(t))).toEqual([]);
    expect(tokens.filter((t) => t === '<laughter>').length).toBe(131);
    expect(tokens.filter((t) => t === '<breathing>').length).toBe(48);
    expect(tokens.some((t) => t.includes('garbage'))).toBe(false);
  });
});
