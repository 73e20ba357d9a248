// Issue 26, item 13: huge sizes (model.text.lstmUnits=1e8) passed validation and died with a
// RangeError in training. Every system is now built once before any feature is computed or run
// created; one that cannot train in this machine's memory is refused with exit 2, its sizes, its
// parameter count and the figure in GB.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir, writeEmodbManifest, writeFile } from '../helpers.ts';

const launcher = path.join(repoRoot, 'emofuse');
const dir = tempDir();
const mlruns = path.join(dir, 'mlruns');
const out = path.join(dir, 'runs');
const emofuse = (args: string[]) => {
  const r = spawnSync(launcher, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, EMOFUSE_MLRUNS: mlruns }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const cafe = path.join(repoRoot, 'experiments/manifest-example/cafe.yaml');
const GB = String.raw`\d+(\.\d+)?(e\d+)? GB`;

function expectRefused(r: { code: number | null; err: string }, sizes: RegExp) {
  expect(r.code, r.err).toBe(2);
  expect(r.err).toMatch(sizes);
  expect(r.err).toMatch(new RegExp(`give at least \\d\\.\\d\\de\\d+ parameters; training needs at least ${GB} \\(parameters x 4 bytes x 5: weights, gradients, Adam's two moments, the best epoch's weights\\), but the limit is ${GB}, `));
  expect(r.err).toMatch(/\n {2}fix: lower model\.\S+ \(or the other sizes above\) until the model fits/);
  expect(r.err).not.toMatch(/RangeError|\n\s+at |Hi, looks like/);
  expect(r.err).not.toMatch(/^text: |feature cache|tracking: /m); // refused before features and tracking
  expect(existsSync(out), 'no run folder').toBe(false);
  expect(existsSync(mlruns), 'no mlruns').toBe(false);
}

describe('a model too big for the memory is refused before any work', () => {
  it('text-lstm with lstmUnits=1e8: exit 2, its sizes, parameters and GB; no run folder, no mlruns', () => {
    const r = emofuse(['run', cafe, '--set', 'model.text.lstmUnits=1e8', '--set', 'train.epochs=1', '--set', `output.dir=${out}`]);
    expectRefused(r, /error: model \(text-lstm\): text-lstm is too big to train here: its sizes \(model\.text\.convWidths=\[3,4,5\], model\.text\.convFilters=8, model\.text\.dim=100, model\.text\.lstmUnits=100000000, model\.dense=\[16\]\) give at least 4\.00e10 parameters; training needs at least 800\.0 GB/);
    expect(r.err).toContain('fix: lower model.text.lstmUnits (or the other sizes above)');
  });

  it('run --dry-run refuses it too', () => {
    const r = emofuse(['run', cafe, '--dry-run', '--set', 'model.text.lstmUnits=1e8', '--set', `output.dir=${out}`]);
    expectRefused(r, /text-lstm is too big to train here: .*model\.text\.lstmUnits=100000000/);
    expect(r.out).toBe(''); // no resolved config printed as if it were fine
  });

  it('with --jobs 2 it is refused once, before any worker starts (no sweep folder)', () => {
    const r = emofuse(['run', cafe, '--jobs', '2', '--set', 'seeds=[1,2]', '--set', 'model.text.lstmUnits=1e8', '--set', `output.dir=${out}`]);
    expectRefused(r, /^error: model \(text-lstm\): text-lstm is too big to train here: .*model\.text\.lstmUnits=100000000/m);
    expect(r.err).not.toMatch(/start 1\/2|FAILED task/);
  });

  it('speech-cnn with filters=1e9 (another model, audio never read): refused the same way', () => {
    const manifest = writeEmodbManifest(dir, { perClass: 1 });
    const exp = writeFile(dir, 'speech.yaml', `experiment: speech\ncorpus: { type: manifest, path: ${manifest} }\nsplit: { protocol: loso }\nsystems: [speech-cnn]\n`);
    const r = emofuse(['run', exp, '--set', 'model.speech.filters=1e9', '--set', `output.dir=${out}`]);
    expectRefused(r, /model \(speech-cnn\): speech-cnn is too big to train here: its sizes \(model\.speech\.filters=1000000000, model\.speech\.kernel=5, model\.speech\.poolSize=2, model\.speech\.convLayers=2, model\.dense=\[512,128\]\) give at least 5\.00e9 parameters/);
    expect(r.err).toContain('fix: lower model.speech.filters');
  });

  it('the paper-size models pass the check in a dry run', () => {
    const r = emofuse(['run', cafe, '--dry-run', '--set', 'model.text.lstmUnits=128', '--set', 'model.text.convFilters=64', '--set', 'model.dense=[512,128]', '--set', `output.dir=${out}`]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).not.toContain('too big');
    expect(r.err).not.toContain('Hi, looks like'); // the check's build on tfjs' cpu backend prints no banner
  });
});
