import { InputError, SPLIT_PROTOCOLS, asInputError, checkSplit, makeRng, shuffled, type Corpus, type Split, type SplitProtocol, type Utterance } from '@emofuse/core';
import { checkSplitLeakage, SPEAKER_LEAKAGE, type SpeakerLeakage } from './leakage.ts';
import { checkSplitLabels } from './labels.ts';


export interface SplitOptions {
  /**
   * official (or manifest): the corpus's own lists; an empty validation list is filled with
   *   `validFraction` of the training dialogues, seeded.
   * paper: IEMOCAP sessions 1-4 train, session 5 test; validation `validFraction` of training,
   *   taken by whole dialogue, seeded.
   * loso: leave one session out (`fold` = the session, e.g. "Ses05"); validation is
   *   `validFraction` of training by whole dialogue, or, when every dialogue is one speaker's
   *   (EmoDB: dialogue = session = speaker), one other speaker chosen by the seed.
   * loso-speaker: leave one speaker out (`fold` = the speaker, e.g. "03" or "Ses01_F"); validation
   *   is one other speaker chosen by the seed (`validFraction` only switches it off when 0).
   * holdout: any corpus; test = the sessions or groups named in `test`; validation `validFraction`
   *   of the rest, by whole dialogue (group), seeded (`paper` is IEMOCAP's holdout of Ses05).
   */
  protocol: SplitProtocol | string;
  /**
   * holdout only: the held-out sessions or groups. A plain name matches a session, else a group
   * (dialogue); `session:<name>` or `group:<name>` says which.
   */
  test?: string[];
  /**
   * A test speaker also in train or valid: 'refuse' (default) throws; 'warn' reports it through
   * `onWarning` and keeps the split (for corpora whose official split shares speakers, e.g. TV
   * series: the results are then speaker-dependent and must be reported as such).
   */
  speakerLeakage?: SpeakerLeakage | string;
  /**
   * Refuse a split whose valid or test part has a label training lacks (checkSplitLabels). Default
   * true; false only for tests of the split mechanics on toy corpora, never for a run.
   */
  checkLabels?: boolean;
  /** Where warnings go (speaker leakage under 'warn', classes missing from a part); default stderr. */
  onWarning?: (message: string) => void;
  /** Share of training utterances moved to validation (by whole dialogue). Default 0.2; 0 = none. */
  validFraction?: number;
  seed: number;
  /** The held-out session or speaker, for loso and loso-speaker. */
  fold?: string;
}

export interface FoldOptions extends Omit<SplitOptions, 'fold'> {
  /** 'all' (default) or a list of held-out groups. */
  folds?: 'all' | string[];
}

type Part = Pick<Split, 'train' | 'valid' | 'test'>;

/** The held-out groups a leave-one-out protocol iterates over, sorted. */
export function foldNames(corpus: Corpus, protocol: 'loso' | 'loso-speaker'): string[] {
  const key = protocol === 'loso' ? 'session' : 'speaker';
  return [...new Set(corpus.utterances.map((u) => u[key]))].sort();
}

function checkFraction(f: number): number {
  if (!(f >= 0 && f < 1)) {
    throw new InputError(`validFraction must be in [0, 1), got ${f}`, { option: 'validFraction', fix: 'use e.g. 0.2 (the paper), or 0 for no validation' });
  }
  return f;
}

/**
 * Move whole groups (dialogues, or speakers) from `train` to validation, in a seeded order, until
 * validation holds as close to `fraction` of the training utterances as whole groups allow.
 */
function takeGroups(train: Utterance[], groupOf: (u: Utterance) => string, fraction: number, rng: () => number): { train: Utterance[]; valid: Utterance[] } {
  if (fraction === 0) return { train, valid: [] };
  const sizes = new Map<string, number>();
  for (const u of train) sizes.set(groupOf(u), (sizes.get(groupOf(u)) ?? 0) + 1);
  const order = shuffled([...sizes.keys()].sort(), rng);
  const target = fraction * train.length;
  const chosen = new Set<string>();
  let n = 0;
  for (const g of order) {
    if (n >= target) break;
    const next = n + sizes.get(g)!;
    // Stop before a group that would overshoot more than stopping undershoots (but take at least one).
    if (chosen.size > 0 && next - target > target - n) break;
    chosen.add(g);
    n = next;
  }
  if (chosen.size >= sizes.size) {
    throw new InputError(`validation would take all ${sizes.size} training groups`, { option: 'validFraction', fix: 'lower validFraction or use a corpus with more dialogues/speakers' });
  }
  return { train: train.filter((u) => !chosen.has(groupOf(u))), valid: train.filter((u) => chosen.has(groupOf(u))) };
}

