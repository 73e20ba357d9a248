import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IEMOCAP_CLASSES, readIemocapPickle } from '../../src/corpora/index.ts';
import { expectEmofuseError, featuresFixture, iemocapPkl, removeTempDirs, tempDir } from './helpers.ts';

afterAll(removeTempDirs);

describe('readIemocapPickle (iemocap.pkl)', () => {
  const corpus = readIemocapPickle(iemocapPkl);

  it('reads all 7433 utterances of 151 dialogues with the six classes in pickle order', () => {
    expect(corpus.name).toBe('iemocap');
    expect(corpus.classes).toEqual(['hap', 'sad', 'neu', 'ang', 'exc', 'fru']);
    expect(corpus.classes).toEqual([...IEMOCAP_CLASSES]);
    expect(corpus.utterances).toHaveLength(7433);
    expect(new Set(corpus.utterances.map((u) => u.dialogue)).size).toBe(151);
    expect(corpus.source).toBe(path.resolve(iemocapPkl));
  });

  it('derives positional ids, sessions and the 10 speakers', () => {
    const first = corpus.utterances[0];
    expect(first).toEqual({
      id: 'Ses01F_impro01_000', dialogue: 'Ses01F_impro01', session: 'Ses01', speaker: 'Ses01_F', label: 'neu', text: 'Excuse me.', order: 0,
    });
    expect(corpus.utterances[7]).toMatchObject({ id: 'Ses01F_impro01_007', order: 7 });
    expect(new Set(corpus.utterances.map((u) => u.id)).size).toBe(7433);
    const speakers = [...new Set(corpus.utterances.map((u) => u.speaker))].sort();
    expect(speakers).toEqual(['Ses01_F', 'Ses01_M', 'Ses02_F', 'Ses02_M', 'Ses03_F', 'Ses03_M', 'Ses04_F', 'Ses04_M', 'Ses05_F', 'Ses05_M']);
    for (const u of corpus.utterances) {
      expect(u.id.startsWith(`${u.dialogue}_`)).toBe(true);
      expect(u.speaker.startsWith(u.session)).toBe(true);
    }
  });

  it('keeps the official dialogue lists (108 train, 12 valid, 31 test) covering every dialogue', () => {
    const off = corpus.officialSplit!;
    expect([off.train.length, off.valid.length, off.test.length]).toEqual([108, 12, 31]);
    const count = (ds: string[]) => corpus.utterances.filter((u) => ds.includes(u.dialogue)).length;
    expect([count(off.train), count(off.valid), count(off.test)]).toEqual([5163, 647, 1623]);
    expect(off.test.every((d) => d.startsWith('Ses05'))).toBe(true);
  });

  it('names the file when it is not a pickle', () => {
    const bad = path.join(tempDir('pkl'), 'broken.pkl');
    writeFileSync(bad, 'this is not a pickle');
    expectEmofuseError(() => readIemocapPickle(bad), /this is a text file, not a pickle \(it begins "this is not a pickle"\)/, bad);
    expectEmofuseError(() => readIemocapPickle(path.join(path.dirname(bad), 'absent.pkl')), /pickle file not found \(ENOENT\)/, /absent\.pkl$/);
  });

  it('points to iemocap-features when handed the 9-tuple', () => {
    const err = expectEmofuseError(() => readIemocapPickle(featuresFixture), /list of 6 items/, featuresFixture);
    expect(err.fix).toMatch(/iemocap-features/);
  });
});
