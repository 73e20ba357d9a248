// Feature files and TF-IDF through the real pipeline on IEMOCAP's real prosody and transcripts:
// missing values never shrink the test set silently, the imputer and the TF-IDF vocabulary are
// fitted per fold and saved, and the counts reach meta.json and the tracked params.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/config/index.ts';
import { silentContext } from '../../src/context.ts';
import { runExperiment } from '../../src/pipeline/index.ts';
import { sharedData, useRunStore } from '../helpers.ts';

const work = mkdtempSync(path.join(tmpdir(), 'emofuse-feature-files-'));
const store = path.join(work, 'mlruns');
useRunStore(store);
const manifest = path.join(sharedData, 'iemocap', 'utterances.csv');
const prosody = path.join(sharedData, 'iemocap', 'prosody.csv');

const set = (experiment: string, extra: string[]) => [
  `experiment=${experiment}`, 'corpus.type=manifest', `corpus.path=${manifest}`, 'corpus.classes=[hap, sad, neu, ang, exc, fru]', 'split.protocol=manifest',
  'features.speech.source=file', `features.speech.file.path=${prosody}`, 'model.linear.c=[0.1, 1]',
  `output.dir=${path.join(work, 'runs')}`, 'report.enabled=false', ...extra,
];

describe.skipIf(!existsSync(prosody))('feature files in a run (IEMOCAP prosody.csv)', () => {
  it('impute keeps all 1623 test utterances, fits the median per fold, and records the counts', async () => {
    const ctx = silentContext();
    const r = await runExperiment(loadExperiment(undefined, { set: set('ff-impute', ['systems=[linear]']) }), ctx);
    const log = ctx.lines.join('\n');
    expect(log).toContain('speech: 7433 utterances x 16 columns from');
    expect(log).toMatch(/54 utterance\(s\) with missing cells, 0 without a row \(missing: impute/);
    const dir = r.runs[0].dir;
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    expect(meta.featureFiles.speech).toMatchObject({ columns: 16, missing: 'impute', withMissing: 54, dropped: 0 });
    expect(meta.featureFiles.speech.folds.main.test).toEqual({ utterances: 1623, noRow: 0, withMissing: 13 });
    const transform = JSON.parse(readFileSync(path.join(dir, 'transforms', 'main.json'), 'utf8'));
    expect(transform.steps[0].kind).toBe('median-impute');
    const posteriors = JSON.parse(readFileSync(path.join(dir, 'systems', 'linear', 'posteriors_test.json'), 'utf8'));
    expect(posteriors.ids).toHaveLength(1623);
    // Above chance (16.7) on real speech: the reference logistic regression reaches 36.4.
    expect(r.metrics[0].linear.test!.ua).toBeGreaterThan(0.3);
    // The tracked params of the parent run carry the file's hash and the counts per split.
    const params = readdirSync(store, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.parentPath.endsWith('params'));
    const names = new Set(params.map((e) => e.name));
    expect(names).toContain('features.speech.file.sha256');
    expect(names).toContain('features.speech.file.test.with_missing');
  }, 240_000);

  it('drop removes the same utterances from every system of the run, and TF-IDF is fitted on the training part', async () => {
    const ctx = silentContext();
    const r = await runExperiment(loadExperiment(undefined, {
      set: set('ff-drop', ['systems=[linear, linear-text, linear-early]', 'features.speech.file.missing=drop', 'features.text.source=tfidf', 'features.text.tfidf.minDf=2', 'model.linear.c=[1]']),
    }), ctx);
    const dir = r.runs[0].dir;
    const ids = (s: string) => JSON.parse(readFileSync(path.join(dir, 'systems', s, 'posteriors_test.json'), 'utf8')).ids as string[];
    expect(ids('linear')).toHaveLength(1623 - 13);
    expect(ids('linear-text')).toEqual(ids('linear'));
    expect(ids('linear-early')).toEqual(ids('linear'));
    const tfidf = JSON.parse(readFileSync(path.join(dir, 'transforms', 'main.text.json'), 'utf8'));
    expect(tfidf.kind).toBe('tfidf');
    // Vocabulary from the training part only: words that occur only in the test part are absent.
    const rows = parse(readFileSync(manifest), { columns: true }) as { text: string; split: string }[];
    const words = (part: string) => new Set(rows.filter((x) => x.split === part).flatMap((x) => x.text.toLowerCase().match(/[\p{L}\p{N}_]{2,}/gu) ?? []));
    const train = words('train');
    const testOnly = [...words('test')].filter((w) => !train.has(w));
    expect(testOnly.length).toBeGreaterThan(50);
    const terms = new Set(tfidf.terms as string[]);
    expect(testOnly.filter((w) => terms.has(w))).toEqual([]);
    expect([...train].filter((w) => terms.has(w)).length).toBeGreaterThan(1000);
    const m = r.metrics[0];
    expect(m['linear-text'].test!.ua).toBeGreaterThan(0.45);
    expect(m['linear-early'].test!.ua).toBeGreaterThan(m['linear-text'].test!.ua);
  }, 480_000);

  it('refuses a file with a duplicate id before any work, naming the file and both lines', async () => {
    const bad = path.join(work, 'dup.csv');
    writeFileSync(bad, 'id,a\nSes01F_impro01_F000,1\nSes01F_impro01_F000,2\n');
    const ctx = silentContext();
    const run = runExperiment(loadExperiment(undefined, { set: set('ff-dup', ['systems=[linear]', `features.speech.file.path=${bad}`]) }), ctx);
    await expect(run).rejects.toMatchObject({ kind: 'input' });
    await expect(run).rejects.toThrow(/appears twice/);
    expect(existsSync(path.join(work, 'runs', 'ff-dup'))).toBe(false);
  });
});
