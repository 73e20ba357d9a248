import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../../../..');

/** The project's Python (scikit-learn, scipy, numpy): <repoRoot>/.venv/bin/python unless EMOFUSE_PYTHON says otherwise. */
export function pythonPath(): string {
  const py = process.env.EMOFUSE_PYTHON ?? path.join(repoRoot, '.venv/bin/python');
  if (!existsSync(py)) throw new Error(`no Python at ${py}: run scripts/setup.sh (or set EMOFUSE_PYTHON)`);
  return py;
}

/** Runs a helper script with JSON on stdin and parses its JSON stdout. */
export function runPythonJson<T>(script: string, input: unknown): T {
  const r = spawnSync(pythonPath(), [path.join(import.meta.dirname, script)], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
