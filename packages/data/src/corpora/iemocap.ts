import path from 'node:path';
import { InputError, checkUniqueIds, type Corpus, type Utterance } from '@emofuse/core';
import { checkCorpus } from './checkCorpus.ts';
import { asInput } from './files.ts';
import { loadPickle } from './pickle.ts';

/**
 * The six IEMOCAP classes the paper uses, in the order of the community pickles' integer labels
 * (0 hap, 1 sad, 2 neu, 3 ang, 4 exc, 5 fru). Happiness and excitement stay separate classes.
 */
export const IEMOCAP_CLASSES = ['hap', 'sad', 'neu', 'ang', 'exc', 'fru'] as const;

/** "Ses01F_impro01" -> "Ses01". */
export function iemocapSession(dialogue: string, where: string): string {
  const m = /^(Ses0[1-5])[FM]_/.exec(dialogue);
  if (!m) {
    throw new InputError(`dialogue id ${JSON.stringify(dialogue)} does not look like an IEMOCAP dialogue (Ses0<1-5><F|M>_...)`, {
      where,
      fix: 'use the original IEMOCAP dialogue ids, or read the corpus as a manifest',
    });
  }
  return m[1];
}

/** IEMOCAP's 10 speakers: one woman and one man per session, "Ses01_F". */
export function iemocapSpeaker(session: string, gender: string): string {
  return `${session}_${gender}`;
}

/**
 * Stable id for an utterance known only by its dialogue and position (iemocap.pkl has no ids):
 * `<dialogue>_<position, 3 digits from 000>`, e.g. `Ses01F_impro01_007`. These never collide with
 * the release's own ids (`Ses01F_impro01_F007`), which always carry the speaker's gender letter.
 */
export function positionalId(dialogue: string, position: number): string {
  return `${dialogue}_${String(position).padStart(3, '0')}`;
}

export function asRecord(value: unknown, what: string, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Set) {
    throw new InputError(`${what} should be a dict keyed by dialogue id`, { where, fix: 'pass the original pickle' });
  }
  return value as Record<string, unknown>;
}

export function asStringList(value: unknown, what: string, where: string): string[] {
  const items = value instanceof Set ? [...value] : value;
  if (!Array.isArray(items)) throw new InputError(`${what} should be a list or set of dialogue ids`, { where, fix: 'pass the original pickle' });
  return items.map(String);
}

export function labelName(value: unknown, where: string): string {
  const n = typeof value === 'object' && value !== null && 'item' in value ? (value as { item(): number }).item() : Number(value);
  const name = IEMOCAP_CLASSES[n];
  if (!Number.isInteger(n) || name === undefined) {
    throw new InputError(`label ${String(value)} is not one of 0..5 (${IEMOCAP_CLASSES.join(', ')})`, { where, fix: 'pass the original pickle' });
  }
  return name;
}

export function genderLetter(value: unknown, where: string): 'F' | 'M' {
  const g = String(value);
  if (g !== 'F' && g !== 'M') throw new InputError(`speaker ${JSON.stringify(g)} is neither 'F' nor 'M'`, { where, fix: 'pass the original pickle' });
  return g;
}

/**
 * The IEMOCAP metadata pickle (`iemocap.pkl`: speakers, labels, sentences, train/test/valid
 * dialogue lists). 7433 utterances, no audio paths and no vectors: text only. `order` is the
 * utterance's position in its dialogue's lists.
 */
export function readIemocapPickle(file: string): Corpus {
  const data = loadPickle(file);
  if (!Array.isArray(data) || data.length !== 6) {
    throw new InputError(`expected a list of 6 items (speakers, labels, sentences, train, test, valid), got ${Array.isArray(data) ? `a list of ${data.length}` : typeof data}`, {
      where: file,
      fix: 'pass iemocap.pkl (the 6-item metadata pickle); IEMOCAP_features_raw.pkl is read as corpus type iemocap-features',
    });
  }
  const speakers = asRecord(data[0], 'item 0 (speakers)', file);
  const labels = asRecord(data[1], 'item 1 (labels)', file);
  const sentences = asRecord(data[2], 'item 2 (sentences)', file);
  const train = asStringList(data[3], 'item 3 (train ids)', file);
  const test = asStringList(data[4], 'item 4 (test ids)', file);
  const valid = asStringList(data[5], 'item 5 (valid ids)', file);

  const utterances: Utterance[] = [];
  for (const dialogue of Object.keys(speakers).sort()) {
    const where = `${file} [dialogue ${dialogue}]`;
    const session = iemocapSession(dialogue, where);
    const g = speakers[dialogue];
    const l = labels[dialogue];
    const s = sentences[dialogue];
    if (!Array.isArray(g) || !Array.isArray(l) || !Array.isArray(s)) {
      throw new InputError('the dialogue is missing from labels or sentences', { where, fix: 'pass the original pickle' });
    }
    if (g.length !== l.length || g.length !== s.length) {
      throw new InputError(`speakers, labels and sentences have different lengths (${g.length}, ${l.length}, ${s.length})`, { where, fix: 'pass the original pickle' });
    }
    for (let i = 0; i < g.length; i++) {
      const at = `${where} [utterance ${i}]`;
      utterances.push({
        id: positionalId(dialogue, i),
        dialogue,
        session,
        speaker: iemocapSpeaker(session, genderLetter(g[i], at)),
        label: labelName(l[i], at),
        text: String(s[i]),
        order: i,
      });
    }
  }
  asInput(() => checkUniqueIds(utterances.map((u) => u.id), file));
  checkListedDialogues(new Set(Object.keys(speakers)), { train, valid, test }, file);
  return checkCorpus({
    name: 'iemocap',
    classes: [...IEMOCAP_CLASSES],
    utterances,
    officialSplit: { train, valid, test },
    source: path.resolve(file),
  });
}

/** Split lists must name known dialogues, each in one list only. */
export function checkListedDialogues(known: Set<string>, lists: Record<string, string[]>, where: string): void {
  const owner = new Map<string, string>();
  for (const [part, ids] of Object.entries(lists)) {
    for (const id of ids) {
      if (!known.has(id)) throw new InputError(`the ${part} list names dialogue ${id}, which has no utterances`, { where, fix: 'pass the original pickle' });
      const prev = owner.get(id);
      if (prev) throw new InputError(`dialogue ${id} is in both the ${prev} and the ${part} list`, { where, fix: 'pass the original pickle' });
      owner.set(id, part);
    }
  }
}
