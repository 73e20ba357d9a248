import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFeatureFile } from '../../../src/features/files/index.ts';
import { catchEmofuse, emodbWavDir, expectSameAs, havePython, removeTempDirs, writeFixtures } from './fixtures.ts';

let dir = '';
beforeAll(() => {
  if (havePython) dir = writeFixtures(emodbWavDir);
});
afterAll(removeTempDirs);

describe.skipIf(!havePython)('readFeatureFile: opensmile-python CSV', () => {
  it('reads eGeMAPSv02 functionals of 3 EmoDB recordings: ids from file names, 88 features, as pandas reads them', async () => {
    const file = path.join(dir, 'egemaps.csv');
    expect(readFileSync(file, 'utf8').startsWith('file,start,end,')).toBe(true);
    const t = await readFeatureFile({ path: file });
    expect(t.format).toBe('opensmile-csv');
    expect(t.dim).toBe(88);
    expect(t.ids).toEqual(['03a01Fa', '03a01Nc', '03a01Wa']);
    expect(t.columns[0]).toBe('F0semitoneFrom27.5Hz_sma3nz_amean');
    expect(t.columns).not.toContain('start');
    expectSameAs(t, dir, 'egemaps');
    const loud = await readFeatureFile({ path: file, columns: '/^loudness_/' });
    expect(loud.dim).toBeGreaterThan(3);
  });

  it('refuses low-level descriptors (many rows per file) as duplicate ids', async () => {
    const file = path.join(dir, 'lld.csv');
    const e = await catchEmofuse(() => readFeatureFile({ path: file }));
    expect(e.where).toBe(`${file}:3:file`);
    expect(e.message).toMatch(/appears twice, on lines 2 and 3/);
    expect(e.fix).toMatch(/functionals/);
  });
});
