import { existsSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SequenceMatrix } from '@emofuse/core';
import {
  FeatureCache, embeddingCacheInputs, featureCacheKey, fileStamp, opensmileCacheInputs,
} from '../../src/features/index.ts';
import { decodeArrow, encodeArrow } from '../../src/features/cache.ts';
import type { WordEmbeddings } from '../../src/features/index.ts';
import { emodbWavDir, matrix, removeTempDirs, tempDir, utt } from './helpers.ts';
import { copyFileSync } from 'node:fs';

afterAll(removeTempDirs);

const m = matrix([[1, 2.5, -3], [4, 5, 6e-8]], ['Ses01F_impro01_0', 'ü-ß 2']);
const seq: SequenceMatrix = { ids: ['a', 'b'], steps: 3, dim: 2, values: Float32Array.from([1, 2, 3, 4, 0, 0, 5, 6, 0, 0, 0, 0]), lengths: Int32Array.from([2, 1]) };

describe('Arrow IPC encoding', () => {
  it('round-trips matrices and sequences exactly', () => {
    expect(decodeArrow(encodeArrow(m))).toEqual(m);
    expect(decodeArrow(encodeArrow(seq))).toEqual(seq);
    const empty = { ids: [], dim: 4, values: new Float32Array(0) };
    expect(decodeArrow(encodeArrow(empty))).toEqual(empty);
  });
});

