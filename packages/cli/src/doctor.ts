import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { OpensmileInstall } from '@emofuse/data';
import { cloneRoot } from './config/paths.ts';
import { gitInfo, packageVersion, pythonPath, pythonVersions } from './env.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: CheckStatus;
  /** The short answer (a version, a backend, a path). */
  value: string;
  /** Why, or what to do. */
  detail: string;
}

export interface DoctorReport {
  /** The tfjs backend training would use here ('tensorflow' | 'wasm' | 'cpu'). */
  backend: string;
  checks: Check[];
  /** true when nothing failed (warnings allowed). */
  ok: boolean;
}

/** Which tfjs backend runs and why: the models package's own selection when it has one. */
async function backendCheck(): Promise<Check> {
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'; // keep libtensorflow's start-up chatter out of the table
  try {
    const models = (await import('@emofuse/models')) as Record<string, unknown>;
    if (typeof models.selectBackend === 'function') {
      const choice = (await (models.selectBackend as (p: string) => Promise<{ name: string; reason: string }>)('auto'));
      return { name: 'tfjs backend', status: choice.name === 'tensorflow' ? 'ok' : 'warn', value: choice.name, detail: choice.name === 'tensorflow' ? choice.reason : `${choice.reason}; for the fast backend: emofuse setup backend` };
    }
  } catch (e) {
    return { name: 'tfjs backend', status: 'fail', value: 'none', detail: `backend selection failed: ${firstLine(e)}` };
  }
  // Fallback probe, same order as train.backend 'auto'.
  const notes: string[] = [];
  try {
    await import('@tensorflow/tfjs-node');
    return { name: 'tfjs backend', status: 'ok', value: 'tensorflow', detail: 'tfjs-node (libtensorflow) loaded' };
  } catch (e) {
    notes.push(`tfjs-node unavailable (${firstLine(e)})`);
  }
  try {
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) return { name: 'tfjs backend', status: 'warn', value: 'wasm', detail: `${notes.join('; ')}; wasm lacks some gradient kernels` };
    notes.push('wasm failed to initialise');
  } catch (e) {
    notes.push(`wasm unavailable (${firstLine(e)})`);
  }
  return { name: 'tfjs backend', status: 'warn', value: 'cpu', detail: `${notes.join('; ')}; pure-JS cpu is ~600x slower for the CNNs` };
}

function versionCheck(name: string, pkg: string, required: boolean): Check {
  const v = packageVersion(pkg);
  return v
    ? { name, status: 'ok', value: v, detail: pkg }
    : { name, status: required ? 'fail' : 'warn', value: 'missing', detail: `npm package ${pkg} not installed; ${pkg === '@tensorflow/tfjs-node' ? 'emofuse setup backend builds it' : cloneRoot ? 'run npm ci (scripts/setup.sh)' : 'reinstall @emofuse/cli'}` };
}

function nodeCheck(): Check {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const ok = major > 20 || (major === 20 && minor >= 19);
  return { name: 'node', status: ok ? 'ok' : 'fail', value: process.version, detail: ok ? 'needs >= 20.19' : 'needs >= 20.19 (import.meta.dirname, --import tsx)' };
}

/** How to add a Python package: the clone's requirements.txt into its venv, else pip for that python. */
function pipHint(python: string, pkg: string): string {
  return cloneRoot ? 'pip install -r requirements.txt into the venv' : `${python} -m pip install ${pkg} (or set EMOFUSE_PYTHON to a python that has it)`;
}

function pythonChecks(): Check[] {
  const python = pythonPath();
  const versions = pythonVersions(python);
  if (!versions) {
    const missing = { status: 'warn' as const, value: 'missing', detail: `no usable Python at ${python}; ${cloneRoot ? 'run scripts/setup.sh or set EMOFUSE_PYTHON' : 'pip install opensmile mlflow into the python3 on PATH, or set EMOFUSE_PYTHON'}` };
    return [{ name: 'python venv', ...missing }, { name: 'mlflow', ...missing }, { name: 'opensmile', ...missing }];
  }
  return [
    { name: 'python venv', status: 'ok', value: versions.version, detail: python },
    versions.mlflow
      ? { name: 'mlflow', status: 'ok', value: versions.mlflow, detail: 'python package in the venv (server for tests, tracking)' }
      : { name: 'mlflow', status: 'warn', value: 'missing', detail: `${pipHint(python, 'mlflow')}; local ./mlruns tracking still works` },
    versions.opensmile
      ? { name: 'opensmile', status: 'ok', value: versions.opensmile, detail: 'python package in the venv (ComParE_2016 config, libSMILEapi)' }
      : { name: 'opensmile', status: 'warn', value: 'missing', detail: `${pipHint(python, 'opensmile')}; speech features need it` },
  ];
}

