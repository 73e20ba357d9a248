// Bad corpus input through the real CLI (issue 16, items 7-9, 15): every case exits 2 with the
// file (and line) named and a fix, prints no stack trace, and writes nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot, sharedData, tempDir, writeFile } from './helpers.ts';

const launcher = path.join(repoRoot, 'emofuse');
const dir = tempDir();
const out = path.join(dir, 'runs');
const store = path.join(dir, 'mlruns');

function emofuse(args: string[]) {
  const r = spawnSync(launcher, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, EMOFUSE_MLRUNS: store }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** An experiment reading `corpus` (a path in dir) as `type`, writing only under dir. */
function experiment(name: string, type: string, corpus: string, extra = ''): string {
  return writeFile(dir, `${name}.yaml`, `experiment: ${name}\ncorpus: { type: ${type}, path: ${corpus} }\noutput: { dir: ${out} }\nreport: { enabled: false }\n${extra}`);
}

/** Exit 2, the message, no stack, nothing on stdout, nothing written. */
function expectRefused(r: ReturnType<typeof emofuse>, message: RegExp) {
  expect(r.code, r.err).toBe(2);
  expect(r.err).toMatch(message);
  expect(r.err).toMatch(/\n {2}fix: /);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.out).toBe('');
  expect(existsSync(out)).toBe(false);
  expect(existsSync(store)).toBe(false);
}

const rows = (labels: string[]) => labels.map((l, i) => `u${i},sentence number ${i},${l},s${i % 4}`).join('\n');
const balanced = rows(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);

describe('run refuses a corrupt corpus file with exit 2 (the pipeline reads it after the config)', () => {
  it('a manifest path that is a folder: no raw EISDIR', () => {
    const folder = path.join(dir, 'corpus-folder');
    writeFile(folder, 'x.txt', '');
    const r = emofuse(['run', experiment('folder', 'manifest', folder), '--set', 'train.epochs=1']);
    expectRefused(r, new RegExp(`^error: ${folder}: manifest is a folder, not a file\n {2}fix: give a CSV or JSONL manifest file as the corpus path\n$`));
  });

  it('a text file renamed .pkl, a truncated pickle, a pickle of the wrong shape', () => {
    const text = writeFile(dir, 'notes.pkl', 'id,text,label,speaker\nu1,hi,a,s1\n');
    expectRefused(emofuse(['run', experiment('textpkl', 'iemocap', text), '--set', 'train.epochs=1']),
      /notes\.pkl: this is a text file, not a pickle \(it begins "id,text,label,speaker"\); a CSV corpus is read as corpus type manifest\n {2}fix: give the \.pkl file as the corpus path, or read this file as corpus type manifest/);
    const cut = path.join(dir, 'cut.pkl');
    writeFileSync(cut, readFileSync(path.join(sharedData, 'iemocap/iemocap.pkl')).subarray(0, 4000));
    expectRefused(emofuse(['run', experiment('cut', 'iemocap', cut), '--dry-run']), /cut\.pkl: the pickle \(protocol 4\) ends early at byte 4000: the file is truncated/);
    const six = path.join(dir, 'six.pkl'); // pickle.dumps([1, 2, 3, 4, 5, 6], protocol=2)
    writeFileSync(six, Uint8Array.from([0x80, 0x02, 0x5d, 0x71, 0x00, 0x28, 0x4b, 1, 0x4b, 2, 0x4b, 3, 0x4b, 4, 0x4b, 5, 0x4b, 6, 0x65, 0x2e]));
    expectRefused(emofuse(['run', experiment('six', 'iemocap-features', six), '--dry-run']), /six\.pkl: expected a 9-tuple/);
  });

  it('a malformed manifest, bytes that are not UTF-8, empty text, a typo label', () => {
    const noLabel = writeFile(dir, 'nolabel.csv', 'id,text,speaker\nu1,hi,s1\n');
    expectRefused(emofuse(['run', experiment('nolabel', 'manifest', noLabel), '--dry-run']), /nolabel\.csv:1: missing column label/);
    const latin1 = path.join(dir, 'latin1.csv');
    writeFileSync(latin1, Buffer.concat([Buffer.from(`id,text,label,speaker\n${balanced}\nu9,caf`), Buffer.from([0xe9]), Buffer.from(',a,s1\n')]));
    expectRefused(emofuse(['run', experiment('latin1', 'manifest', latin1), '--dry-run']), /latin1\.csv:10: not valid UTF-8/);
    const empty = writeFile(dir, 'empty.csv', `id,text,label,speaker\n${balanced}\nu9,,a,s1\n`);
    expectRefused(emofuse(['run', experiment('empty', 'manifest', empty), '--dry-run']), /empty\.csv:10 column 2 \(text\): empty text/);
    const typo = writeFile(dir, 'typo.csv', `id,text,label,speaker\n${balanced}\nu9,so dull,bored,s1\n`);
    const r = emofuse(['run', experiment('typo', 'manifest', typo), '--dry-run']);
    expectRefused(r, /typo\.csv:10 column 3 \(label\): label "bored" is on only 1 line/);
    expect(r.err).toContain(`declare the corpus's class list: classes: ["a", "b", "bored"]`);
  });
});

