// docs/features.md's three examples, as a user runs them: experiments/feature-files/make_examples.py
// (the project's .venv python, opensmile-python, numpy, pandas) writes the feature files, then the
// real launcher checks them with --dry-run and runs each YAML end to end (one seed, the EmoDB one on
// two of its ten folds). The eGeMAPS extraction (535 WAVs, the slow part) runs in the background
// while the IEMOCAP examples run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, sharedData, tempDir } from '../helpers.ts';

const launcher = path.join(repoRoot, 'emofuse');
const python = path.join(repoRoot, '.venv/bin/python');
const script = path.join(repoRoot, 'experiments/feature-files/make_examples.py');
const example = (name: string) => path.join(repoRoot, 'experiments/feature-files', name);
const dir = tempDir();
const files = path.join(dir, 'feature-files');
const runs = path.join(dir, 'runs');
const store = path.join(dir, 'mlruns');
const iemocap = path.join(sharedData, 'iemocap/utterances.csv');

function emofuse(args: string[]) {
  const r = spawnSync(launcher, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, EMOFUSE_MLRUNS: store }, timeout: 600_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** One seed, no report, everything written under the temp dir. */
const small = ['--set', 'seeds=[1]', '--set', 'report.enabled=false', '--set', `output.dir=${runs}`];

/** The one run folder of an experiment, and its metrics.json / meta.json. */
function saved(experiment: string) {
  const [run] = readdirSync(path.join(runs, experiment));
  const read = (f: string) => JSON.parse(readFileSync(path.join(runs, experiment, run, f), 'utf8'));
  return { metrics: read('metrics.json'), meta: read('meta.json') };
}

let egemaps: Promise<{ code: number | null; err: string }>;

beforeAll(() => {
  egemaps = new Promise((resolve) => {
    const child = spawn(python, [script, files, '--data', sharedData, '--only', 'egemaps'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code, err }));
  });
  const r = spawnSync(python, [script, files, '--data', sharedData, '--only', 'npy', 'parquet'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});

describe('docs/features.md example 2: a .npy of per-utterance vectors with its ids file (IEMOCAP)', () => {
  const npy = ['--set', `features.speech.file.path=${path.join(files, 'iemocap_prosody.npy')}`,
    '--set', `features.speech.file.ids=${path.join(files, 'iemocap_prosody_ids.txt')}`, '--set', `corpus.path=${iemocap}`];

  it('make_examples.py writes one row per utterance and one id a line', () => {
    const ids = readFileSync(path.join(files, 'iemocap_prosody_ids.txt'), 'utf8').trimEnd().split('\n');
    expect(ids).toHaveLength(7433);
    expect(ids[0]).toBe('Ses01F_impro01_F000');
  });

  it('--dry-run prints the coverage per split, unknown ids and missing cells', () => {
    const r = emofuse(['run', example('iemocap_npy.yaml'), '--dry-run', ...npy]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/features\.speech\.file: \S*iemocap_prosody\.npy \(npy, 16 columns, sha256 [0-9a-f]{12}\)\n/);
    expect(r.err).toContain('  train 5163 of 5163 utterances matched, 37 with missing cells\n');
    expect(r.err).toContain('  test  1623 of 1623 utterances matched, 13 with missing cells\n');
    expect(r.err).toContain('  ids in the file unknown to the corpus: 0\n');
    expect(r.err).toContain('  missing values: 54 utterance(s), filled with the training median (fitted per fold)\n');
  }, 300_000);

  it('runs linear on every utterance, missing cells imputed, above chance', () => {
    const r = emofuse(['run', example('iemocap_npy.yaml'), ...npy, ...small]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('linear: training on 5163 utterances, validating on 647');
    const { metrics, meta } = saved('iemocap-npy_file');
    expect(meta.featureFiles.speech).toMatchObject({ format: 'npy', columns: 16, missing: 'impute', withMissing: 54, dropped: 0 });
    // Chance is 1/6; the scikit-learn reference on these 16 values reaches 36.4 UA.
    expect(metrics.linear.test.ua).toBeGreaterThan(0.3);
  }, 600_000);
});

describe('docs/features.md example 3: a Parquet table written by pandas, missing: drop | refuse (IEMOCAP)', () => {
  const parquet = ['--set', `features.speech.file.path=${path.join(files, 'iemocap_prosody.parquet')}`, '--set', `corpus.path=${iemocap}`];

  it('missing: refuse stops with exit 2, the file, the ids and the fix', () => {
    const r = emofuse(['run', example('iemocap_parquet.yaml'), '--dry-run', ...parquet, '--set', 'features.speech.file.missing=refuse']);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/iemocap_prosody\.parquet \(features\.speech\.file\.missing: refuse\): 54 corpus utterance\(s\) have missing cells \(e\.g\. /);
    expect(r.err).toMatch(/\n {2}fix: .*missing: impute/);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(runs, 'iemocap-parquet_file'))).toBe(false);
  }, 300_000);

  it('missing: drop takes the 54 utterances out of the run (13 of them test) and says so', () => {
    const r = emofuse(['run', example('iemocap_parquet.yaml'), ...parquet, ...small]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('speech: 54 utterance(s) with missing cells, 0 without a row (missing: drop: they leave every system of the run)');
    expect(r.out).toContain('linear: training on 5126 utterances, validating on 643');
    const { metrics, meta } = saved('iemocap-parquet_file');
    expect(meta.featureFiles.speech).toMatchObject({ format: 'parquet', missing: 'drop', dropped: 54 });
    expect(meta.featureFiles.speech.folds.main.test.utterances).toBe(1610);
    expect(metrics.linear.test.ua).toBeGreaterThan(0.3);
  }, 600_000);
});

describe('docs/features.md example 1: an opensmile-python eGeMAPS CSV (EmoDB, leave one speaker out)', () => {
  const csv = ['--set', `features.speech.file.path=${path.join(files, 'emodb_egemaps.csv')}`, '--set', `corpus.path=${path.join(sharedData, 'emodb')}`];

  it('make_examples.py writes opensmile-python\'s CSV: file,start,end then 88 functionals', async () => {
    const r = await egemaps;
    expect(r.code, r.err).toBe(0);
    const [header] = readFileSync(path.join(files, 'emodb_egemaps.csv'), 'utf8').split('\n', 1);
    expect(header.split(',').slice(0, 4)).toEqual(['file', 'start', 'end', 'F0semitoneFrom27.5Hz_sma3nz_amean']);
    expect(header.split(',')).toHaveLength(3 + 88);
  }, 600_000);

  it('--dry-run maps every row to its utterance by the WAV\'s base name', () => {
    const r = emofuse(['run', example('emodb_egemaps.yaml'), '--dry-run', ...csv]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/features\.speech\.file: \S*emodb_egemaps\.csv \(opensmile-csv, 88 columns, sha256 [0-9a-f]{12}\)\n/);
    expect(r.err).toContain('  train 425 of 425 utterances matched, 0 with missing cells\n');
    expect(r.err).toContain('  test  49 of 49 utterances matched, 0 with missing cells\n');
    expect(r.err).toContain('  ids in the file unknown to the corpus: 0\n');
    expect(r.err).toContain('  constant columns: 0\n');
  }, 300_000);

  it('runs linear on two folds, above chance', () => {
    const r = emofuse(['run', example('emodb_egemaps.yaml'), ...csv, ...small, '--set', "split.folds=['03','08']"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('speech: 535 utterances x 88 columns from');
    const { metrics, meta } = saved('emodb-egemaps_file');
    expect(meta.featureFiles.speech).toMatchObject({ format: 'opensmile-csv', columns: 88, unknownIds: 0, noRow: 0 });
    // Chance is 1/7 (14.3%).
    expect(metrics.linear.test.ua).toBeGreaterThan(0.3);
  }, 600_000);
});
