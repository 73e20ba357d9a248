import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { toDense } from '@emofuse/core';
import { TfidfVectorizer } from '../../../src/features/index.ts';
import { catchEmofuse, python, sharedData } from '../helpers.ts';

const manifest = path.join(sharedData, 'iemocap', 'utterances.csv');

describe('TfidfVectorizer', () => {
  it('fits vocabulary and idf on the training texts only and L2-normalises sparse rows', () => {
    const v = new TfidfVectorizer({ ngrams: [1, 2] }).fit(['I am so happy', 'so sad today']);
    const j = v.toJSON();
    // sklearn's token pattern drops one-letter words ("I").
    expect(j.terms).toEqual(['am', 'am so', 'happy', 'sad', 'sad today', 'so', 'so happy', 'so sad', 'today']);
    const m = v.apply(['a', 'b'], ['so so happy zebra', '']);
    expect(m.dim).toBe(9);
    // Unknown n-grams (zebra) are ignored; an empty text is an empty row.
    expect(Array.from(m.indptr)).toEqual([0, 3, 3]);
    const row = Array.from(m.data.subarray(0, 3));
    expect(row.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 6);
    // "so" appears in both training texts: idf 1, twice in the row; "happy" once, idf ln(3/2)+1.
    const so = row[m.indices.indexOf(5)];
    const happy = row[m.indices.indexOf(2)];
    expect(so / happy).toBeCloseTo(2 / (Math.log(3 / 2) + 1), 5);
    const again = TfidfVectorizer.fromJSON(JSON.parse(JSON.stringify(j))).apply(['a'], ['so so happy zebra']);
    expect(Array.from(again.data)).toEqual(Array.from(m.data.subarray(0, 3)));
  });

  it('refuses a bad n-gram range and a training part without n-grams', async () => {
    expect((await catchEmofuse(() => new TfidfVectorizer({ ngrams: [2, 1] }))).fix).toMatch(/\[1, 2\]/);
    expect((await catchEmofuse(() => new TfidfVectorizer().fit(['a', '?']))).message).toMatch(/no n-gram/);
  });

  it.skipIf(!existsSync(python) || !existsSync(manifest))('gives scikit-learn TfidfVectorizer(ngram_range=(1, 2)) on the IEMOCAP transcripts', () => {
    const rows = parse(readFileSync(manifest), { columns: true }) as { id: string; text: string; split: string }[];
    const train = rows.filter((r) => r.split === 'train');
    const test = rows.filter((r) => r.split === 'test').slice(0, 200);
    const v = new TfidfVectorizer({ ngrams: [1, 2] }).fit(train.map((r) => r.text));
    const ours = toDense(v.apply(test.map((r) => r.id), test.map((r) => r.text)));
    const code = [
      'import json, sys',
      'from sklearn.feature_extraction.text import TfidfVectorizer',
      'a = json.load(sys.stdin); v = TfidfVectorizer(ngram_range=(1, 2)).fit(a["train"])',
      'X = v.transform(a["test"]).toarray()',
      'print(json.dumps({"terms": v.get_feature_names_out().tolist(), "x": X.ravel().tolist()}))',
    ].join('\n');
    const r = spawnSync(python, ['-c', code], { input: JSON.stringify({ train: train.map((x) => x.text), test: test.map((x) => x.text) }), encoding: 'utf8', maxBuffer: 1 << 30 });
    expect(r.status, r.stderr).toBe(0);
    const ref = JSON.parse(r.stdout) as { terms: string[]; x: number[] };
    expect(v.toJSON().terms).toEqual(ref.terms);
    let worst = 0;
    ref.x.forEach((x, i) => { worst = Math.max(worst, Math.abs(x - ours.values[i])); });
    expect(worst).toBeLessThan(1e-6);
  });
});
