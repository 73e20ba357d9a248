import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/corpora/index.ts';
import { makeSplit } from '../../src/splits/index.ts';
import { expectEmofuseError, removeTempDirs, tempDir, writeText, writeWav } from './helpers.ts';

afterAll(removeTempDirs);

function setup(name: string, content: string, wavs: string[] = []): string {
  const dir = tempDir('manifest');
  for (const w of wavs) writeWav(path.join(dir, w));
  const file = path.join(dir, name);
  writeText(file, content);
  return file;
}

const CSV = [
  'id,text,label,speaker,group,wav',
  'u1,"Hello, world",joy,s1,d1,audio/u1.wav',
  'u2,"She said ""no""",anger,s1,d1,audio/u2.wav',
  'u3,,neutral,s2,d2,audio/u3.wav',
  '',
  'u4,Fine.,joy,s2,d2,',
].join('\n');

describe('readManifest', () => {
  it('reads a CSV manifest: quoted fields, relative wav paths, sorted classes', () => {
    const file = setup('my corpus.csv', CSV, ['audio/u1.wav', 'audio/u2.wav', 'audio/u3.wav']);
    const c = readManifest(file);
    expect(c.name).toBe('my corpus');
    expect(c.classes).toEqual(['anger', 'joy', 'neutral']);
    expect(c.utterances.map((u) => u.text)).toEqual(['Hello, world', 'She said "no"', '', 'Fine.']);
    expect(c.utterances[0]).toEqual({
      id: 'u1', dialogue: 'd1', session: 's1', speaker: 's1', label: 'joy', text: 'Hello, world', wav: path.join(path.dirname(file), 'audio/u1.wav'),
    });
    expect(c.utterances[3].wav).toBeUndefined();
    expect(c.officialSplit).toBeUndefined();
  });

  it('takes a class order option and refuses labels outside it', () => {
    const file = setup('m.csv', CSV, ['audio/u1.wav', 'audio/u2.wav', 'audio/u3.wav']);
    expect(readManifest(file, { classes: ['neutral', 'joy', 'anger'] }).classes).toEqual(['neutral', 'joy', 'anger']);
    expectEmofuseError(() => readManifest(file, { classes: ['joy', 'neutral'] }), /label "anger" is not one of the classes/, `${file}:3 column 3 (label)`);
  });

  it('reads JSONL with a split column as the corpus\'s own split', () => {
    const lines = [
      { id: 'a', text: 'x', label: 'pos', speaker: 'A', split: 'train' },
      { id: 'b', text: 'y', label: 'neg', speaker: 'B', split: 'valid' },
      { id: 'c', text: 'z', label: 'pos', speaker: 'C', split: 'test', session: 'S2' },
    ];
    const file = setup('m.jsonl', lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const c = readManifest(file);
    expect(c.officialSplit).toEqual({ train: ['a'], valid: ['b'], test: ['c'] });
    expect(c.utterances[2]).toMatchObject({ dialogue: 'C', session: 'S2', speaker: 'C' });
    const s = makeSplit(c, { protocol: 'official', seed: 3 });
    expect([s.train, s.valid, s.test]).toEqual([['a'], ['b'], ['c']]);
  });

  it('names file, line and column for missing columns, duplicate ids, missing wav files', () => {
    const noLabel = setup('a.csv', 'id,text,speaker\nu1,hi,s1\n');
    const e = expectEmofuseError(() => readManifest(noLabel), /missing column label/, `${noLabel}:1`);
    expect(e.fix).toMatch(/id, text, label, speaker/);
    const dup = setup('b.csv', 'id,text,label,speaker\nu1,hi,a,s1\nu2,yo,b,s1\nu1,hey,a,s2\n');
    expectEmofuseError(() => readManifest(dup), /duplicate id "u1" \(first on line 2\)/, `${dup}:4 column 1 (id)`);
    const noWav = setup('c.csv', 'id,text,label,speaker,wav\nu1,hi,a,s1,u1.wav\nu2,yo,b,s1,missing.wav\n', ['u1.wav']);
    expectEmofuseError(() => readManifest(noWav), /WAV file not found: .*missing\.wav/, `${noWav}:3 column 5 (wav)`);
    const emptySpeaker = setup('d.jsonl', '{"id":"u1","text":"hi","label":"a","speaker":"s"}\n{"id":"u2","text":"hi","label":"a"}\n');
    expectEmofuseError(() => readManifest(emptySpeaker), /missing speaker/, `${emptySpeaker}:2 key speaker`);
    const badJson = setup('e.jsonl', '{"id":"u1","text":"hi","label":"a","speaker":"s"}\n{"id": oops}\n');
    expectEmofuseError(() => readManifest(badJson), /not valid JSON/, `${badJson}:2`);
    const mixed = setup('f.csv', 'id,text,label,speaker,split\nu1,hi,a,s1,train\nu2,yo,b,s2,\n');
    expectEmofuseError(() => readManifest(mixed), /some lines have a split and some do not/, `${mixed}:3 column 5 (split)`);
    const badSplit = setup('g.csv', 'id,text,label,speaker,split\nu1,hi,a,s1,dev\n');
    expectEmofuseError(() => readManifest(badSplit), /split "dev" is not one of train, valid, test/, `${badSplit}:2 column 5 (split)`);
  });
});
