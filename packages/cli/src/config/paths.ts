import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root: packages/cli/src/config -> four levels up. */
export const repoRoot = path.resolve(import.meta.dirname, '../../../..');

/** True when `file` lies inside the emofuse repository (shipped experiments, defaults). */
export function insideRepo(file: string): boolean {
  const rel = path.relative(repoRoot, path.resolve(file));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Where the relative paths of one layer of configuration resolve. A path resolves against the
 * place it was written:
 * - the defaults and any YAML file inside the repository: the repository root, so shipped
 *   experiments say `../shared/data/...` whatever folder depth they live at;
 * - a YAML file outside the repository: that file's directory (it travels with its data);
 * - `--set` on the command line: the current working directory, like any shell argument.
 */
export function baseDirFor(origin: { file?: string; cwd?: string }): string {
  if (origin.file) return insideRepo(origin.file) ? repoRoot : path.dirname(path.resolve(origin.file));
  return origin.cwd ?? process.cwd();
}

/** Shown in messages: a path relative to the cwd when shorter, else absolute. */
export function displayPath(p: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, p);
  return rel && rel.length < p.length ? rel : p;
}

export function fileExists(p: string): boolean {
  return existsSync(p);
}
