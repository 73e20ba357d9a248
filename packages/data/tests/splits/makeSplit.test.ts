import { describe, expect, it } from 'vitest';
import { checkSplit, isInputError, type Corpus, type Split } from '@emofuse/core';
import { readEmodb, readIemocapFeaturesPickle, readIemocapPickle } from '../../src/corpora/index.ts';
import { checkSplitLeakage, foldNames, makeFolds, makeSplit, speakerOverlap, splitFingerprint, summariseSplit } from '../../src/splits/index.ts';
import { emodbDir, expectEmofuseError, featuresFixture, iemocapPkl } from '../corpora/helpers.ts';

const iemocap = readIemocapPickle(iemocapPkl);
const emodb = readEmodb(emodbDir);
const byId = (c: Corpus) => new Map(c.utterances.map((u) => [u.id, u]));
const iem = byId(iemocap);
const emo = byId(emodb);
const speakersOf = (m: Map<string, { speaker: string }>, ids: string[]) => new Set(ids.map((id) => m.get(id)!.speaker));
const dialoguesOf = (ids: string[]) => new Set(ids.map((id) => iem.get(id)!.dialogue));

describe('paper split on iemocap.pkl', () => {
  const s = makeSplit(iemocap, { protocol: 'paper', validFraction: 0.2, seed: 1 });

  it('has the paper\'s counts and test support', () => {
    expect(s.protocol).toBe('paper');
    expect(s.train.length + s.valid.length).toBe(5810);
    expect(s.test).toHaveLength(1623);
    const support = Object.fromEntries(iemocap.classes.map((k) => [k, s.test.filter((id) => iem.get(id)!.label === k).length]));
    expect(support).toEqual({ hap: 144, sad: 245, neu: 384, ang: 170, exc: 299, fru: 381 });
    expect([...speakersOf(iem, s.test)].sort()).toEqual(['Ses05_F', 'Ses05_M']);
    expect(speakersOf(iem, [...s.train, ...s.valid]).has('Ses05_F')).toBe(false);
    expect(dialoguesOf(s.train).size + dialoguesOf(s.valid).size).toBe(120);
    expect(dialoguesOf(s.test).size).toBe(31);
    const sum = summariseSplit(iemocap, s);
    expect(sum.test).toEqual({ utterances: 1623, perClass: support, speakers: ['Ses05_F', 'Ses05_M'], dialogues: 31 });
    expect(sum.train.speakers).toHaveLength(8);
    expect(sum.train.dialogues + sum.valid.dialogues).toBe(120);
  });

  it('takes about 20% of training as validation, by whole dialogue', () => {
    const frac = s.valid.length / 5810;
    expect(frac).toBeGreaterThan(0.18);
    expect(frac).toBeLessThan(0.22);
    const trainD = dialoguesOf(s.train);
    for (const d of dialoguesOf(s.valid)) expect(trainD.has(d)).toBe(false);
  });

  it('is seeded: same seed same split, different seed different split', () => {
    const again = makeSplit(iemocap, { protocol: 'paper', validFraction: 0.2, seed: 1 });
    expect(again).toEqual(s);
    expect(splitFingerprint(again)).toBe(splitFingerprint(s));
    const other = makeSplit(iemocap, { protocol: 'paper', validFraction: 0.2, seed: 2 });
    expect(splitFingerprint(other)).not.toBe(splitFingerprint(s));
    expect(other.test).toEqual(s.test);
    expect(new Set(other.valid)).not.toEqual(new Set(s.valid));
  });

  it('validFraction 0 means no validation', () => {
    const z = makeSplit(iemocap, { protocol: 'paper', validFraction: 0, seed: 1 });
    expect([z.train.length, z.valid.length]).toEqual([5810, 0]);
    expectEmofuseError(() => makeSplit(iemocap, { protocol: 'paper', validFraction: 1, seed: 1 }), /validFraction must be in \[0, 1\)/, { option: 'validFraction' });
  });
});