describe('FeatureCache', () => {
  it('computes on a miss, then hits without computing', async () => {
    const cache = new FeatureCache(tempDir());
    let calls = 0;
    const compute = () => {
      calls++;
      return m;
    };
    const first = await cache.getOrCompute('k1', compute);
    expect(first).toEqual({ value: m, hit: false });
    const second = await cache.getOrCompute('k1', compute);
    expect(second.hit).toBe(true);
    expect(second.value).toEqual(m);
    expect(calls).toBe(1);
    const s = await cache.getOrCompute('k2', async () => seq);
    expect(s.hit).toBe(false);
    expect((await cache.getOrCompute('k2', async () => seq)).value).toEqual(seq);
    expect(readdirSync(cache.dir).sort()).toEqual(['k1.arrow', 'k2.arrow']);
  });

  it('leaves nothing behind when the computation or the write fails, and ignores stray temp files', async () => {
    const cache = new FeatureCache(tempDir());
    await expect(cache.getOrCompute('k', () => { throw new Error('extractor crashed'); })).rejects.toThrow('extractor crashed');
    // A value that cannot be encoded makes the write itself throw, before anything is renamed into place.
    await expect(cache.getOrCompute('k', () => ({ ids: ['a'], dim: 3, values: new Float32Array(2) }))).rejects.toThrow('expected 1 x 3');
    expect(readdirSync(cache.dir)).toEqual([]);
    // What a crash (kill -9) between write and rename leaves: a partial temp file beside the entry.
    const partial = encodeArrow(m).subarray(0, 100);
    writeFileSync(path.join(cache.dir, `.k.arrow.tmp-${process.pid}-deadbeef`), partial);
    const r = await cache.getOrCompute('k', () => m);
    expect(r.hit).toBe(false);
    expect((await cache.getOrCompute('k', () => m)).hit).toBe(true);
    expect(cache.removeStrayTemps()).toBe(1);
    expect(readdirSync(cache.dir)).toEqual(['k.arrow']);
  });

  it('detects a truncated or altered entry, warns, and recomputes it', async () => {
    const warnings: string[] = [];
    const cache = new FeatureCache(tempDir(), { onWarning: (w) => warnings.push(w) });
    await cache.getOrCompute('k', () => m);
    const file = cache.pathFor('k');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 40));
    const again = await cache.getOrCompute('k', () => m);
    expect(again.hit).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    expect(warnings[0]).toContain('corrupt');
    // Flip one feature value's bytes in place: the checksum catches it.
    const good = readFileSync(file);
    const at = good.indexOf(Buffer.from(new Float32Array([2.5]).buffer));
    expect(at).toBeGreaterThan(0);
    good.writeFloatLE(7.5, at);
    writeFileSync(file, good);
    expect((await cache.getOrCompute('k', () => m)).hit).toBe(false);
    expect(warnings[1]).toContain('checksum');
    expect((await cache.getOrCompute('k', () => m)).hit).toBe(true);
  });

  it('keys change with ids, file size/mtime and config, and refuses unsafe keys', () => {
    const dir = tempDir();
    const wav = path.join(dir, 'a.wav');
    writeFileSync(wav, 'x');
    const base = { ids: ['a'], files: [fileStamp(wav)], extractor: { name: 'opensmile', config: 'ComParE_2016', version: '2.6.0' } };
    const k = featureCacheKey(base);
    expect(k).toMatch(/^[0-9a-f]{32}$/);
    expect(featureCacheKey({ ...base })).toBe(k);
    expect(featureCacheKey({ ...base, ids: ['b'] })).not.toBe(k);
    expect(featureCacheKey({ ...base, extractor: { ...base.extractor, config: 'eGeMAPSv02' } })).not.toBe(k);
    const t = statSync(wav).mtime;
    utimesSync(wav, t, new Date(t.getTime() + 5000));
    expect(featureCacheKey({ ...base, files: [fileStamp(wav)] })).not.toBe(k);
    expect(() => new FeatureCache(dir).pathFor('../x')).toThrow('invalid cache key');
    expect(existsSync(path.join(dir, 'x.arrow'))).toBe(false);
  });

  it('builds speech keys from WAV contents (not paths or times), config and opensmile version, and text keys from transcripts and embeddings', () => {
    const dir = tempDir();
    const wav = path.join(dir, '03a01Fa.wav');
    copyFileSync(path.join(emodbWavDir, '03a01Fa.wav'), wav);
    const us = [utt('03a01Fa', '', { wav })];
    const inputs = opensmileCacheInputs(us);
    expect(inputs).toMatchObject({ extractor: 'opensmile-functionals', opensmile: expect.stringMatching(/^\d+\.\d+/) });
    const k = featureCacheKey(inputs);
    expect(featureCacheKey(opensmileCacheInputs(us))).toBe(k);
    expect(featureCacheKey(opensmileCacheInputs(us, { config: 'eGeMAPSv02' }))).not.toBe(k);
    // A touched file, or the same file in another folder (a second clone), keeps the key ...
    const t = statSync(wav).mtime;
    utimesSync(wav, t, new Date(t.getTime() + 5000));
    expect(featureCacheKey(opensmileCacheInputs(us))).toBe(k);
    const elsewhere = path.join(tempDir(), '03a01Fa.wav');
    copyFileSync(wav, elsewhere);
    expect(featureCacheKey(opensmileCacheInputs([utt('03a01Fa', '', { wav: elsewhere })]))).toBe(k);
    // ... and changed bytes change it.
    const bytes = readFileSync(wav);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(elsewhere, bytes);
    expect(featureCacheKey(opensmileCacheInputs([utt('03a01Fa', '', { wav: elsewhere })]))).not.toBe(k);

    const emb: WordEmbeddings = { dim: 1, words: ['a'], vectors: Float32Array.from([1]), index: new Map([['a', 0]]), source: 'x.vec (10 bytes)' };
    const tk = featureCacheKey(embeddingCacheInputs([utt('u', 'hello')], emb, { mode: 'sequence', maxTokens: 50 }));
    expect(featureCacheKey(embeddingCacheInputs([utt('u', 'hello!')], emb, { mode: 'sequence', maxTokens: 50 }))).not.toBe(tk);
    expect(featureCacheKey(embeddingCacheInputs([utt('u', 'hello')], emb, { mode: 'sequence', maxTokens: 20 }))).not.toBe(tk);
    expect(featureCacheKey(embeddingCacheInputs([utt('u', 'hello')], { ...emb, source: 'y.vec' }, { mode: 'sequence', maxTokens: 50 }))).not.toBe(tk);
    expect(featureCacheKey(embeddingCacheInputs([utt('u', 'hello')], emb, { mode: 'mean' }))).not.toBe(tk);
  });
});
