import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { isEmofuseError } from '@emofuse/core';
import type { FeatureMatrix, Utterance } from '@emofuse/core';

export const repoRoot = path.resolve(import.meta.dirname, '../../../..');
export const sharedData = process.env.EMOFUSE_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data');
export const emodbWavDir = path.join(sharedData, 'emodb', 'wav');
export const iemocapPkl = path.join(sharedData, 'iemocap', 'iemocap.pkl');
export const python = process.env.EMOFUSE_PYTHON ?? path.join(repoRoot, '.venv', 'bin', 'python');

const dirs: string[] = [];
export function tempDir(prefix = 'emofuse-features-'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function utt(id: string, text: string, extra: Partial<Utterance> = {}): Utterance {
  return { id, dialogue: 'd', session: 's', speaker: 'p', label: 'x', text, ...extra };
}

/** Runs fn and returns the EmofuseError it throws (fails the test if it throws anything else). */
export async function catchEmofuse(fn: () => unknown): Promise<{ message: string; where?: string; fix?: string; describe(): string }> {
  try {
    await fn();
  } catch (e) {
    expect(isEmofuseError(e), `expected an EmofuseError, got ${String(e)}`).toBe(true);
    return e as never;
  }
  throw new Error('expected an EmofuseError, nothing was thrown');
}

export function matrix(rows: number[][], ids = rows.map((_, i) => `u${i}`)): FeatureMatrix {
  return { ids, dim: rows[0].length, values: Float32Array.from(rows.flat()) };
}

export function row(m: FeatureMatrix, r: number): number[] {
  return Array.from(m.values.subarray(r * m.dim, (r + 1) * m.dim));
}