describe('official split', () => {
  it('uses iemocap.pkl\'s own lists: 5163 / 647 / 1623', () => {
    const s = makeSplit(iemocap, { protocol: 'official', seed: 7 });
    expect([s.train.length, s.valid.length, s.test.length]).toEqual([5163, 647, 1623]);
    expect(dialoguesOf(s.valid)).toEqual(new Set(iemocap.officialSplit!.valid));
  });

  it('takes validation dialogues from training when the corpus has none (features pkl), seeded', () => {
    const f = readIemocapFeaturesPickle(featuresFixture);
    // Three dialogues: sad is only in the test one (checkSplitLabels refuses that, tested below).
    expectEmofuseError(() => makeSplit(f, { protocol: 'official', seed: 1 }), /label sad \(.*test 33\) is not in the training part/);
    const s = makeSplit(f, { protocol: 'official', seed: 1, checkLabels: false });
    expect(s.test).toHaveLength(49);
    expect(s.train.length + s.valid.length).toBe(58);
    expect(s.valid.length).toBeGreaterThan(0);
    const dial = (ids: string[]) => new Set(ids.map((id) => id.replace(/_[FM]\d+$/, '')));
    expect(dial(s.valid).size).toBe(1);
    expect([...dial(s.train)].some((d) => dial(s.valid).has(d))).toBe(false);
    const seeds = new Set([1, 2, 3, 4, 5, 6].map((seed) => [...dial(makeSplit(f, { protocol: 'official', seed, checkLabels: false }).valid)][0]));
    expect(seeds.size).toBe(2); // both training dialogues get picked by some seed
  });

  it('refuses a corpus without lists of its own', () => {
    const e = expectEmofuseError(() => makeSplit(emodb, { protocol: 'official', seed: 1 }), /has no split of its own/, { option: 'protocol' });
    expect(e.fix).toMatch(/loso-speaker/);
  });
});

describe('leave-one-out', () => {
  it('EmoDB loso-speaker: 10 folds, no speaker leakage, validation is one other speaker', () => {
    const folds = makeFolds(emodb, { protocol: 'loso-speaker', validFraction: 0.2, seed: 1 });
    expect(folds).toHaveLength(10);
    expect(folds.map((f) => f.fold)).toEqual(foldNames(emodb, 'loso-speaker'));
    const tested = new Set<string>();
    for (const f of folds) {
      const test = speakersOf(emo, f.test);
      const valid = speakersOf(emo, f.valid);
      const train = speakersOf(emo, f.train);
      expect([...test]).toEqual([f.fold]);
      expect(valid.size).toBe(1);
      expect(valid.has(f.fold!)).toBe(false);
      for (const sp of [...test, ...valid]) expect(train.has(sp)).toBe(false);
      expect(f.train.length + f.valid.length + f.test.length).toBe(535);
      tested.add(f.fold!);
    }
    expect(tested.size).toBe(10);
    // Deterministic by seed.
    expect(makeFolds(emodb, { protocol: 'loso-speaker', seed: 1 })).toEqual(folds);
    const validSpeakers = (seed: number) => makeFolds(emodb, { protocol: 'loso-speaker', seed }).map((f) => [...speakersOf(emo, f.valid)][0]);
    expect(validSpeakers(2)).not.toEqual(validSpeakers(1));
  });

  it('EmoDB loso (session = speaker) also validates on one other speaker', () => {
    const folds = makeFolds(emodb, { protocol: 'loso', seed: 1, folds: ['03', '16'] });
    expect(folds.map((f) => f.fold)).toEqual(['03', '16']);
    for (const f of folds) expect(speakersOf(emo, f.valid).size).toBe(1);
  });

  it('IEMOCAP loso: 5 session folds, validation by whole dialogue, test speakers unseen', () => {
    const folds = makeFolds(iemocap, { protocol: 'loso', validFraction: 0.2, seed: 1 });
    expect(folds.map((f) => f.fold)).toEqual(['Ses01', 'Ses02', 'Ses03', 'Ses04', 'Ses05']);
    for (const f of folds) {
      expect(f.train.length + f.valid.length + f.test.length).toBe(7433);
      const sess = new Set(f.test.map((id) => iem.get(id)!.session));
      expect([...sess]).toEqual([f.fold]);
      const trainD = dialoguesOf(f.train);
      for (const d of dialoguesOf(f.valid)) expect(trainD.has(d)).toBe(false);
      for (const sp of speakersOf(iem, f.test)) expect(speakersOf(iem, [...f.train, ...f.valid]).has(sp)).toBe(false);
    }
    expect(folds[4].test).toHaveLength(1623);
  });

  it('names the folds when none or an unknown one is given', () => {
    expectEmofuseError(() => makeSplit(iemocap, { protocol: 'loso', seed: 1 }), /no fold given; loso holds out one session: Ses01, Ses02, Ses03, Ses04, Ses05/, { option: 'fold' });
    expectEmofuseError(() => makeFolds(emodb, { protocol: 'loso-speaker', seed: 1, folds: ['3'] }), /unknown fold "3"/, { option: 'folds' });
  });
});

