import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRng } from '@emofuse/core';
import { readFeatureFile } from '../../../src/features/files/index.ts';
import { catchEmofuse, havePython, python, removeTempDirs, sharedData, tempDir, textFile } from './fixtures.ts';

afterAll(removeTempDirs);

const prosody = path.join(sharedData, 'iemocap', 'prosody.csv');

describe('readFeatureFile: CSV', () => {
  it('reads IEMOCAP prosody.csv: 7433 ids x 16 columns, 54 rows with a missing cell', async () => {
    const t = await readFeatureFile({ path: prosody });
    expect(t.format).toBe('csv');
    expect(t.ids.length).toBe(7433);
    expect(t.dim).toBe(16);
    expect(t.columns[0]).toBe('praat_duration');
    expect(t.values.length).toBe(7433 * 16);
    expect(t.rowsWithMissing).toBe(54);
    expect(t.missingPerColumn.reduce((a, b) => a + b)).toBeGreaterThan(54);
    expect(t.ids[0]).toBe('Ses01F_impro01_F000');
    expect(t.values[1]).toBe(Math.fround(56.33036346821528));
    expect(t.contentHash).toBe(createHash('sha256').update(readFileSync(prosody)).digest('hex'));
  });

  it.skipIf(!havePython)('reads prosody.csv to the same float32s and missing counts as pandas', async () => {
    const dir = tempDir();
    execFileSync(python, ['-c', `
import sys, json, numpy as np, pandas as pd
df = pd.read_csv(sys.argv[1]).set_index('id')
np.asarray(df.to_numpy(), dtype='<f4').tofile(sys.argv[2] + '/v.f4')
json.dump({'missing': df.isna().sum().tolist(), 'rows': int(df.isna().any(axis=1).sum()), 'columns': list(df.columns)}, open(sys.argv[2] + '/m.json', 'w'))
`, prosody, dir]);
    const want = JSON.parse(readFileSync(path.join(dir, 'm.json'), 'utf8')) as { missing: number[]; rows: number; columns: string[] };
    const raw = readFileSync(path.join(dir, 'v.f4'));
    const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    const t = await readFeatureFile({ path: prosody });
    expect(t.columns).toEqual(want.columns);
    expect(t.missingPerColumn).toEqual(want.missing);
    expect(t.rowsWithMissing).toBe(want.rows);
    let diff = 0;
    for (let i = 0; i < values.length; i++) if (!Object.is(values[i], t.values[i])) diff++;
    expect(diff).toBe(0);
  });

  it('selects columns by list (in that order) and by /regex/', async () => {
    const t = await readFeatureFile({ path: prosody, columns: ['praat_avg_pitch', 'praat_duration'] });
    expect(t.columns).toEqual(['praat_avg_pitch', 'praat_duration']);
    const all = await readFeatureFile({ path: prosody });
    expect(t.values[0]).toBe(all.values[3]);
    expect(t.values[1]).toBe(all.values[0]);
    const re = await readFeatureFile({ path: prosody, columns: '/^demfier_/' });
    expect(re.dim).toBe(8);
    expect(re.columns.every((c) => c.startsWith('demfier_'))).toBe(true);
    expect(re.rowsWithMissing).toBe(4);
  });

  it('parses numbers exactly as Number() then float32 does, over many written forms', async () => {
    const rng = makeRng('csv-numbers');
    const cells: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const v = (rng() - 0.5) * 10 ** Math.floor(rng() * 60 - 30);
      const forms = [String(v), v.toExponential(Math.floor(rng() * 12)), v.toFixed(Math.floor(rng() * 8)), v.toPrecision(1 + Math.floor(rng() * 20)), String(Math.fround(v))];
      cells.push(forms[i % forms.length]);
    }
    // Float64 written in full (16-19 digits), the fast path's near-midpoint guard, and float32 midpoints themselves.
    for (let i = 0; i < 20000; i++) {
      const v = (rng() - 0.5) * 10 ** Math.floor(rng() * 16 - 8);
      cells.push(i % 2 ? String(v) : v.toPrecision(16 + (i % 4)));
    }
    const f = new Float32Array(2);
    for (let i = 0; i < 200; i++) {
      f[0] = (rng() - 0.5) * 1000;
      f[1] = f[0] + Math.sign(f[0]) * Math.abs(f[0]) * 2 ** -23;
      const mid = (f[0] + f[1]) / 2;
      cells.push(mid.toPrecision(17), (mid * (1 + 2 ** -52)).toPrecision(19), (mid * (1 - 2 ** -52)).toPrecision(19));
    }
    cells.push('0', '-0', '+1.5', '.5', '5.', '1E5', '1e+5', '1e-5', '00012', '123456789012345678901234567890', '0.000000000000000000000000000001', ' 2.5 ', '3.4028235e38', '1e-50');
    const dim = 10;
    while (cells.length % dim) cells.push('1');
    const lines = ['id,' + Array.from({ length: dim }, (_, j) => `c${j}`).join(',')];
    for (let r = 0; r < cells.length / dim; r++) lines.push(`r${r},` + cells.slice(r * dim, (r + 1) * dim).join(','));
    const t = await readFeatureFile({ path: textFile('numbers.csv', lines.join('\n') + '\n') });
    expect(t.ids.length).toBe(cells.length / dim);
    const bad = cells.map((c, i) => [c, t.values[i], Math.fround(Number(c))] as const).filter(([, got, want]) => !Object.is(got, want));
    expect(bad).toEqual([]);
  });

  it('treats empty, NA, NaN, nan, null (any case) as missing and counts them', async () => {
    const file = textFile('m.csv', 'id,a,b,c\nx,1,,3\ny,NA,nan,NULL\nz,NaN,Null,na\nw,1,2,3\n');
    const t = await readFeatureFile({ path: file });
    expect(Array.from(t.values).map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual([1, 'NaN', 3, 'NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN', 1, 2, 3]);
    expect(t.missingPerColumn).toEqual([2, 3, 2]);
    expect(t.rowsWithMissing).toBe(3);
  });

  it('reads TSV, CRLF endings, a BOM, quoted cells and no final newline', async () => {
    const tsv = await readFeatureFile({ path: textFile('f.tsv', 'id\ta\tb\r\nu1\t1.5\t-2\r\nu2\t3\t4') });
    expect(tsv.format).toBe('tsv');
    expect(tsv.ids).toEqual(['u1', 'u2']);
    expect(Array.from(tsv.values)).toEqual([1.5, -2, 3, 4]);
    const quoted = await readFeatureFile({ path: textFile('q.csv', '\uFEFF"id","a, the first",b\n"x, 1","2",3\n"multi\nline",4,"5"\n') });
    expect(quoted.columns).toEqual(['a, the first', 'b']);
    expect(quoted.ids).toEqual(['x, 1', 'multi\nline']);
    expect(Array.from(quoted.values)).toEqual([2, 3, 4, 5]);
    const mixed = await readFeatureFile({ path: textFile('m.csv', 'id,a,b\n"u3",6,"7"\n"say ""hi""",8,""\n"u5",,9\n') });
    expect(mixed.ids).toEqual(['u3', 'say "hi"', 'u5']);
    expect(Array.from(mixed.values)).toEqual([6, 7, 8, NaN, NaN, 9]);
    // pyarrow's write_csv quotes every id (the fast path keeps simple quoted cells).
    const dup = textFile('pq.csv', '"id","a"\n"u1",1\n"u2",2\n"u1",3\n');
    expect((await catchEmofuse(() => readFeatureFile({ path: dup }))).where).toBe(`${dup}:4:id`);
  });

  it('reads a file far larger than its read buffer, rows split across reads, with its own id column name', async () => {
    const rng = makeRng('csv-big');
    const rows = 12000;
    const dim = 150;
    const expected = new Float32Array(rows * dim);
    const lines = ['name,' + Array.from({ length: dim }, (_, j) => `f${j}`).join(',') + ',label'];
    for (let r = 0; r < rows; r++) {
      const cells: string[] = [];
      for (let j = 0; j < dim; j++) {
        const v = (rng() * 200 - 100).toFixed(5);
        expected[r * dim + j] = Number(v);
        cells.push(v);
      }
      lines.push(`utt${r},${cells.join(',')},neu`);
    }
    const file = textFile('big.csv', lines.join('\n'));
    const t = await readFeatureFile({ path: file, idColumn: 'name', columns: '/^f/' });
    expect(readFileSync(file).length).toBeGreaterThan(16 << 20);
    expect(t.ids.length).toBe(rows);
    expect(t.ids[rows - 1]).toBe(`utt${rows - 1}`);
    let diff = 0;
    for (let i = 0; i < expected.length; i++) if (t.values[i] !== expected[i]) diff++;
    expect(t.values.length).toBe(expected.length);
    expect(diff).toBe(0);
    expect(t.values.buffer.byteLength).toBeLessThanOrEqual(expected.byteLength * 1.13);
  });
  it('grows the store when the first lines make the file look shorter than it is', async () => {
    // 64 long lines set the size estimate; 5000 short ones follow, so the store doubles (twice).
    const lines = ['id,a,b'];
    for (let r = 0; r < 64; r++) lines.push(`long_id_${r},1.2345678901234,-9.8765432109876`);
    for (let r = 0; r < 5000; r++) lines.push(`s${r},${r},-${r}`);
    const t = await readFeatureFile({ path: textFile('grow.csv', lines.join('\n')) });
    expect(t.ids.length).toBe(5064);
    expect(t.values.length).toBe(5064 * 2);
    expect(t.values[64 * 2]).toBe(0);
    expect(t.values[5063 * 2]).toBe(4999);
    expect(t.values[5063 * 2 + 1]).toBe(-4999);
    expect(t.values[1]).toBe(Math.fround(-9.8765432109876));
  });
});

