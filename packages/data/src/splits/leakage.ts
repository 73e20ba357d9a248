import { InputError, type Corpus, type Split } from '@emofuse/core';

/** What a split does about test speakers who also appear in train or valid. */
export const SPEAKER_LEAKAGE = ['refuse', 'warn'] as const;
export type SpeakerLeakage = (typeof SPEAKER_LEAKAGE)[number];

export interface SpeakerOverlap {
  part: 'train' | 'valid';
  speakers: string[];
  utterances: string[];
}

/** Test speakers who also speak in train or valid, per part (empty: speaker-independent). */
export function speakerOverlap(corpus: Corpus, split: Pick<Split, 'train' | 'valid' | 'test'>): SpeakerOverlap[] {
  const speakerOf = new Map(corpus.utterances.map((u) => [u.id, u.speaker]));
  const testSpeakers = new Set(split.test.map((id) => speakerOf.get(id)));
  const out: SpeakerOverlap[] = [];
  for (const part of ['train', 'valid'] as const) {
    const leaked = split[part].filter((id) => testSpeakers.has(speakerOf.get(id)));
    if (leaked.length) out.push({ part, speakers: [...new Set(leaked.map((id) => speakerOf.get(id)!))].sort(), utterances: leaked });
  }
  return out;
}

/**
 * Refuse a split which names utterances the corpus does not have, or in which a test speaker also
 * appears in train or valid (the paper's protocol is speaker-independent). With mode 'warn' the
 * shared speakers are reported through onWarning and the split is kept: some corpora's official
 * splits share speakers by design (a TV series, recurring meeting participants).
 */
export function checkSplitLeakage(
  corpus: Corpus,
  split: Split,
  name = 'split',
  opts: { mode?: SpeakerLeakage; onWarning?: (message: string) => void } = {},
): Split {
  const known = new Set(corpus.utterances.map((u) => u.id));
  for (const part of ['train', 'valid', 'test'] as const) {
    const unknown = split[part].filter((id) => !known.has(id));
    if (unknown.length) {
      throw new InputError(`${part} names ${unknown.length} utterance(s) not in corpus ${corpus.name}, e.g. ${unknown.slice(0, 3).join(', ')}`, {
        where: name,
        fix: 'make the split from the same corpus it is used with',
      });
    }
  }
  const overlap = speakerOverlap(corpus, split);
  if (overlap.length === 0) return split;
  const list = (xs: string[]) => `${xs.slice(0, 10).join(', ')}${xs.length > 10 ? ` (+${xs.length - 10} more)` : ''}`;
  if (opts.mode === 'warn') {
    // One message per split, the same for every seed (validation draws differ, the union does not).
    const speakers = [...new Set(overlap.flatMap((o) => o.speakers))].sort();
    const n = overlap.reduce((a, o) => a + o.utterances.length, 0);
    (opts.onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`)))(
      `${name}: speaker leakage accepted (speakerLeakage: warn): test speaker${speakers.length > 1 ? 's' : ''} ${list(speakers)} also speak${speakers.length > 1 ? '' : 's'} in training or validation (${n} utterances); ` +
        'results are speaker-dependent and must be reported as such',
    );
    return split;
  }
  const o = overlap[0];
  throw new InputError(`speaker leakage: test speaker${o.speakers.length > 1 ? 's' : ''} ${list(o.speakers)} also in ${o.part} (${o.utterances.length} utterances, e.g. ${o.utterances.slice(0, 3).join(', ')})`, {
    where: name,
    fix: 'hold out whole speakers: use protocol loso or loso-speaker, or holdout with test naming whole sessions; ' +
      'or, if the corpus\'s own split shares speakers by design, set speakerLeakage to warn and report the results as speaker-dependent',
  });
  return split;
}