/** One group per speaker (EmoDB: dialogue = speaker): whole-group validation means whole speakers. */
function groupsAreSpeakers(utts: Utterance[]): boolean {
  const spk = new Map<string, string>();
  const dlg = new Map<string, string>();
  for (const u of utts) {
    if ((spk.get(u.dialogue) ?? u.speaker) !== u.speaker) return false;
    if ((dlg.get(u.speaker) ?? u.dialogue) !== u.dialogue) return false;
    spk.set(u.dialogue, u.speaker);
    dlg.set(u.speaker, u.dialogue);
  }
  return true;
}

/** One other speaker, chosen by the seed, as validation. */
function takeOneSpeaker(train: Utterance[], rng: () => number): { train: Utterance[]; valid: Utterance[] } {
  const speakers = [...new Set(train.map((u) => u.speaker))].sort();
  if (speakers.length < 2) throw new InputError('need at least two training speakers to hold one out for validation', { option: 'validFraction', fix: 'set validFraction to 0' });
  const pick = speakers[Math.floor(rng() * speakers.length)];
  return { train: train.filter((u) => u.speaker !== pick), valid: train.filter((u) => u.speaker === pick) };
}

const ids = (us: Utterance[]) => us.map((u) => u.id);

function officialParts(corpus: Corpus, fraction: number, rng: () => number): Part {
  const off = corpus.officialSplit;
  if (!off) {
    throw new InputError(`corpus ${corpus.name} has no split of its own`, {
      option: 'protocol',
      fix: corpus.name === 'emodb' ? 'use loso-speaker (EmoDB\'s standard 10 folds)' : 'use paper, loso or loso-speaker (or give the manifest a split column)',
    });
  }
  // Entries are utterance ids (manifests) or dialogue ids (IEMOCAP's lists).
  const byId = new Map(corpus.utterances.map((u) => [u.id, u]));
  const byDialogue = new Map<string, Utterance[]>();
  for (const u of corpus.utterances) {
    const list = byDialogue.get(u.dialogue);
    if (list) list.push(u);
    else byDialogue.set(u.dialogue, [u]);
  }
  const resolve = (part: string, list: string[]): Set<string> => {
    const out = new Set<string>();
    for (const e of list) {
      const u = byId.get(e);
      const d = u ? [u] : byDialogue.get(e);
      if (!d) throw new InputError(`the corpus's ${part} list names ${e}, which is neither an utterance nor a dialogue`, { where: corpus.source, fix: 'fix the corpus split lists' });
      for (const x of d) out.add(x.id);
    }
    return out;
  };
  const inPart = (s: Set<string>) => corpus.utterances.filter((u) => s.has(u.id));
  const test = inPart(resolve('test', off.test));
  let train = inPart(resolve('train', off.train));
  let valid = inPart(resolve('valid', off.valid));
  if (off.valid.length === 0) ({ train, valid } = takeGroups(train, (u) => u.dialogue, fraction, rng));
  return { train: ids(train), valid: ids(valid), test: ids(test) };
}

