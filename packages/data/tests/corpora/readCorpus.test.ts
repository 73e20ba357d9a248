import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { isInputError } from '@emofuse/core';
import { CORPUS_TYPES } from '@emofuse/core';
import { readCorpus } from '../../src/corpora/index.ts';
import { emodbDir, expectEmofuseError, featuresFixture, iemocapPkl, removeTempDirs, sharedData, tempDir } from './helpers.ts';

afterAll(removeTempDirs);

describe('readCorpus', () => {
  it('dispatches on corpus.type', () => {
    expect(readCorpus({ type: 'iemocap', path: iemocapPkl }).utterances).toHaveLength(7433);
    expect(readCorpus({ type: 'iemocap-features', path: featuresFixture }).name).toBe('iemocap-features');
    expect(readCorpus({ type: 'emodb', path: emodbDir }).utterances).toHaveLength(535);
  });

  it('resolves relative paths against baseDir', () => {
    const c = readCorpus({ type: 'emodb', path: 'emodb' }, { baseDir: sharedData });
    expect(c.source).toBe(path.resolve(emodbDir));
  });

  it('lists the valid types for an unknown one', () => {
    const e = expectEmofuseError(() => readCorpus({ type: 'iemocap4', path: iemocapPkl }), /unknown corpus type "iemocap4"; valid types: iemocap, iemocap-features, iemocap-raw, emodb, manifest/, { option: 'type' });
    expect(e.fix).toContain(CORPUS_TYPES.join(' | '));
  });

  it('names the missing path and the option at fault (path)', () => {
    const missing = path.join(sharedData, 'no-such-corpus.pkl');
    expectEmofuseError(() => readCorpus({ type: 'iemocap', path: missing }), new RegExp(`corpus path ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not exist`), { option: 'path' });
    expectEmofuseError(() => readCorpus({ type: 'manifest', path: '' }), /no corpus path given/, { option: 'path' });
  });
});

describe('readCorpus: a corrupt or wrong file is bad input (InputError) that names the file and the fix', () => {
  const dir = tempDir('readcorpus-bad');
  const write = (name: string, bytes: Uint8Array | string) => {
    const f = path.join(dir, name);
    writeFileSync(f, bytes);
    return f;
  };
  const read = (type: string, p: string) => () => readCorpus({ type, path: p });

  it('a text file renamed .pkl', () => {
    const f = write('notes.pkl', 'id,text,label,speaker\nu1,hi,a,s1\n');
    const e = expectEmofuseError(read('iemocap', f), /this is a text file, not a pickle \(it begins "id,text,label,speaker"\); a CSV corpus is read as corpus type manifest/, f);
    expect(e.fix).toMatch(/read this file as corpus type manifest/);
    expect(isInputError(e)).toBe(true);
  });

  it('a truncated pickle, an empty file, a gzip file', () => {
    const t = write('cut.pkl', readFileSync(iemocapPkl).subarray(0, 5000));
    const e = expectEmofuseError(read('iemocap', t), /the pickle \(protocol 4\) ends early at byte 5000: the file is truncated/, t);
    expect(e.fix).toMatch(/copy the file again/);
    expectEmofuseError(read('iemocap-features', write('empty.pkl', '')), /the file is empty, not a pickle/);
    expectEmofuseError(read('iemocap', write('z.pkl', gzipSync(Buffer.from('x')))), /this is a gzip file, not a pickle: gunzip it first/);
  });

  it('a pickle of the wrong shape', () => {
    // pickle.dumps([1, 2, 3, 4, 5, 6], protocol=2)
    const six = write('six.pkl', Uint8Array.from([0x80, 0x02, 0x5d, 0x71, 0x00, 0x28, 0x4b, 1, 0x4b, 2, 0x4b, 3, 0x4b, 4, 0x4b, 5, 0x4b, 6, 0x65, 0x2e]));
    expect(isInputError(expectEmofuseError(read('iemocap', six), /item 0 \(speakers\) should be a dict keyed by dialogue id/, six))).toBe(true);
    expect(isInputError(expectEmofuseError(read('iemocap-features', six), /expected a 9-tuple/, six))).toBe(true);
    expect(isInputError(expectEmofuseError(read('iemocap-features', iemocapPkl), /expected a 9-tuple/, iemocapPkl))).toBe(true);
  });

  it('a folder where a file belongs', () => {
    expectEmofuseError(read('iemocap', dir), /pickle file is a folder, not a file/, dir);
    expectEmofuseError(read('manifest', dir), /manifest is a folder, not a file/, dir);
  });
});
