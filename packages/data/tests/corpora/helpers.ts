import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { isEmofuseError, type EmofuseError } from '@emofuse/core';

/** The repository root (four levels above tests/corpora). */
export const repoRoot = path.resolve(import.meta.dirname, '../../../..');
/** Shared read-only data, beside the repository unless EMOFUSE_SHARED_DATA says otherwise. */
export const sharedData = process.env.EMOFUSE_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data');
export const iemocapPkl = path.join(sharedData, 'iemocap/iemocap.pkl');
export const featuresFixture = path.join(sharedData, 'iemocap/fixtures/features_raw_layout.pkl');
export const emodbDir = path.join(sharedData, 'emodb');
export const python = process.env.EMOFUSE_PYTHON ?? path.join(repoRoot, '.venv/bin/python');

const made: string[] = [];
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `emofuse-${prefix}-`));
  made.push(dir);
  return dir;
}
/** Call from afterAll: removes every folder tempDir made in this test file. */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A real PCM WAV (16-bit mono): a short sine tone with a canonical 44-byte RIFF header. */
export function writeWav(file: string, { seconds = 0.05, rate = 16000, freq = 220 } = {}): void {
  const n = Math.round(seconds * rate);
  const buf = Buffer.alloc(44 + 2 * n);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + 2 * n, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / rate)), 44 + 2 * i);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, buf);
}

export function writeText(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Assert `fn` throws an EmofuseError whose message and `where` match; returns the error. */
/** A run config's keys: a library error names its option (`e.option`) instead, and the CLI maps it. */
const CONFIG_KEY = /\b(corpus\.(type|path|classes|name)|split\.(protocol|validFraction|folds|test|speakerLeakage)|features\.(text|speech|[a-z]+\.source)|tracking\.uri|output\.dir)\b/;

/**
 * Calls fn, expects an EmofuseError whose message matches, and checks where it points: a string or
 * pattern for `where` (a file, file:line), or `{ option }` for the option of the call at fault.
 * Its message and fix must not name a run config's keys.
 */
export function expectEmofuseError(fn: () => unknown, message: RegExp, where?: RegExp | string | { option: string }): EmofuseError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isEmofuseError(caught), `expected an EmofuseError, got ${String(caught)}`).toBe(true);
  const err = caught as EmofuseError;
  expect(err.message).toMatch(message);
  if (where !== undefined) {
    if (typeof where === 'string') expect(err.where).toBe(where);
    else if (where instanceof RegExp) expect(err.where).toMatch(where);
    else expect(err.option).toBe(where.option);
  }
  expect(`${err.message}\n${err.fix ?? ''}`).not.toMatch(CONFIG_KEY);
  return err;
}
