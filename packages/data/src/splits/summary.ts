import type { Corpus, Split } from '@emofuse/core';

export interface PartSummary {
  utterances: number;
  /** Utterances per class, in the corpus's class order. */
  perClass: Record<string, number>;
  speakers: string[];
  dialogues: number;
}

const PARTS = ['train', 'valid', 'test'] as const;

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

/**
 * The per-split class table printed before training (and by `run --dry-run`): one row per class
 * in the corpus's class order, counts and shares per part, then totals, speakers and groups.
 *
 *   split paper of iemocap, seed 1
 *   class        train         valid          test
 *   hap      398  8.5%     106 10.1%     144  8.9%
 *   ...
 */
export function formatSplitSummary(corpus: Corpus, split: Split): string {
  const s = summariseSplit(corpus, split);
  const w = Math.max(9, ...corpus.classes.map((c) => c.length));
  const cell = (n: number, total: number) => `${String(n).padStart(6)} ${total ? `${((100 * n) / total).toFixed(1)}%`.padStart(6) : ''.padStart(6)}`;
  const plain = (v: string | number) => `${String(v).padStart(6)} ${''.padStart(6)}`;
  const row = (label: string, cells: string[]) => `  ${label.padEnd(w)} ${cells.join('  ')}`.trimEnd();
  const title = `${split.protocol}${split.fold !== undefined ? ` fold ${split.fold}` : ''} of ${corpus.name}, seed ${split.seed}`;
  const lines = [
    `split ${title}:`,
    row('class', PARTS.map((p) => `${p.padStart(6)} ${'share'.padStart(6)}`)),
    ...corpus.classes.map((c) => row(c, PARTS.map((p) => cell(s[p].perClass[c] ?? 0, s[p].utterances)))),
    row('total', PARTS.map((p) => plain(s[p].utterances))),
    row('speakers', PARTS.map((p) => plain(s[p].speakers.length))),
    row('groups', PARTS.map((p) => plain(s[p].dialogues))),
  ];
  return lines.join('\n');
}