describe('readFeatureFile: CSV checks', () => {
  it('refuses a duplicate id, naming both lines', async () => {
    const file = textFile('dup.csv', 'id,a\nu1,1\nu2,2\n\nu1,3\n');
    const e = await catchEmofuse(() => readFeatureFile({ path: file }));
    expect(e.where).toBe(`${file}:5:id`);
    expect(e.message).toMatch(/"u1" appears twice, on lines 2 and 5/);
    expect(e.fix).toBeTruthy();
  });

  it('refuses a non-numeric cell, naming line and column', async () => {
    const file = textFile('abc.csv', 'id,a,b\nu1,1,2\nu2,3,abc\n');
    const e = await catchEmofuse(() => readFeatureFile({ path: file }));
    expect(e.where).toBe(`${file}:3:b`);
    expect(e.message).toMatch(/"abc" is not a number/);
    expect(e.fix).toMatch(/columns/);
    // A quoted line takes the other path; same check.
    const q = textFile('abcq.csv', 'id,a,b\n"u1",1,"x1"\n');
    expect((await catchEmofuse(() => readFeatureFile({ path: q }))).where).toBe(`${q}:2:b`);
    // A text column that is not asked for is fine.
    const t = await readFeatureFile({ path: file, columns: ['a'] });
    expect(Array.from(t.values)).toEqual([1, 3]);
  });

  it.each(['inf', '-Infinity', '1e999', 'INF'])('refuses an infinite cell (%s)', async (cell) => {
    const file = textFile('inf.csv', `id,a,b\nu1,1,2\nu2,${cell},3\n`);
    const e = await catchEmofuse(() => readFeatureFile({ path: file }));
    expect(e.where).toBe(`${file}:3:a`);
    expect(e.message).toMatch(/infinite/);
  });

  it('refuses a ragged line: too few cells names the first missing column, too many says so', async () => {
    const short = textFile('short.csv', 'id,a,b,c\nu1,1,2,3\nu2,1,2\n');
    const e = await catchEmofuse(() => readFeatureFile({ path: short }));
    expect(e.where).toBe(`${short}:3:c`);
    expect(e.message).toMatch(/3 cells, the header 4/);
    const long = textFile('long.csv', 'id,a\nu1,1\nu2,1,2,3\n');
    const l = await catchEmofuse(() => readFeatureFile({ path: long }));
    expect(l.where).toBe(`${long}:3:cell 4`);
    expect(l.message).toMatch(/4 cells, the header 2/);
  });

  it('refuses a missing id column, listing the columns', async () => {
    const file = textFile('noid.csv', 'utt,a,b\nu1,1,2\n');
    const e = await catchEmofuse(() => readFeatureFile({ path: file }));
    expect(e.where).toBe(`${file}:1:id`);
    expect(e.fix).toMatch(/utt, a, b/);
  });

  it('refuses an unknown column in columns, with a did-you-mean and the list', async () => {
    const e = await catchEmofuse(() => readFeatureFile({ path: prosody, columns: ['praat_duration', 'praat_avg_pich'] }));
    expect(e.where).toBe(`${prosody}:1:praat_avg_pich`);
    expect(e.message).toMatch(/did you mean "praat_avg_pitch"/);
    expect(e.fix).toMatch(/praat_duration, praat_avg_intensity/);
    const none = await catchEmofuse(() => readFeatureFile({ path: prosody, columns: '/^mfcc/' }));
    expect(none.message).toMatch(/matches none/);
  });

  it('refuses an empty file and a header without rows', async () => {
    const empty = textFile('empty.csv', '');
    const e = await catchEmofuse(() => readFeatureFile({ path: empty }));
    expect(e.where).toBe(`${empty}:1`);
    expect(e.message).toMatch(/empty/);
    const header = textFile('header.csv', 'id,a,b\n\n');
    const h = await catchEmofuse(() => readFeatureFile({ path: header }));
    expect(h.where).toBe(`${header}:2`);
    expect(h.message).toMatch(/no rows/);
  });

  it('refuses a missing file and an unknown extension', async () => {
    const missing = path.join(tempDir(), 'nope.csv');
    const e = await catchEmofuse(() => readFeatureFile({ path: missing }));
    expect(e.where).toBe(missing);
    expect(e.message).toMatch(/does not exist/);
    const odd = textFile('f.xlsx', 'id,a\n');
    expect((await catchEmofuse(() => readFeatureFile({ path: odd }))).fix).toMatch(/format/);
    // format overrides the extension.
    const t = await readFeatureFile({ path: textFile('f.txt', 'id,a\nu,1\n'), format: 'csv' });
    expect(t.ids).toEqual(['u']);
  });
});
