// The CLI as an installed tool (issue 24): scripts/install-check.sh packs the packages, installs
// the tarballs into a temporary global prefix and, in an empty folder outside the repository, runs
// emofuse init, doctor, a tiny experiment (train, ./mlruns, report), a dry run on the shared data
// and runs push to a real MLflow server, then checks that the install prefix is unchanged.
// Nx builds every package before this runs (test dependsOn ^build), so the script packs with --no-build.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../../..');

describe('emofuse installed with npm install -g, used from an empty folder', () => {
  it('init, doctor, run, report and runs push work, and nothing is written into the install', () => {
    const r = spawnSync('bash', [path.join(repo, 'scripts/install-check.sh'), '--no-build'], {
      cwd: repo, encoding: 'utf8', timeout: 2_400_000, env: { ...process.env, NODE_OPTIONS: '' },
    });
    const out = `${r.stdout}\n${r.stderr}`;
    if (r.status !== 0) process.stdout.write(out.slice(-8000));
    expect(r.status, `install-check exited ${r.status}${r.signal ? ` (${r.signal})` : ''}`).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('install-check: ok');
    expect(out).toMatch(/server: experiment manifest-example holds \d+ run\(s\)/);
  }, 2_500_000);
});
