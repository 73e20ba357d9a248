import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildDirAtomic, writeFileAtomic, fingerprint, makeRng, shuffled } from '../src/index.ts';

describe('atomic writes', () => {
  it('leaves no directory when filling fails', async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'emofuse-core-'));
    const dir = path.join(base, 'run');
    await expect(buildDirAtomic(dir, async (tmp) => {
      writeFileAtomic(path.join(tmp, 'half.json'), '{');
      throw new Error('interrupted');
    })).rejects.toThrow('interrupted');
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(base)).toEqual([]);
  });
  it('renames a finished directory into place', async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'emofuse-core-'));
    const dir = path.join(base, 'run');
    await buildDirAtomic(dir, async (tmp) => writeFileAtomic(path.join(tmp, 'x.txt'), 'done'));
    expect(readFileSync(path.join(dir, 'x.txt'), 'utf8')).toBe('done');
  });
});

describe('fingerprint and rng', () => {
  it('ignores key order', () => expect(fingerprint({ a: 1, b: [2] })).toBe(fingerprint({ b: [2], a: 1 })));
  it('differs for different values', () => expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 })));
  it('shuffles reproducibly per seed', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i);
    expect(shuffled(xs, makeRng(7))).toEqual(shuffled(xs, makeRng(7)));
    expect(shuffled(xs, makeRng(7))).not.toEqual(shuffled(xs, makeRng(8)));
  });
});
