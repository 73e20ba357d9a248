import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectRunEnvironment, findPackageJson, packageVersion } from '../src/env.ts';
import { repoRoot, tempDir, writeFile } from './helpers.ts';

const venvPython = existsSync(path.join(repoRoot, '.venv', 'bin', 'python'));
if (!venvPython) console.warn('env.test.ts: no .venv (scripts/setup.sh makes it): the venv versions test is skipped');

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

  it.skipIf(!venvPython)('reads versions from the venv', () => {
    const meta = collectRunEnvironment();
    expect(meta.python?.version).toMatch(/^3\.\d+/);
    expect(packageVersion('no-such-package-emofuse')).toBeNull();
  });
});

describe('findPackageJson', () => {
  const tmp = tempDir();

  it('finds a library where an installed @emofuse package resolves it, not under the package folder', () => {
    // npm install -g: each tarball a top-level package with its own dependencies.
    const lib = path.join(tmp, 'P', 'lib', 'node_modules');
    const from = path.join(lib, '@emofuse', 'cli', 'dist');
    writeFile(lib, '@emofuse/cli/package.json', '{"name":"@emofuse/cli","version":"0.1.0"}');
    writeFile(lib, '@emofuse/cli/node_modules/@tensorflow/tfjs/package.json', '{"name":"@tensorflow/tfjs","version":"4.22.0"}');
    writeFile(lib, '@emofuse/report/package.json', '{"name":"@emofuse/report","version":"0.1.0"}');
    const arquero = writeFile(lib, '@emofuse/report/node_modules/arquero/package.json', '{"name":"arquero","version":"7.2.1"}');
    expect(findPackageJson('@tensorflow/tfjs', from)).toBe(path.join(lib, '@emofuse/cli/node_modules/@tensorflow/tfjs/package.json'));
    expect(findPackageJson('arquero', from)).toBe(arquero);
    expect(findPackageJson('vega-lite', from)).toBeNull();
  });

  it('in the clone, finds the workspace node_modules', () => {
    expect(findPackageJson('vega-lite')).toBe(path.join(repoRoot, 'node_modules/vega-lite/package.json'));
  });
});
