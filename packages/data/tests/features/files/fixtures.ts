import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { FeatureTable } from '../../../src/features/files/index.ts';
import { python, tempDir } from '../helpers.ts';

export { catchEmofuse, emodbWavDir, python, removeTempDirs, sharedData, tempDir } from '../helpers.ts';

/** The venv's python with numpy/pandas/pyarrow, or undefined (with the reason printed) when absent. */
export const havePython = existsSync(python);
if (!havePython) console.warn(`skipping the tests of files written by numpy/pandas/pyarrow/opensmile: no python at ${python} (run scripts/setup.sh)`);

/** Writes the fixtures of write_fixtures.py into a fresh temp dir (with the EmoDB opensmile CSV when wavDir is given). */
export function writeFixtures(wavDir?: string): string {
  const dir = tempDir('emofuse-feature-files-');
  execFileSync(python, [path.join(import.meta.dirname, 'write_fixtures.py'), dir, ...(wavDir ? [wavDir] : [])], { stdio: ['ignore', 'ignore', 'inherit'] });
  return dir;
}

/** Writes text to a new file in a temp dir and returns its path. */
export function textFile(name: string, text: string): string {
  const file = path.join(tempDir('emofuse-feature-text-'), name);
  writeFileSync(file, text);
  return file;
}

/** Compares a table with what numpy/pandas read from the same file (the fixture's .expect files). */
export function expectSameAs(t: FeatureTable, dir: string, name: string, opts: { columns?: boolean } = {}): void {
  const want = JSON.parse(readFileSync(path.join(dir, `${name}.expect.json`), 'utf8')) as {
    ids: string[]; columns: string[]; missingPerColumn: number[]; rowsWithMissing: number;
  };
  const raw = readFileSync(path.join(dir, `${name}.expect.f4`));
  const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  expect(t.ids).toEqual(want.ids);
  if (opts.columns !== false) expect(t.columns).toEqual(want.columns);
  expect(t.dim).toBe(want.columns.length);
  expect(t.missingPerColumn).toEqual(want.missingPerColumn);
  expect(t.rowsWithMissing).toBe(want.rowsWithMissing);
  expect(t.values.length).toBe(values.length);
  // Bit-for-bit the same float32s (NaN where pandas/numpy have NaN).
  let diff = 0;
  for (let i = 0; i < values.length; i++) if (!Object.is(t.values[i], values[i])) diff++;
  expect(diff, 'cells that differ from numpy/pandas').toBe(0);
}