/** SMILExtract: on PATH, inside the opensmile package, or the data package's libSMILEapi shim; then `-h` must exit 0. */
function smileCheck(install: OpensmileInstall | null): Check {
  const candidates: { cmd: string; args: string[]; label: string; test: string }[] = [];
  const onPath = spawnSync('sh', ['-c', 'command -v SMILExtract'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) candidates.push({ cmd: onPath.stdout.trim(), args: ['-h'], label: onPath.stdout.trim(), test: '-h exits 0' });
  if (install) {
    if (install.binary) candidates.push({ cmd: install.binary, args: ['-h'], label: install.binary, test: '-h exits 0' });
    // opensmile 2.x on PyPI ships libSMILEapi.so but no SMILExtract; the data package wraps the library.
    // The shim has no -h; loading the library through ctypes, as the shim does, is the equivalent test.
    const load = `import ctypes, os, platform; ctypes.CDLL(os.path.join(${JSON.stringify(install.packageDir)}, "core", "bin", "manylinux_2_17_" + platform.machine().lower(), "libSMILEapi.so"))`;
    const shim = install.shim;
    if (existsSync(shim)) candidates.push({ cmd: install.python, args: ['-c', load], label: `${cloneRoot ? path.relative(cloneRoot, shim) : shim} (shim over libSMILEapi)`, test: 'libSMILEapi loads' });
  }
  if (candidates.length === 0) {
    return { name: 'SMILExtract', status: 'warn', value: 'missing', detail: 'not on PATH nor in the opensmile package; openSMILE features unavailable (pkl features still work)' };
  }
  const failures: string[] = [];
  for (const c of candidates) {
    const r = spawnSync(c.cmd, c.args, { encoding: 'utf8', timeout: 15_000 });
    if (r.status === 0) return { name: 'SMILExtract', status: 'ok', value: 'runs', detail: `${c.label}: ${c.test}` };
    failures.push(`${c.label}: ${r.error ? r.error.message : `exit ${r.status} ${firstLine(r.stderr ?? '')}`}`);
  }
  return { name: 'SMILExtract', status: 'warn', value: 'broken', detail: failures.join('; ') };
}

/**
 * MLflow server at MLFLOW_TRACKING_URI (3 s timeout), else the local store. Sends the credentials the
 * client would (URI user info, MLFLOW_TRACKING_USERNAME/PASSWORD, MLFLOW_TRACKING_TOKEN), and checks
 * the API too: /health answers without them, so a refused login shows only there.
 */
export async function mlflowCheck(uri = process.env.MLFLOW_TRACKING_URI): Promise<Check> {
  if (!uri) return { name: 'mlflow tracking', status: 'ok', value: 'local store ./mlruns', detail: 'MLFLOW_TRACKING_URI not set; runs are logged to files (push later with `emofuse runs push`)' };
  const { mlflowOptionsFromEnv, redactUri, splitCredentials } = await import('@emofuse/tracking');
  if (!/^https?:\/\//.test(uri)) return { name: 'mlflow tracking', status: 'ok', value: redactUri(uri), detail: 'not an HTTP server; used as given' };
  const o = mlflowOptionsFromEnv(process.env, uri);
  const cred = splitCredentials(o.uri);
  const user = cred.username ?? o.username;
  const pass = cred.username !== undefined ? (cred.password ?? '') : o.password;
  const headers: Record<string, string> = {};
  if (user !== undefined && pass !== undefined) headers.Authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  else if (o.token) headers.Authorization = `Bearer ${o.token}`;
  const auth = headers.Authorization ? (headers.Authorization.startsWith('Basic') ? ', basic auth' : ', token') : '';
  const base = cred.uri.replace(/\/+$/, '');
  const tried: string[] = [];
  let up = false;
  for (const probe of ['/health', '/api/2.0/mlflow/experiments/search?max_results=1']) {
    const name = probe.split('?')[0];
    try {
      // A server whose /health answered gets longer for the login (a password hash is checked per request).
      const res = await fetch(base + probe, { headers, signal: AbortSignal.timeout(up ? 10_000 : 3000) });
      tried.push(`${name} -> ${res.status}`);
      if (res.status === 401 || res.status === 403) {
        return { name: 'mlflow tracking', status: 'warn', value: 'login refused', detail: `${base} (GET ${tried.join(', GET ')}${auth}): set MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN (or user:password@ in the URI)` };
      }
      up ||= res.ok;
    } catch (e) {
      tried.push(`${name} -> ${e instanceof Error && e.name === 'TimeoutError' ? `no answer in ${up ? 10 : 3} s` : firstLine((e as Error).cause ?? e)}`);
    }
  }
  if (up) return { name: 'mlflow tracking', status: 'ok', value: 'reachable', detail: `${base} (GET ${tried.join(', GET ')}${auth})` };
  return { name: 'mlflow tracking', status: 'warn', value: 'unreachable', detail: `${base}: ${tried.join('; ')}; unset MLFLOW_TRACKING_URI to log locally` };
}

function gitCheck(): Check {
  const g = gitInfo();
  if (!g.commit) return { name: 'git', status: 'warn', value: 'no checkout', detail: 'runs will not record a commit' };
  return { name: 'git', status: g.dirty ? 'warn' : 'ok', value: `${g.commit.slice(0, 12)}${g.dirty ? ' (dirty)' : ''}`, detail: g.dirty ? 'tracked files changed since the commit: results will not be reproducible from it alone' : 'clean' };
}

function chromiumCheck(): Check {
  const names = [process.env.CHROMIUM_PATH, 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'].filter(Boolean) as string[];
  for (const n of names) {
    try {
      const out = execFileSync(n, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      return { name: 'chromium', status: 'ok', value: /\d+(\.\d+)+/.exec(out)?.[0] ?? 'present', detail: `${n}: ${out}` };
    } catch {
      // try the next name
    }
  }
  return { name: 'chromium', status: 'warn', value: 'missing', detail: cloneRoot ? 'report images and the browser test need it: scripts/setup.sh --browser' : 'report images need it (apt-get install chromium, or set CHROMIUM_PATH); the HTML report works without' };
}

/** The opensmile package the data package would use (its directory, binary if any, and shim), or null. */
async function opensmileInstall(): Promise<OpensmileInstall | null> {
  try {
    const { locateOpensmile } = await import('@emofuse/data');
    return locateOpensmile(pythonPath());
  } catch {
    return null;
  }
}

/** Everything `emofuse doctor` checks, in display order. */
export async function runDoctor(): Promise<DoctorReport> {
  const backend = await backendCheck();
  const checks: Check[] = [
    nodeCheck(),
    backend,
    versionCheck('tfjs', '@tensorflow/tfjs', true),
    versionCheck('tfjs-node', '@tensorflow/tfjs-node', false),
    versionCheck('tfjs-backend-wasm', '@tensorflow/tfjs-backend-wasm', false),
    versionCheck('arquero', 'arquero', true),
    versionCheck('vega-lite', 'vega-lite', true),
    ...pythonChecks(),
    smileCheck(await opensmileInstall()),
    await mlflowCheck(),
    gitCheck(),
    chromiumCheck(),
  ];
  return { backend: backend.value, checks, ok: checks.every((c) => c.status !== 'fail') };
}

/** Aligned table: check, status, value, detail. */
export function formatDoctor(r: DoctorReport): string {
  const w0 = Math.max(...r.checks.map((c) => c.name.length), 5);
  const w2 = Math.max(...r.checks.map((c) => c.value.length), 5);
  const rows = r.checks.map((c) => `${c.name.padEnd(w0)}  ${c.status.padEnd(4)}  ${c.value.padEnd(w2)}  ${c.detail}`);
  const head = `${'check'.padEnd(w0)}  ${'ok?'.padEnd(4)}  ${'value'.padEnd(w2)}  detail`;
  return [head, '-'.repeat(head.length + 10), ...rows].join('\n');
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
