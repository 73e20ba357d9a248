import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
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

describe.skipIf(!havePython)('readFeatureFile: Parquet written by pandas/pyarrow', () => {
  it('reads pandas to_parquet (snappy), with NaN as missing', async () => {
    const t = await readFeatureFile({ path: f('snappy.parquet') });
    expect(t.format).toBe('parquet');
    expectSameAs(t, dir, 'snappy');
    expect(t.rowsWithMissing).toBe(3);
    expect(t.contentHash).toBe(createHash('sha256').update(readFileSync(f('snappy.parquet'))).digest('hex'));
  });

  it('reads zstd and gzip compression, float32 columns with the id as index, and many row groups and pages', async () => {
    expectSameAs(await readFeatureFile({ path: f('zstd.parquet') }), dir, 'snappy');
    expectSameAs(await readFeatureFile({ path: f('gzip.parquet') }), dir, 'snappy');
    expectSameAs(await readFeatureFile({ path: f('float32-index.parquet') }), dir, 'float32-index');
    expectSameAs(await readFeatureFile({ path: f('groups.parquet') }), dir, 'groups');
  });

  it('reads plain (no dictionary), data page v2 and byte-stream-split pages', async () => {
    for (const name of ['plain', 'v2', 'v2-plain', 'bss']) expectSameAs(await readFeatureFile({ path: f(`${name}.parquet`) }), dir, 'snappy');
  });

  it('reads integer columns, nullable ones too, and selects columns', async () => {
    const t = await readFeatureFile({ path: f('ints.parquet') });
    expect(t.columns).toEqual(['n', 'm']);
    expect(Array.from(t.values)).toEqual([1, 4, 2, NaN, 3, 6]);
    expect(t.missingPerColumn).toEqual([0, 1]);
    const m = await readFeatureFile({ path: f('ints.parquet'), columns: '/^m$/' });
    expect(Array.from(m.values)).toEqual([4, NaN, 6]);
  });

  it('refuses a text column, naming row and column, and reads the file without it', async () => {
    const e = await catchEmofuse(() => readFeatureFile({ path: f('text-column.parquet') }));
    expect(e.where).toBe(`${f('text-column.parquet')}: row 0, column label`);
    expect(e.message).toMatch(/"ang" is not a number/);
    expect(e.fix).toMatch(/columns/);
    const t = await readFeatureFile({ path: f('text-column.parquet'), columns: ['f0', 'f1'] });
    expect(t.dim).toBe(2);
  });

  it('refuses an infinite value and a duplicate id (naming both rows)', async () => {
    const e = await catchEmofuse(() => readFeatureFile({ path: f('inf.parquet') }));
    expect(e.where).toBe(`${f('inf.parquet')}: row 2, column f1`);
    expect(e.message).toMatch(/infinite/);
    const d = await catchEmofuse(() => readFeatureFile({ path: f('dup.parquet') }));
    expect(d.where).toBe(`${f('dup.parquet')}: row 3, column id`);
    expect(d.message).toMatch(/"utt_001" appears twice, in rows 1 and 3/);
  });

  it('refuses a missing id column and an unknown column, listing the columns', async () => {
    const e = await catchEmofuse(() => readFeatureFile({ path: f('snappy.parquet'), idColumn: 'utt' }));
    expect(e.where).toBe(`${f('snappy.parquet')}: column utt`);
    expect(e.fix).toMatch(/id, f0, f1/);
    const c = await catchEmofuse(() => readFeatureFile({ path: f('snappy.parquet'), columns: ['f0', 'F9'] }));
    expect(c.where).toBe(`${f('snappy.parquet')}: column F9`);
    expect(c.fix).toMatch(/f0, f1, f2, f3, f4, f5/);
  });

  it('refuses a corrupt file: bad magic, cut short, empty', async () => {
    const d = tempDir();
    const bytes = readFileSync(f('snappy.parquet'));
    for (const [name, data] of [['cut.parquet', bytes.subarray(0, bytes.length - 200)], ['magic.parquet', Buffer.concat([bytes.subarray(0, bytes.length - 4), Buffer.from('XXXX')])], ['empty.parquet', Buffer.alloc(0)]] as const) {
      const file = path.join(d, name);
      writeFileSync(file, data);
      const e = await catchEmofuse(() => readFeatureFile({ path: file }));
      expect(e.where).toBe(file);
      expect(e.message).toMatch(/not a valid Parquet file/);
    }
    // Damaged data pages inside an intact footer.
    const mid = Buffer.from(bytes);
    mid.fill(0x7f, 100, 2000);
    const file = path.join(d, 'pages.parquet');
    writeFileSync(file, mid);
    const e = await catchEmofuse(() => readFeatureFile({ path: file }));
    expect(e.where).toBe(file);
  });
});
