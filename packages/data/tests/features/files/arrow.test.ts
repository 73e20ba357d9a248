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

describe.skipIf(!havePython)('readFeatureFile: Arrow IPC written by pyarrow', () => {
  it('reads an IPC file of many record batches, an IPC stream and uncompressed feather v2', async () => {
    const t = await readFeatureFile({ path: f('table.arrow') });
    expect(t.format).toBe('arrow');
    expectSameAs(t, dir, 'table');
    expectSameAs(await readFeatureFile({ path: f('stream.arrow') }), dir, 'table');
    expectSameAs(await readFeatureFile({ path: f('table.feather') }), dir, 'table');
    const sub = await readFeatureFile({ path: f('table.feather'), columns: '/^f[12]$/' });
    expect(sub.columns).toEqual(['f1', 'f2']);
    expect(sub.missingPerColumn).toEqual([2, 1]);
  });

  it('says how to write a compressed feather file the reader can take', async () => {
    const e = await catchEmofuse(() => readFeatureFile({ path: f('lz4.feather') }));
    expect(e.where).toBe(f('lz4.feather'));
    expect(e.fix).toMatch(/compression='uncompressed'/);
  });

  it('refuses a text column and an infinite value, naming row and column', async () => {
    const e = await catchEmofuse(() => readFeatureFile({ path: f('text-column.arrow') }));
    expect(e.where).toBe(`${f('text-column.arrow')}: row 0, column label`);
    expect(e.message).toMatch(/"ang" is not a number/);
    const i = await catchEmofuse(() => readFeatureFile({ path: f('inf.arrow') }));
    expect(i.where).toBe(`${f('inf.arrow')}: row 2, column f1`);
  });

  it('refuses a missing id column and an unknown column, listing the columns', async () => {
    const e = await catchEmofuse(() => readFeatureFile({ path: f('table.arrow'), idColumn: 'name' }));
    expect(e.where).toBe(`${f('table.arrow')}: column name`);
    expect(e.fix).toMatch(/id, f0, f1/);
    const c = await catchEmofuse(() => readFeatureFile({ path: f('table.arrow'), columns: ['f00'] }));
    expect(c.message).toMatch(/did you mean "f0"/);
  });

  it('refuses a corrupt file: bad magic, cut short', async () => {
    const d = tempDir();
    const bytes = readFileSync(f('table.arrow'));
    for (const [name, data] of [['cut.arrow', bytes.subarray(0, Math.floor(bytes.length * 0.6))], ['magic.arrow', Buffer.concat([Buffer.from('XXXXXX'), bytes.subarray(6)])], ['cut-stream.arrow', readFileSync(f('stream.arrow')).subarray(0, 900)]] as const) {
      const file = path.join(d, name);
      writeFileSync(file, data);
      const e = await catchEmofuse(() => readFeatureFile({ path: file }));
      expect(e.where).toBe(file);
      expect(e.message).toMatch(/cut short|not a valid Arrow/);
    }
  });
});
