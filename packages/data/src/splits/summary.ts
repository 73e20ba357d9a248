import type { Corpus, Split } from '@emofuse/core';

export interface PartSummary {
  utterances: number;
  /** Utterances per class, in the corpus's class order. */
  perClass: Record<string, number>;
  speakers: string[];
  dialogues: number;
}

/** Counts per class, speakers and dialogues of each part: what a run logs beside its split. */
export function summariseSplit(corpus: Corpus, split: Split): Record<'train' | 'valid' | 'test', PartSummary> {
  const byId = new Map(corpus.utterances.map((u) => [u.id, u]));
  const part = (ids: string[]): PartSummary => {
    const perClass = Object.fromEntries(corpus.classes.map((c) => [c, 0]));
    const speakers = new Set<string>();
    const dialogues = new Set<string>();
    for (const id of ids) {
      const u = byId.get(id);
      if (!u) continue;
      perClass[u.label] = (perClass[u.label] ?? 0) + 1;
      speakers.add(u.speaker);
      dialogues.add(u.dialogue);
    }
    return { utterances: ids.length, perClass, speakers: [...speakers].sort(), dialogues: dialogues.size };
  };
  return { train: part(split.train), valid: part(split.valid), test: part(split.test) };
}
