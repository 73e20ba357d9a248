// Issue 26, item 2: resume never reuses a result made from other data. The real CLI on a copy of the
// manifest example: rerun after relabelling its test lines.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot, tempDir } from '../helpers.ts';

const launcher = path.join(repoRoot, 'emofuse');

describe('resume and changed data', () => {
  it('a relabelled manifest is "data changed since run X" and is redone; unchanged data is skipped', () => {
    const work = tempDir();
    const manifest = path.join(work, 'cafe.csv');
    copyFileSync(path.join(repoRoot, 'experiments/manifest-example/cafe.csv'), manifest);
    const exp = YAML.parse(readFileSync(path.join(repoRoot, 'experiments/manifest-example/cafe.yaml'), 'utf8'));
    exp.corpus.path = manifest;
    exp.output = { dir: path.join(work, 'runs') };
    exp.report = { enabled: false };
    exp.train.epochs = 1;
    const file = path.join(work, 'cafe.yaml');
    writeFileSync(file, YAML.stringify(exp));
    const cli = () => {
      const r = spawnSync(launcher, ['run', file], { cwd: work, encoding: 'utf8', env: { ...process.env, EMOFUSE_MLRUNS: path.join(work, 'mlruns') }, timeout: 240_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const runs = () => readdirSync(path.join(work, 'runs', 'manifest-example')).filter((n) => !n.startsWith('.') && !n.startsWith('report-'));

    const first = cli();
    expect(first.code, first.err).toBe(0);
    expect(runs()).toHaveLength(1);
    const firstRun = runs()[0];
    const meta = JSON.parse(readFileSync(path.join(work, 'runs', 'manifest-example', firstRun, 'meta.json'), 'utf8'));
    expect(Object.keys(meta.inputs)).toEqual(['corpus.path']);

    const same = cli();
    expect(same.code, same.err).toBe(0);
    expect(same.out).toContain('nothing to run');

    // relabel the test lines (session S3): ang <-> hap
    const text = readFileSync(manifest, 'utf8').split('\n').map((l) => (/,S3,test,/.test(l) ? l.replace(/,ang,/, ',@@,').replace(/,hap,/, ',ang,').replace(/,@@,/, ',hap,') : l)).join('\n');
    expect(text).not.toBe(readFileSync(manifest, 'utf8'));
    writeFileSync(manifest, text);
    const relabelled = cli();
    expect(relabelled.code, relabelled.err).toBe(0);
    expect(relabelled.err).toContain(`data changed since run ${meta.runId} (corpus.path); redoing seed 1`);
    expect(relabelled.out).not.toContain('nothing to run');
    expect(runs()).toHaveLength(2);

    // and after the redo, the new run is the one resume finds
    const again = cli();
    expect(again.out).toContain('nothing to run');
    expect(again.err).not.toContain('data changed');
  }, 600_000);
});