/** The utterances a holdout test list names: sessions or groups, each name checked. */
function heldOut(corpus: Corpus, names: string[] | undefined): Set<string> {
  if (!names || names.length === 0) {
    throw new InputError('protocol holdout needs the held-out sessions or groups', { option: 'test', fix: 'name them in test, e.g. [Ses05] or [session:S3, group:dinner_02]' });
  }
  const bySession = new Map<string, Utterance[]>();
  const byGroup = new Map<string, Utterance[]>();
  const add = (m: Map<string, Utterance[]>, k: string, u: Utterance) => {
    const list = m.get(k);
    if (list) list.push(u);
    else m.set(k, [u]);
  };
  for (const u of corpus.utterances) {
    add(bySession, u.session, u);
    add(byGroup, u.dialogue, u);
  }
  const sample = (m: Map<string, unknown>) => {
    const k = [...m.keys()].sort();
    return `${k.slice(0, 8).join(', ')}${k.length > 8 ? `, ... (${k.length})` : ''}`;
  };
  const out = new Set<string>();
  for (const raw of names) {
    const name = String(raw);
    const m = /^(session|group):(.*)$/.exec(name);
    let us: Utterance[] | undefined;
    if (m) {
      us = (m[1] === 'session' ? bySession : byGroup).get(m[2]);
      if (!us) throw new InputError(`${m[1]} ${JSON.stringify(m[2])} is not in corpus ${corpus.name} (${m[1]}s: ${sample(m[1] === 'session' ? bySession : byGroup)})`, { option: 'test', fix: `name an existing ${m[1]}` });
    } else {
      const s = bySession.get(name);
      const g = byGroup.get(name);
      if (s && g && (s.length !== g.length || s.some((u, i) => u !== g[i]))) {
        throw new InputError(`${JSON.stringify(name)} is both a session and a group, with different utterances`, { option: 'test', fix: `write session:${name} or group:${name}` });
      }
      us = s ?? g;
      if (!us) throw new InputError(`${JSON.stringify(name)} is neither a session nor a group of corpus ${corpus.name} (sessions: ${sample(bySession)}; groups: ${sample(byGroup)})`, { option: 'test', fix: 'name sessions or groups the corpus has (a manifest\'s session and group columns)' });
    }
    for (const u of us) out.add(u.id);
  }
  return out;
}

function holdoutParts(corpus: Corpus, names: string[] | undefined, fraction: number, rng: () => number): Part {
  const testIds = heldOut(corpus, names);
  const test = corpus.utterances.filter((u) => testIds.has(u.id));
  const rest = corpus.utterances.filter((u) => !testIds.has(u.id));
  if (rest.length === 0) throw new InputError('the held-out sessions and groups hold every utterance: nothing is left to train on', { option: 'test', fix: 'name fewer sessions or groups' });
  const { train, valid } = takeGroups(rest, (u) => u.dialogue, fraction, rng);
  return { train: ids(train), valid: ids(valid), test: ids(test) };
}

function paperParts(corpus: Corpus, fraction: number, rng: () => number): Part {
  const sessions = new Set(corpus.utterances.map((u) => u.session));
  if (!sessions.has('Ses05') || sessions.size < 2) {
    throw new InputError(`protocol paper is IEMOCAP's sessions 1-4 / session 5 split, but corpus ${corpus.name} has sessions ${[...sessions].sort().slice(0, 10).join(', ')}`, {
      option: 'protocol',
      fix: 'use holdout with test naming the sessions or groups to hold out, or loso / loso-speaker',
    });
  }
  const test = corpus.utterances.filter((u) => u.session === 'Ses05');
  const rest = corpus.utterances.filter((u) => u.session !== 'Ses05');
  const { train, valid } = takeGroups(rest, (u) => u.dialogue, fraction, rng);
  return { train: ids(train), valid: ids(valid), test: ids(test) };
}

function losoParts(corpus: Corpus, protocol: 'loso' | 'loso-speaker', fold: string | undefined, fraction: number, rng: () => number): Part {
  checkFold(protocol, foldNames(corpus, protocol), fold, 'fold');
  const key = protocol === 'loso' ? 'session' : 'speaker';
  const test = corpus.utterances.filter((u) => u[key] === fold);
  const rest = corpus.utterances.filter((u) => u[key] !== fold);
  let parts: { train: Utterance[]; valid: Utterance[] };
  if (fraction === 0) parts = { train: rest, valid: [] };
  else if (protocol === 'loso-speaker' || groupsAreSpeakers(rest)) parts = takeOneSpeaker(rest, rng);
  else parts = takeGroups(rest, (u) => u.dialogue, fraction, rng);
  return { train: ids(parts.train), valid: ids(parts.valid), test: ids(test) };
}

