import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectRunEnvironment, packageVersion } from '../src/env.ts';
import { repoRoot } from './helpers.ts';

describe('collectRunEnvironment', () => {
  it('names the commit, the node version and the installed library versions', () => {
    const meta = collectRunEnvironment();
    expect(meta.gitCommit).toBe(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim());
    expect(typeof meta.gitDirty).toBe('boolean');
    expect(meta.node).toBe(process.version);
    const tfjs = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules/@tensorflow/tfjs/package.json'), 'utf8')).version;
    expect(meta.libraries['@tensorflow/tfjs']).toBe(tfjs);
    expect(meta.libraries.arquero).toMatch(/^\d+\.\d+\.\d+/);
    expect(meta.libraries['vega-lite']).toMatch(/^\d+\.\d+\.\d+/);
    expect(meta.cpus).toBeGreaterThan(0);
  });

  it('reads versions from the venv when there is one', () => {
    const meta = collectRunEnvironment();
    if (meta.python) expect(meta.python.version).toMatch(/^3\.\d+/);
    expect(packageVersion('no-such-package-emofuse')).toBeNull();
  });
});
