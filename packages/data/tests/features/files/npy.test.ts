import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFeatureFile } from '../../../src/features/files/index.ts';
import { catchEmofuse, expectSameAs, havePython, removeTempDirs, tempDir, writeFixtures } from './fixtures.ts';

let dir = '';
beforeAll(() => {
  if (havePython) dir = writeFixtures();
});
afterAll(removeTempDirs);
const f = (name: string) => path.join(dir, name);

describe.skipIf(!havePython)('readFeatureFile: .npy and .npz written by numpy', () => {
  it('reads float32, float64, float16 and Fortran-order arrays with ids from a text file', async () => {
    const ids = f('ids.txt');
    expectSameAs(await readFeatureFile({ path: f('f4.npy'), ids }), dir, 'f4');
    expectSameAs(await readFeatureFile({ path: f('f8.npy'), ids }), dir, 'f4');
    expectSameAs(await readFeatureFile({ path: f('fortran.npy'), ids }), dir, 'f4');
    expectSameAs(await readFeatureFile({ path: f('f2.npy'), ids }), dir, 'f2');
    const t = await readFeatureFile({ path: f('f4.npy'), ids });
    expect(t.format).toBe('npy');
    expect(t.columns).toEqual(['0', '1', '2', '3', '4', '5']);
    // The content hash covers the array and then the ids file.
    const h = createHash('sha256').update(readFileSync(f('f4.npy'))).update(readFileSync(ids)).digest('hex');
    expect(t.contentHash).toBe(h);
  });

  it('reads int32 and int64 arrays, ids from a .csv, and a column subset', async () => {
    expectSameAs(await readFeatureFile({ path: f('i4.npy'), ids: f('ids.csv') }), dir, 'ints');
    expectSameAs(await readFeatureFile({ path: f('i8.npy'), ids: f('ids.txt') }), dir, 'ints');
    const all = await readFeatureFile({ path: f('f8.npy'), ids: f('ids.txt') });
    const sub = await readFeatureFile({ path: f('f8.npy'), ids: f('ids.txt'), columns: ['4', '1'] });
    expect(sub.dim).toBe(2);
    expect(sub.values.length).toBe(100);
    for (let r = 0; r < 50; r++) {
      expect(sub.values[r * 2]).toBe(Number.isNaN(all.values[r * 6 + 4]) ? NaN : all.values[r * 6 + 4]);
      expect(Object.is(sub.values[r * 2 + 1], all.values[r * 6 + 1])).toBe(true);
    }
  });

  it('reads .npz (savez and savez_compressed), finding the one 2-D array or the named one', async () => {
    const plain = await readFeatureFile({ path: f('plain.npz') });
    expect(plain.format).toBe('npz');
    expectSameAs(plain, dir, 'f4');
    expectSameAs(await readFeatureFile({ path: f('compressed.npz') }), dir, 'f4');
    expectSameAs(await readFeatureFile({ path: f('two-arrays.npz'), array: 'b' }), dir, 'f4');
    const two = await catchEmofuse(() => readFeatureFile({ path: f('two-arrays.npz') }));
    expect(two.message).toMatch(/2 2-D numeric arrays \(a, b\)/);
    expect(two.fix).toMatch(/array/);
    const ids = await catchEmofuse(() => readFeatureFile({ path: f('plain.npz'), ids: 'names' }));
    expect(ids.message).toMatch(/no ids array "names"/);
    expect(ids.fix).toMatch(/features, ids/);
  });

  it('refuses pickled (object) ids in an .npz', async () => {
    const e = await catchEmofuse(() => readFeatureFile({ path: f('object-ids.npz') }));
    expect(e.message).toMatch(/\|O/);
    expect(e.fix).toMatch(/dtype=str/);
  });

  it('refuses an infinite value, naming row and column', async () => {
    const e = await catchEmofuse(() => readFeatureFile({ path: f('inf.npy'), ids: f('ids.txt') }));
    expect(e.where).toBe(`${f('inf.npy')}: row 4, column 2`);
    expect(e.message).toMatch(/utt_004.*infinite/);
  });

  it('refuses a .npy without ids, ids of the wrong count, and a duplicate id (naming both lines)', async () => {
    const none = await catchEmofuse(() => readFeatureFile({ path: f('f4.npy') }));
    expect(none.message).toMatch(/holds no ids/);
    const short = path.join(tempDir(), 'short.txt');
    writeFileSync(short, readFileSync(f('ids.txt'), 'utf8').split('\n').slice(0, 10).join('\n'));
    expect((await catchEmofuse(() => readFeatureFile({ path: f('f4.npy'), ids: short }))).message).toMatch(/10 ids for 50 rows/);
    const dup = path.join(tempDir(), 'dup.txt');
    const lines = readFileSync(f('ids.txt'), 'utf8').split('\n');
    lines[7] = lines[2];
    writeFileSync(dup, lines.join('\n'));
    const e = await catchEmofuse(() => readFeatureFile({ path: f('f4.npy'), ids: dup }));
    expect(e.where).toBe(`${dup}:8`);
    expect(e.message).toMatch(/"utt_002" appears twice, at .*dup.txt:3 and .*dup.txt:8/);
  });

  it('refuses a corrupt .npy (bad magic, cut short), a 3-D array and a corrupt .npz', async () => {
    const d = tempDir();
    const bad = path.join(d, 'bad.npy');
    const bytes = readFileSync(f('f4.npy'));
    writeFileSync(bad, Buffer.concat([Buffer.from('NOTNPY'), bytes.subarray(6)]));
    const e = await catchEmofuse(() => readFeatureFile({ path: bad, ids: f('ids.txt') }));
    expect(e.where).toBe(bad);
    expect(e.message).toMatch(/not a valid .npy file/);
    const cut = path.join(d, 'cut.npy');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const c = await catchEmofuse(() => readFeatureFile({ path: cut, ids: f('ids.txt') }));
    expect(c.where).toBe(cut);
    expect(c.message).toMatch(/cut short/);
    const head = path.join(d, 'head.npy');
    writeFileSync(head, bytes.subarray(0, 40));
    expect((await catchEmofuse(() => readFeatureFile({ path: head, ids: f('ids.txt') }))).message).toMatch(/cut short/);
    expect((await catchEmofuse(() => readFeatureFile({ path: f('three-d.npy'), ids: f('ids.txt') }))).message).toMatch(/shape \(2, 3, 4\)/);
    const npz = path.join(d, 'cut.npz');
    const z = readFileSync(f('compressed.npz'));
    writeFileSync(npz, z.subarray(0, z.length / 2));
    const ze = await catchEmofuse(() => readFeatureFile({ path: npz }));
    expect(ze.where).toBe(npz);
    expect(ze.message).toMatch(/not a valid .npz/);
    // An empty .npy file.
    const empty = path.join(d, 'empty.npy');
    writeFileSync(empty, '');
    expect((await catchEmofuse(() => readFeatureFile({ path: empty, ids: f('ids.txt') }))).message).toMatch(/not a valid .npy/);
  });
});
