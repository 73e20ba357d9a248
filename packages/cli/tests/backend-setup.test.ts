// emofuse setup backend checks what the build needs before writing anything. The build itself
// (npm, the wheel, node-gyp) runs in scripts/install-check.sh, in a project outside the clone.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkPrerequisites } from '../src/backend-setup.ts';
import { main } from '../src/main.ts';
import { tempDir } from './helpers.ts';

const saved = process.env.EMOFUSE_NODEDIR;
afterEach(() => {
  if (saved === undefined) delete process.env.EMOFUSE_NODEDIR;
  else process.env.EMOFUSE_NODEDIR = saved;
  vi.restoreAllMocks();
});

describe('emofuse setup backend', () => {
  const tmp = tempDir();

  it('finds Python with pip, a compiler, make, Node headers and node-gyp on this machine', () => {
    const p = checkPrerequisites();
    expect(p.missing).toEqual([]);
    expect(existsSync(path.join(p.nodeDir, 'include', 'node', 'node_api.h'))).toBe(true);
    expect(p.nodeGyp && existsSync(p.nodeGyp)).toBe(true);
  });

  it('names every missing prerequisite and its fix', () => {
    process.env.EMOFUSE_NODEDIR = path.join(tmp, 'no-node');
    const p = checkPrerequisites(path.join(tmp, 'no-python'));
    expect(p.missing).toHaveLength(2);
    expect(p.missing[0]).toMatch(/Python with pip .*no-python.*EMOFUSE_PYTHON/);
    expect(p.missing[1]).toMatch(/Node's headers .*no-node.*EMOFUSE_NODEDIR/);
  });

  it('exits 1 naming what is missing, and writes nothing into the project', async () => {
    process.env.EMOFUSE_NODEDIR = path.join(tmp, 'no-node');
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const dir = path.join(tmp, 'project');
    mkdirSync(dir);
    expect(await main(['setup', 'backend', '--dir', dir])).toBe(1);
    expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/cannot build tfjs-node here; missing: Node's headers/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
