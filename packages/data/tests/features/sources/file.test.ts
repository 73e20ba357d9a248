import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileCoverage, fileFeatures, formatFileReport, type FeatureFileConfig } from '../../../src/features/index.ts';
import { catchEmofuse, removeTempDirs, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

const cfg = (p: string, missing: FeatureFileConfig['missing']): FeatureFileConfig => ({ path: p, format: 'auto', id: 'id', columns: null, ids: null, array: null, missing });

function csv(): string {
  const f = path.join(tempDir(), 'feats.csv');
  // u3 has a missing cell, u4 has no row, x9 is not in the corpus, c is constant.
  writeFileSync(f, 'id,a,b,c\nu1,1,2,5\nu2,3,4,5\nu3,,6,5\nx9,7,8,5\n');
  return f;
}
const corpus = ['u1', 'u2', 'u3', 'u4'];
const split = { train: ['u1', 'u2'], valid: ['u3'], test: ['u4'] };

describe('fileFeatures', () => {
  it('impute keeps every utterance, NaN where a cell or a row is missing, and counts them per split', async () => {
    const f = await fileFeatures(corpus, cfg(csv(), 'impute'), 'features.speech.file');
    expect(f.matrix.ids).toEqual(corpus);
    expect(Array.from(f.matrix.values.subarray(6, 9))).toEqual([NaN, 6, 5]);
    expect(Array.from(f.matrix.values.subarray(9, 12))).toEqual([NaN, NaN, NaN]);
    expect(f.unknownIds).toEqual(['x9']);
    expect(f.noRow).toEqual(['u4']);
    expect(f.withMissing).toEqual(['u3']);
    expect(f.missingPerColumn).toEqual([1, 0, 0]);
    expect(f.constantColumns).toEqual(['c']);
    expect(f.dropped).toEqual([]);
    expect(fileCoverage(f, split)).toEqual({ train: { utterances: 2, noRow: 0, withMissing: 0 }, valid: { utterances: 1, noRow: 0, withMissing: 1 }, test: { utterances: 1, noRow: 1, withMissing: 0 } });
    const text = formatFileReport(f, split, 'features.speech.file');
    expect(text).toContain('test  0 of 1 utterances matched, 0 with missing cells, 1 without a row');
    expect(text).toContain('ids in the file unknown to the corpus: 1 (e.g. x9)');
    expect(text).toContain('constant columns: 1 (c)');
  });

  it('drop names the utterances that leave the run, with the reason', async () => {
    const f = await fileFeatures(corpus, cfg(csv(), 'drop'), 'features.speech.file');
    expect(f.matrix.ids).toEqual(['u1', 'u2']);
    expect(f.dropped.map((d) => d.id)).toEqual(['u4', 'u3']);
    expect(f.dropped[0].reason).toMatch(/no row in .*feats\.csv/);
  });

  it('refuse stops with the file, the ids and the fix', async () => {
    const e = await catchEmofuse(() => fileFeatures(corpus, cfg(csv(), 'refuse'), 'features.speech.file'));
    expect(e.message).toMatch(/1 corpus utterance\(s\) have no row in the file \(e\.g\. u4\)/);
    expect(e.where).toMatch(/feats\.csv \(features\.speech\.file\.missing: refuse\)/);
    expect(e.fix).toMatch(/missing: impute/);
    const full = path.join(tempDir(), 'full.csv');
    writeFileSync(full, 'id,a\nu1,1\nu2,\nu3,3\nu4,4\n');
    expect((await catchEmofuse(() => fileFeatures(corpus, cfg(full, 'refuse'), 'features.speech.file'))).message).toMatch(/have missing cells \(e\.g\. u2\); columns a/);
  });
});