describe('run --dry-run reads and checks the corpus and split, and prints the per-split class counts', () => {
  it('refuses a split column that says dev', () => {
    const dev = writeFile(dir, 'dev.csv', 'id,text,label,speaker,split\nu1,hi,a,s1,train\nu2,yo,b,s1,train\nu3,hm,a,s2,dev\nu4,ok,b,s3,test\n');
    expectRefused(emofuse(['run', experiment('dev', 'manifest', dev, 'split: { protocol: manifest }\n'), '--dry-run']),
      /dev\.csv:4 column 5 \(split\): split "dev" is not one of train, valid, test\n {2}fix: write valid for dev/);
  });

  it('refuses a test label that the training part does not have', () => {
    const m = writeFile(dir, 'unseen.csv', 'id,text,label,speaker,split\nu1,hi,a,s1,train\nu2,yo,a,s1,train\nu3,hm,b,s2,test\nu4,ok,b,s2,test\nu5,eh,a,s2,test\nu6,ah,a,s3,valid\n');
    expectRefused(emofuse(['run', experiment('unseen', 'manifest', m, 'split: { protocol: manifest }\n'), '--dry-run']),
      /split manifest of unseen: label b \(test 2\) is not in the training part/);
  });

  it('names the config key of a corpus or split option the data package refuses, with and without --dry-run', () => {
    // The data package names its own option (test, classes, seed); the CLI maps it to the key to edit.
    const m = writeFile(dir, 'sessions.csv', `id,text,label,speaker,session\n${rows(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']).split('\n').map((l, i) => `${l},S${i % 2}`).join('\n')}\n`);
    const held = experiment('held', 'manifest', m, 'split: { protocol: holdout, test: [S9] }\n');
    for (const extra of [['--dry-run'], ['--set', 'train.epochs=1']]) {
      expectRefused(emofuse(['run', held, ...extra]), /^error: split\.test: "S9" is neither a session nor a group of corpus sessions \(sessions: S0, S1;/);
    }
    expectRefused(emofuse(['run', experiment('twice', 'manifest', m, 'split: { protocol: loso }\n'), '--dry-run', '--set', 'corpus.classes=[a, b, b]']),
      /^error: corpus\.classes: the class list names a class twice: \[a, b, b\]\n {2}fix: list each class once/);
  });

  it('prints the resolved config on stdout and the class table per part on stderr', () => {
    const r = emofuse(['run', path.join(repoRoot, 'experiments/iemocap/text_lstm.yaml'), '--dry-run', '--seed', '2']);
    expect(r.code, r.err).toBe(0);
    expect(YAML.parse(r.out).seeds).toEqual([2]);
    expect(r.err).toMatch(/^corpus iemocap: 7433 utterances, 10 speakers, 6 classes in this order: hap 648, sad 1084, neu 1708, ang 1103, exc 1041, fru 1849/);
    expect(r.err).toMatch(/split paper of iemocap, seed 2:\n {2}class +train +share +valid +share +test +share\n {2}hap +\d+ +[\d.]+% +\d+ +[\d.]+% +144 +8\.9%\n/);
    expect(r.err).toMatch(/ {2}total +\d+ +\d+ +1623\n {2}speakers +8 +8 +2\n/);
    expect(r.err).toContain('no features were computed, nothing was trained or written');
  });
});

describe('experiments/manifest-example (docs/manifest.md) runs as documented', () => {
  const example = path.join(repoRoot, 'experiments/manifest-example/cafe.yaml');
  it('dry run: 48 utterances, the split column, test speakers unseen', () => {
    const r = emofuse(['run', example, '--dry-run']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('corpus cafe: 48 utterances, 6 speakers, 4 classes in this order: neu 12, hap 12, ang 12, sad 12');
    expect(r.err).toMatch(/ {2}total +24 +8 +16\n {2}speakers +4 +2 +2\n {2}groups +3 +1 +2\n/);
  });

  it('trains one epoch and saves the run', () => {
    const runs = path.join(dir, 'example-runs');
    const r = spawnSync(launcher, ['run', example, '--set', 'train.epochs=1', '--set', 'report.enabled=false', '--set', `output.dir=${runs}`], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, EMOFUSE_MLRUNS: path.join(dir, 'example-mlruns') }, timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/text-lstm: training on 24 utterances, validating on 8/);
    expect(existsSync(path.join(runs, 'manifest-example'))).toBe(true);
  }, 300_000);

  it('the holdout variant holds out session S3 and draws validation from S1-S2', () => {
    const r = emofuse(['run', path.join(repoRoot, 'experiments/manifest-example/cafe_holdout.yaml'), '--dry-run']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/split holdout of cafe, seed 1:/);
    expect(r.err).toMatch(/ {2}total +\d+ +\d+ +16\n {2}speakers +4 +\d +2\n/);
  });
});
