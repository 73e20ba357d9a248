import { describe, expect, it } from 'vitest';
import type { Corpus } from '@emofuse/core';
import { readEmodb, readIemocapPickle } from '../../src/corpora/index.ts';
import { makeFolds, makeSplit } from '../../src/splits/index.ts';
import { emodbDir, expectEmofuseError, iemocapPkl } from '../corpora/helpers.ts';

const iemocap = readIemocapPickle(iemocapPkl);
const byId = new Map(iemocap.utterances.map((u) => [u.id, u]));
const field = (ids: string[], f: 'session' | 'dialogue' | 'speaker') => new Set(ids.map((id) => byId.get(id)![f]));

describe('holdout protocol (test = named sessions or groups, any corpus)', () => {
  it('holding out Ses05 gives the paper\'s test part; validation is whole training dialogues, seeded', () => {
    const s = makeSplit(iemocap, { protocol: 'holdout', test: ['Ses05'], seed: 1 });
    const paper = makeSplit(iemocap, { protocol: 'paper', seed: 1 });
    expect(s.protocol).toBe('holdout');
    expect([...s.test].sort()).toEqual([...paper.test].sort());
    expect(s.train.length + s.valid.length).toBe(5810);
    expect(s.valid.length / 5810).toBeGreaterThan(0.15);
    expect(s.valid.length / 5810).toBeLessThan(0.25);
    const validDialogues = field(s.valid, 'dialogue');
    expect([...field(s.train, 'dialogue')].some((d) => validDialogues.has(d))).toBe(false);
    expect(makeSplit(iemocap, { protocol: 'holdout', test: ['Ses05'], seed: 1 }).valid).toEqual(s.valid);
    expect(makeSplit(iemocap, { protocol: 'holdout', test: ['Ses05'], seed: 2 }).valid).not.toEqual(s.valid);
    expect(makeFolds(iemocap, { protocol: 'holdout', test: ['Ses05'], seed: 1 })).toHaveLength(1);
  });

  it('takes several sessions, and session: / group: prefixes', () => {
    const s = makeSplit(iemocap, { protocol: 'holdout', test: ['Ses04', 'session:Ses05'], seed: 1, validFraction: 0 });
    expect(field(s.test, 'session')).toEqual(new Set(['Ses04', 'Ses05']));
    expect(s.valid).toEqual([]);
    expect(s.train.length + s.test.length).toBe(7433);
  });

  it('refuses a held-out group whose speakers also speak elsewhere, unless speakerLeakage is warn', () => {
    const one = 'Ses05F_impro01';
    expectEmofuseError(() => makeSplit(iemocap, { protocol: 'holdout', test: [one], seed: 1 }), /speaker leakage: test speakers Ses05_F, Ses05_M also in train/, /split holdout of iemocap/);
    const warnings: string[] = [];
    const s = makeSplit(iemocap, { protocol: 'holdout', test: [`group:${one}`], seed: 1, speakerLeakage: 'warn', onWarning: (m) => warnings.push(m) });
    expect(field(s.test, 'dialogue')).toEqual(new Set([one]));
    expect(warnings.some((w) => /speaker leakage accepted/.test(w))).toBe(true);
  });

  it('holds out groups of a corpus without sessions (EmoDB: group = session = speaker)', () => {
    const emodb = readEmodb(emodbDir);
    const s = makeSplit(emodb, { protocol: 'holdout', test: ['03', '08'], seed: 4, onWarning: () => undefined });
    expect(new Set(s.test.map((id) => id.slice(0, 2)))).toEqual(new Set(['03', '08']));
    // Validation by whole group here means whole speakers: none of them in train.
    const validSpeakers = new Set(s.valid.map((id) => id.slice(0, 2)));
    expect(validSpeakers.size).toBeGreaterThan(0);
    expect(s.train.some((id) => validSpeakers.has(id.slice(0, 2)))).toBe(false);
  });

  it('names what is wrong with the held-out test option', () => {
    expectEmofuseError(() => makeSplit(iemocap, { protocol: 'holdout', seed: 1 }), /needs the held-out sessions or groups/, { option: 'test' });
    const e = expectEmofuseError(() => makeSplit(iemocap, { protocol: 'holdout', test: ['Ses5'], seed: 1 }), /"Ses5" is neither a session nor a group .*sessions: Ses01, Ses02, Ses03, Ses04, Ses05/, { option: 'test' });
    expect(e.message).toMatch(/groups: .*\(151\)/);
    expectEmofuseError(() => makeSplit(iemocap, { protocol: 'holdout', test: ['group:Ses05'], seed: 1 }), /group "Ses05" is not in corpus iemocap/, { option: 'test' });
    expectEmofuseError(() => makeSplit(iemocap, { protocol: 'paper', test: ['Ses05'], seed: 1 }), /only for protocol holdout/, { option: 'test' });
    expectEmofuseError(() => makeSplit(iemocap, { protocol: 'holdout', test: ['Ses01', 'Ses02', 'Ses03', 'Ses04', 'Ses05'], seed: 1 }), /hold every utterance/, { option: 'test' });
    // A name that is a session and a different group must say which.
    const amb: Corpus = {
      name: 'amb', classes: ['x', 'y'], source: 'amb',
      utterances: [
        { id: '1', dialogue: 'A', session: 'A', speaker: 's1', label: 'x', text: 't' },
        { id: '2', dialogue: 'B', session: 'A', speaker: 's1', label: 'y', text: 't' },
        { id: '3', dialogue: 'A2', session: 'B', speaker: 's2', label: 'x', text: 't' },
        { id: '4', dialogue: 'C', session: 'C', speaker: 's3', label: 'y', text: 't' },
      ],
    };
    expectEmofuseError(() => makeSplit(amb, { protocol: 'holdout', test: ['B'], seed: 1, validFraction: 0 }), /both a session and a group/, { option: 'test' });
    expect(makeSplit(amb, { protocol: 'holdout', test: ['session:B'], seed: 1, validFraction: 0, onWarning: () => undefined }).test).toEqual(['3']);
  });
});
