// Issue 26, item 15: a read-only output folder or run store is refused with exit 2, the path named,
// before any work (a real read-only tmpfs; mounting needs root, as CI and the dev machines run).
import { mkdirSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../helpers.ts';

const launcher = path.join(repoRoot, 'emofuse');
const cafe = path.join(repoRoot, 'experiments/manifest-example/cafe.yaml');
const work = tempDir();
const ro = path.join(work, 'ro');
mkdirSync(ro);
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]).status === 0;
afterAll(() => { if (mounted) spawnSync('umount', [ro]); });

const emofuse = (args: string[], store: string) => {
  const r = spawnSync(launcher, args, { cwd: work, encoding: 'utf8', env: { ...process.env, EMOFUSE_MLRUNS: store }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe.skipIf(!mounted)('a read-only output folder or store', () => {
  it('output.dir on a read-only file system: exit 2 with the path, nothing run', () => {
    const r = emofuse(['run', cafe, '--set', `output.dir=${path.join(ro, 'runs')}`], path.join(work, 'mlruns'));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`error: output.dir: ${ro} is on a read-only file system; nothing was run`);
    expect(r.err).toMatch(/\n {2}fix: /);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(readdirSync(work)).not.toContain('mlruns');
  });

  it('the run store on a read-only file system (EMOFUSE_MLRUNS): exit 2 with the path, nothing run', () => {
    const r = emofuse(['run', cafe, '--set', `output.dir=${path.join(work, 'runs')}`, '--jobs', '2'], path.join(ro, 'mlruns'));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`${ro} is on a read-only file system`);
    expect(r.err).toContain('EMOFUSE_MLRUNS');
    expect(readdirSync(work)).not.toContain('runs');
  });
});
