import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The emofuse clone this code runs from, or null when it runs from an install (npm i -g, npx, a
 * project's node_modules). Four levels up from packages/cli/{src,dist}/config is the clone's root
 * when that folder's package.json is the workspace's ("emofuse") with packages/ beside it; in an
 * install the same four levels lead somewhere under node_modules' parent, which must never be used
 * as a base for the user's paths.
 */
export function findClone(from = import.meta.dirname): string | null {
  const root = path.resolve(from, '../../../..');
  try {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name?: string };
    return manifest.name === 'emofuse' && statSync(path.join(root, 'packages', 'cli')).isDirectory() ? root : null;
  } catch {
    return null;
  }
}

export const cloneRoot: string | null = findClone();

/**
 * Where the defaults' relative paths (output.dir, features.cacheDir) resolve: the clone's root
 * inside the clone (its runs/ and .cache/), else the current directory, never the package folder.
 * Kept as `repoRoot` for the callers that only ever ran in the clone.
 */
export const repoRoot: string = cloneRoot ?? process.cwd();

/** True when `file` lies inside the emofuse clone (shipped experiments, defaults); never in an install. */
export function insideRepo(file: string): boolean {
  if (cloneRoot === null) return false;
  const rel = path.relative(cloneRoot, path.resolve(file));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Where the relative paths of one layer of configuration resolve. A path resolves against the
 * place it was written:
 * - the defaults and any YAML file inside the clone: the clone's root, so shipped experiments say
 *   `../shared/data/...` whatever folder depth they live at (outside a clone the defaults resolve
 *   against the current directory);
 * - a YAML file outside the clone: that file's directory (it travels with its data);
 * - `--set` on the command line: the current working directory, like any shell argument.
 */
export function baseDirFor(origin: { file?: string; cwd?: string }): string {
  if (origin.file) return insideRepo(origin.file) ? (cloneRoot as string) : path.dirname(path.resolve(origin.file));
  return origin.cwd ?? process.cwd();
}

/**
 * The variable a path may start with to mean the data folder: `$EMOFUSE_DATA/iemocap/iemocap.pkl`
 * (`${EMOFUSE_DATA}` too, though braces need quotes inside a YAML flow mapping).
 */
export const DATA_VAR = '$EMOFUSE_DATA';
const DATA_PREFIX = /^\$\{?EMOFUSE_DATA\}?(?=\/|$)/;

/** True when a path value still starts with the data variable (no data folder was known). */
export function hasDataVar(value: string): boolean {
  return DATA_PREFIX.test(value);
}

/**
 * The data folder (holding iemocap/, emodb/, ...): env EMOFUSE_DATA (also set by `--data`), else
 * inside the clone the shared data beside it (../shared/data), else null: an install has no
 * default data location.
 */
export function dataRoot(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.EMOFUSE_DATA) return path.resolve(env.EMOFUSE_DATA);
  return cloneRoot ? path.resolve(cloneRoot, '../shared/data') : null;
}

/**
 * A path value as written, made absolute against `base`: `~` is the home folder, a leading
 * `$EMOFUSE_DATA` (or `${EMOFUSE_DATA}`) the data folder. With no data folder known the value is
 * returned unchanged, so the missing-file check names the variable and how to set it.
 */
export function resolvePathValue(value: string, base: string): string {
  const data = DATA_PREFIX.exec(value);
  if (data) {
    const root = dataRoot();
    return root ? path.join(root, value.slice(data[0].length)) : value;
  }
  const expanded = value === '~' || value.startsWith('~/') ? path.join(os.homedir(), value.slice(1)) : value;
  return path.resolve(base, expanded);
}

/** The fix for a path that still holds `$EMOFUSE_DATA` (no data folder was given). */
export const DATA_FIX = 'say where your data is: export EMOFUSE_DATA=/path/to/data, or --data /path/to/data, or --set corpus.path=/path/to/file';

/** Shown in messages: a path relative to the cwd when shorter, else absolute. */
export function displayPath(p: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, p);
  return rel && rel.length < p.length ? rel : p;
}

export function fileExists(p: string): boolean {
  return existsSync(p);
}