/** A leave-one-out fold must be one of the corpus's sessions or speakers; `option` is the caller's (fold, folds). */
function checkFold(protocol: 'loso' | 'loso-speaker', names: string[], fold: string | undefined, option: 'fold' | 'folds'): void {
  if (fold !== undefined && names.includes(fold)) return;
  const what = protocol === 'loso' ? 'session' : 'speaker';
  throw new InputError(`${fold === undefined ? 'no fold given' : `unknown fold ${JSON.stringify(fold)}`}; ${protocol} holds out one ${what}: ${names.join(', ')}`, {
    option,
    fix: option === 'fold' ? `name one of the ${what}s, or use makeFolds for all of them` : `name ${what}s the corpus has, or all`,
  });
}

/**
 * Split a corpus by protocol. The result passes `checkSplit` (disjoint, non-empty train and test),
 * `checkSplitLeakage` (no test speaker in train or valid, unless speakerLeakage is 'warn') and
 * `checkSplitLabels` (every valid and test label is in train), or this throws an InputError.
 */
export function makeSplit(corpus: Corpus, opts: SplitOptions): Split {
  if (!(SPLIT_PROTOCOLS as readonly string[]).includes(opts.protocol)) {
    throw new InputError(`unknown split protocol ${JSON.stringify(opts.protocol)}; valid: ${SPLIT_PROTOCOLS.join(', ')}`, {
      option: 'protocol',
      fix: `use one of ${SPLIT_PROTOCOLS.join(' | ')}`,
    });
  }
  const leakage = opts.speakerLeakage ?? 'refuse';
  if (!(SPEAKER_LEAKAGE as readonly string[]).includes(leakage)) {
    throw new InputError(`unknown speakerLeakage ${JSON.stringify(leakage)}`, { option: 'speakerLeakage', fix: `use ${SPEAKER_LEAKAGE.join(' or ')}` });
  }
  if (opts.test !== undefined && opts.test.length > 0 && opts.protocol !== 'holdout') {
    throw new InputError(`held-out sessions or groups are only for protocol holdout (protocol is '${opts.protocol}')`, { option: 'test', fix: 'set protocol to holdout, or remove test' });
  }
  if (!Number.isInteger(opts.seed)) throw new InputError(`seed must be an integer, got ${opts.seed}`, { option: 'seed', fix: 'use integer seeds' });
  const protocol = opts.protocol as SplitProtocol;
  const fraction = checkFraction(opts.validFraction ?? 0.2);
  const rng = makeRng(`split:${protocol}:${protocol === 'holdout' ? (opts.test ?? []).join(',') : opts.fold ?? ''}:${opts.seed}`);
  let parts: Part;
  if (protocol === 'official' || protocol === 'manifest') parts = officialParts(corpus, fraction, rng);
  else if (protocol === 'paper') parts = paperParts(corpus, fraction, rng);
  else if (protocol === 'holdout') parts = holdoutParts(corpus, opts.test, fraction, rng);
  else parts = losoParts(corpus, protocol, opts.fold, fraction, rng);
  const split: Split = { ...parts, protocol, seed: opts.seed, ...(protocol === 'loso' || protocol === 'loso-speaker' ? { fold: opts.fold } : {}) };
  const name = `split ${protocol}${split.fold ? ` fold ${split.fold}` : ''} of ${corpus.name}`;
  try {
    checkSplit(split, name);
  } catch (e) {
    throw asInputError(e);
  }
  const warn = opts.onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  checkSplitLeakage(corpus, split, name, { mode: leakage as SpeakerLeakage, onWarning: warn });
  if (opts.checkLabels !== false) for (const w of checkSplitLabels(corpus, split, name)) warn(w);
  return split;
}

/** Every fold of a leave-one-out protocol (or the one split of the others). */
export function makeFolds(corpus: Corpus, opts: FoldOptions): Split[] {
  if (opts.protocol !== 'loso' && opts.protocol !== 'loso-speaker') return [makeSplit(corpus, opts)];
  const names = foldNames(corpus, opts.protocol);
  const wanted = opts.folds === undefined || opts.folds === 'all' ? names : opts.folds.map(String);
  for (const fold of wanted) checkFold(opts.protocol, names, fold, 'folds');
  return wanted.map((fold) => makeSplit(corpus, { ...opts, fold }));
}
