import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
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

/**
 * A small EmoDB manifest (real WAVs): `perClass` files of each (speaker, emotion). The default
 * speakers have every emotion (08 has no disgust, so a fold training on 08 alone lacks a class).
 */
export function writeEmodbManifest(dir: string, opts: { speakers?: string[]; perClass?: number } = {}): string {
  const wavDir = path.join(sharedData, 'emodb', 'wav');
  const speakers = opts.speakers ?? ['03', '11', '09'];
  const perClass = opts.perClass ?? 2;
  const seen = new Map<string, number>();
  const rows = ['id,text,label,speaker,wav'];
  for (const f of readdirSync(wavDir).filter((f) => speakers.includes(f.slice(0, 2))).sort()) {
    const key = f.slice(0, 2) + f[5];
    if ((seen.get(key) ?? 0) >= perClass) continue;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    rows.push(`${f.slice(0, -4)},sentence ${f.slice(2, 5)},${f[5]},${f.slice(0, 2)},${path.join(wavDir, f)}`);
  }
  const file = path.join(dir, 'manifest.csv');
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

/** Points EMOFUSE_MLRUNS at `store` for the file's tests (vitest hooks) and restores it after. */
export function useRunStore(store: string): void {
  const saved = process.env.EMOFUSE_MLRUNS;
  beforeAll(() => { process.env.EMOFUSE_MLRUNS = store; });
  afterAll(() => {
    if (saved === undefined) delete process.env.EMOFUSE_MLRUNS;
    else process.env.EMOFUSE_MLRUNS = saved;
  });
}
