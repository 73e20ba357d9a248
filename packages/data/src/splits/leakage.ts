import { EmofuseError, type Corpus, type Split } from '@emofuse/core';

/**
 * Refuse a split in which a test speaker also appears in train or valid (the paper's protocol is
 * speaker-independent), or which names utterances the corpus does not have.
 */
export function checkSplitLeakage(corpus: Corpus, split: Split, name = 'split'): Split {
  const speakerOf = new Map(corpus.utterances.map((u) => [u.id, u.speaker]));
  for (const part of ['train', 'valid', 'test'] as const) {
    const unknown = split[part].filter((id) => !speakerOf.has(id));
    if (unknown.length) {
      throw new EmofuseError(`${part} names ${unknown.length} utterance(s) not in corpus ${corpus.name}, e.g. ${unknown.slice(0, 3).join(', ')}`, {
        where: name,
        fix: 'make the split from the same corpus it is used with',
      });
    }
  }
  const testSpeakers = new Set(split.test.map((id) => speakerOf.get(id)!));
  for (const part of ['train', 'valid'] as const) {
    const leaked = split[part].filter((id) => testSpeakers.has(speakerOf.get(id)!));
    if (leaked.length) {
      const speakers = [...new Set(leaked.map((id) => speakerOf.get(id)!))].sort();
      throw new EmofuseError(`speaker leakage: test speaker${speakers.length > 1 ? 's' : ''} ${speakers.join(', ')} also in ${part} (${leaked.length} utterances, e.g. ${leaked.slice(0, 3).join(', ')})`, {
        where: name,
        fix: 'hold out whole speakers: use protocol paper, loso or loso-speaker, or fix the corpus split lists',
      });
    }
  }
  return split;
}
