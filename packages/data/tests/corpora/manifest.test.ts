import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { isInputError } from '@emofuse/core';
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
  'u3,Hm.,neutral,s2,d2,audio/u3.wav',
  '',
  'u4,Fine.,joy,s2,d2,',
  'u5,Stop it.,anger,s3,d3,',
  'u6,Okay then.,neutral,s3,d3,',
].join('\n');

describe('readManifest', () => {
  it('reads a CSV manifest: quoted fields, relative wav paths, sorted classes', () => {
    const file = setup('my corpus.csv', CSV, ['audio/u1.wav', 'audio/u2.wav', 'audio/u3.wav']);
    const c = readManifest(file);
    expect(c.name).toBe('my corpus');
    expect(c.classes).toEqual(['anger', 'joy', 'neutral']);
    expect(c.utterances.map((u) => u.text)).toEqual(['Hello, world', 'She said "no"', 'Hm.', 'Fine.', 'Stop it.', 'Okay then.']);
    expect(c.utterances[0]).toEqual({
      id: 'u1', dialogue: 'd1', session: 's1', speaker: 's1', label: 'joy', text: 'Hello, world', wav: path.join(path.dirname(file), 'audio/u1.wav'), order: 0,
    });
    // No order column: the position in file order within the group.
    expect(c.utterances.map((u) => u.order)).toEqual([0, 1, 0, 1, 0, 1]);
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
      { id: 'a2', text: 'x2', label: 'neg', speaker: 'A', split: 'train' },
      { id: 'b', text: 'y', label: 'neg', speaker: 'B', split: 'valid' },
      { id: 'c', text: 'z', label: 'pos', speaker: 'C', split: 'test', session: 'S2' },
    ];
    const file = setup('m.jsonl', lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const c = readManifest(file);
    expect(c.officialSplit).toEqual({ train: ['a', 'a2'], valid: ['b'], test: ['c'] });
    expect(c.utterances[3]).toMatchObject({ dialogue: 'C', session: 'S2', speaker: 'C' });
    const s = makeSplit(c, { protocol: 'official', seed: 3, onWarning: () => undefined });
    expect([s.train, s.valid, s.test]).toEqual([['a', 'a2'], ['b'], ['c']]);
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

/** A CSV manifest from rows of [id, text, label, speaker, ...extra columns]. */
function csv(header: string, rows: string[][]): string {
  return [header, ...rows.map((r) => r.join(','))].join('\n') + '\n';
}
const many = (label: string, n: number, from = 0) => Array.from({ length: n }, (_, i) => [`${label}${from + i}`, `text ${label} ${i}`, label, `s${i % 3}`]);

describe('readManifest refuses corrupt input (file:line, InputError)', () => {
  it('refuses bytes that are not UTF-8, naming the line, instead of turning them into U+FFFD', () => {
    const dir = tempDir('manifest-enc');
    const file = path.join(dir, 'latin1.csv');
    const head = Buffer.from('id,text,label,speaker\nu1,fine,a,s1\nu2,caf');
    writeFileSync(file, Buffer.concat([head, Buffer.from([0xe9]), Buffer.from(' au lait,b,s2\n')]));
    const e = expectEmofuseError(() => readManifest(file), /not valid UTF-8: byte 41 \(0xe9; bytes from there: e9 20 61 75\)/, `${file}:3`);
    expect(e.fix).toMatch(/iconv -f latin1 -t utf-8/);
    expect(isInputError(e)).toBe(true);
    // Valid UTF-8 with a BOM and non-ASCII text is fine.
    writeFileSync(file, '\uFEFFid,text,label,speaker\nu1,café au lait,a,s1\nu2,Grüße,a,s2\nu3,ok,b,s1\nu4,ok,b,s2\n');
    expect(readManifest(file).utterances.map((u) => u.text)).toEqual(['café au lait', 'Grüße', 'ok', 'ok']);
  });

  it('refuses text already damaged into U+FFFD', () => {
    const file = setup('fffd.csv', 'id,text,label,speaker\nu1,ok,a,s1\nu2,caf\uFFFD,a,s2\n');
    expectEmofuseError(() => readManifest(file), /text contains U\+FFFD/, `${file}:3 column 2 (text)`);
  });

  it('refuses empty text on some lines; all empty is a speech-only corpus', () => {
    const file = setup('empty.csv', csv('id,text,label,speaker', [['u1', 'hi', 'a', 's1'], ['u2', '', 'a', 's1'], ['u3', ' ', 'b', 's2'], ['u4', 'yo', 'b', 's2']]));
    const e = expectEmofuseError(() => readManifest(file), /empty text \(2 of 4 lines have none, e\.g\. lines 3, 4\)/, `${file}:3 column 2 (text)`);
    expect(e.fix).toMatch(/\[laughter\]/);
    const speechOnly = setup('speech.csv', csv('id,text,label,speaker', [['u1', '', 'a', 's1'], ['u2', '', 'a', 's1'], ['u3', '', 'b', 's2'], ['u4', '', 'b', 's2']]));
    expect(readManifest(speechOnly).utterances.every((u) => u.text === '')).toBe(true);
  });

  it('refuses a typo label that would silently become a class, with the fix', () => {
    const rows = [...many('ang', 5), ...many('bor', 5), ['x1', 'so dull', 'bored', 's1'], ...many('sad', 4)];
    const file = setup('typo.csv', csv('id,text,label,speaker', rows));
    const e = expectEmofuseError(() => readManifest(file), /label "bored" is on only 1 line \(12\), fewer than 2 .*a likely typo of "bor" .*\(labels: ang 5, bor 5, bored 1, sad 4\)/, `${file}:12 column 3 (label)`);
    expect(e.fix).toBe(`if it means "bor", fix the label on that line; if it is a real class, declare the corpus's class list: classes: ["ang", "bor", "bored", "sad"]`);
    // Declaring the classes accepts it (the class order is then the declared one).
    expect(readManifest(file, { classes: ['sad', 'ang', 'bor', 'bored'] }).classes).toEqual(['sad', 'ang', 'bor', 'bored']);
  });

  it('refuses a label far rarer than the others (under 1% of the largest class)', () => {
    const rows = [...many('neu', 300), ...many('ang', 150), ...many('fea', 2)];
    const file = setup('rare.csv', csv('id,text,label,speaker', rows));
    expectEmofuseError(() => readManifest(file), /label "fea" is on only 2 lines \(452, 453\), fewer than 3 \(at least 2, and 1% of the largest class's 300\)/);
    expect(readManifest(file, { classes: ['neu', 'ang', 'fea'] }).utterances).toHaveLength(452);
    expect(readManifest(setup('rare-ok.csv', csv('id,text,label,speaker', [...many('neu', 300), ...many('fea', 3)]))).classes).toEqual(['fea', 'neu']);
  });

  it('refuses labels that differ only in case, and declared classes no line has', () => {
    const file = setup('case.csv', csv('id,text,label,speaker', [...many('sad', 3), ...many('Sad', 3, 10), ...many('ang', 3, 20)]));
    expectEmofuseError(() => readManifest(file), /labels "Sad" and "sad" differ only in case/, `${file}:2 column 3 (label)`);
    const ok = setup('declared.csv', csv('id,text,label,speaker', [...many('sad', 3), ...many('ang', 3)]));
    const e = expectEmofuseError(() => readManifest(ok, { classes: ['ang', 'hap', 'sad'] }), /the class list names hap, but no line of .* has this label/, { option: 'classes' });
    expect(e.fix).toMatch(/remove hap from the class list/);
    expectEmofuseError(() => readManifest(ok, { classes: ['ang', 'sad', 'ang'] }), /names a class twice/, { option: 'classes' });
  });

  it('says which value a bad split column meant', () => {
    const file = setup('dev.csv', 'id,text,label,speaker,split\nu1,hi,a,s1,train\nu2,yo,a,s2,dev\n');
    const e = expectEmofuseError(() => readManifest(file), /split "dev" is not one of train, valid, test/, `${file}:3 column 5 (split)`);
    expect(e.fix).toMatch(/^write valid for dev/);
  });

  it('refuses a folder or unreadable path with the file named, not EISDIR', () => {
    const dir = tempDir('manifest-dir');
    const e = expectEmofuseError(() => readManifest(dir), /manifest is a folder, not a file/, dir);
    expect(isInputError(e)).toBe(true);
    expectEmofuseError(() => readManifest(path.join(dir, 'none.csv')), /manifest not found \(ENOENT\)/, path.join(dir, 'none.csv'));
  });
});

describe('manifest order column', () => {
  const header = 'id,text,label,speaker,group,order';
  it('keeps the order column (a position or a start time), per group', () => {
    const file = setup('order.csv', csv(header, [['u1', 'b', 'a', 's1', 'd1', '2'], ['u2', 'a', 'a', 's2', 'd1', '0.5'], ['u3', 'c', 'b', 's1', 'd2', '0'], ['u4', 'd', 'b', 's2', 'd2', '1']]));
    expect(readManifest(file).utterances.map((u) => [u.id, u.order])).toEqual([['u1', 2], ['u2', 0.5], ['u3', 0], ['u4', 1]]);
  });

  it('refuses a non-number, a repeated position in one group, and a column filled on some lines only', () => {
    const nan = setup('o1.csv', csv(header, [['u1', 'x', 'a', 's1', 'd1', 'first'], ['u2', 'y', 'a', 's1', 'd1', '1']]));
    expectEmofuseError(() => readManifest(nan), /order "first" is not a number/, `${nan}:2 column 6 (order)`);
    const dup = setup('o2.csv', csv(header, [['u1', 'x', 'a', 's1', 'd1', '1'], ['u2', 'y', 'a', 's1', 'd2', '1'], ['u3', 'z', 'b', 's1', 'd1', '1'], ['u4', 'w', 'b', 's1', 'd2', '2']]));
    expectEmofuseError(() => readManifest(dup), /order 1 is already used in group d1 \(line 2\)/, `${dup}:4 column 6 (order)`);
    const partial = setup('o3.csv', csv(header, [['u1', 'x', 'a', 's1', 'd1', '0'], ['u2', 'y', 'a', 's1', 'd1', ''], ['u3', 'z', 'b', 's1', 'd1', '2'], ['u4', 'w', 'b', 's1', 'd1', '3']]));
    expectEmofuseError(() => readManifest(partial), /some lines have an order and some do not/, `${partial}:3 column 6 (order)`);
  });
});