describe('refusals', () => {
  it('the leakage check fires on a crafted bad split', () => {
    const good = makeSplit(iemocap, { protocol: 'paper', seed: 1 });
    const moved = good.test.slice(0, 2);
    const bad: Split = { ...good, train: [...good.train, ...moved], test: good.test.slice(2) };
    expect(() => checkSplit(bad)).not.toThrow(); // disjoint, so only the leakage check can catch it
    const speaker = iem.get(moved[0])!.speaker;
    const e = expectEmofuseError(() => checkSplitLeakage(iemocap, bad, 'my split'), new RegExp(`speaker leakage: test speaker.*${speaker}.* also in train \\(2 utterances`), 'my split');
    expect(e.message).toContain(moved[0]);
    const badValid: Split = { ...good, valid: [...good.valid, good.test[0]], test: good.test.slice(1) };
    expectEmofuseError(() => checkSplitLeakage(iemocap, badValid), /also in valid/);
    const emoBad: Split = { train: ['03a01Fa', '08a01Na'], valid: [], test: ['03a01Wa'], protocol: 'loso-speaker', seed: 1, fold: '03' };
    expectEmofuseError(() => checkSplitLeakage(emodb, emoBad), /test speaker 03 also in train/);
    expectEmofuseError(() => checkSplitLeakage(emodb, { ...emoBad, train: ['nope'] }), /not in corpus emodb/);
  });

  it('refuses a split whose corpus lists put a test speaker in training', () => {
    // A manifest-like corpus whose own split shares speaker A between train and test.
    const corpus: Corpus = {
      name: 'leaky', classes: ['x', 'y'], source: 'leaky.csv',
      utterances: ['a1', 'a2', 'b1'].map((id) => ({ id, dialogue: id, session: id[0], speaker: id[0].toUpperCase(), label: 'x', text: '' })),
      officialSplit: { train: ['a1', 'b1'], valid: [], test: ['a2'] },
    };
    const e = expectEmofuseError(() => makeSplit(corpus, { protocol: 'official', seed: 1, validFraction: 0 }), /speaker leakage: test speaker A also in train/, /split official of leaky/);
    expect(e.fix).toMatch(/set speakerLeakage to warn/);
    expect(isInputError(e)).toBe(true);
    // speakerLeakage: warn keeps the corpus's own split and says so.
    const warnings: string[] = [];
    const s = makeSplit(corpus, { protocol: 'official', seed: 1, validFraction: 0, speakerLeakage: 'warn', onWarning: (m) => warnings.push(m) });
    expect([s.train, s.test]).toEqual([['a1', 'b1'], ['a2']]);
    expect(warnings.find((w) => w.includes('leakage'))).toMatch(/speaker leakage accepted \(speakerLeakage: warn\): test speaker A also speaks in training or validation \(1 utterances\); results are speaker-dependent/);
    expect(speakerOverlap(corpus, s)).toEqual([{ part: 'train', speakers: ['A'], utterances: ['a1'] }]);
    expectEmofuseError(() => makeSplit(corpus, { protocol: 'official', seed: 1, speakerLeakage: 'allow' }), /unknown speakerLeakage "allow"/, { option: 'speakerLeakage' });
  });

  it('refuses the paper protocol off IEMOCAP and unknown protocols', () => {
    expectEmofuseError(() => makeSplit(emodb, { protocol: 'paper', seed: 1 }), /sessions 1-4 \/ session 5/, { option: 'protocol' });
    expectEmofuseError(() => makeSplit(iemocap, { protocol: 'random', seed: 1 }), /unknown split protocol "random"; valid: official, paper, loso, loso-speaker, manifest, holdout/, { option: 'protocol' });
  });
});
