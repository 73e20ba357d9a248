import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { ConfigError } from '../src/config/index.ts';

export const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const sharedData = process.env.EMOFUSE_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data');

/** A temp folder (outside the repo) removed after the file's tests. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emofuse-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeFile(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** The ConfigError `fn` throws (fails the test when it does not throw one). */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw new Error(`expected a ConfigError, got ${String(e)}`);
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}
