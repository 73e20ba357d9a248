/**
 * `emofuse setup backend`: the fast tfjs backend ('tensorflow', tfjs-node) in the user's own
 * project, built offline the way the clone's scripts/build-tfjs-node.sh does it: tfjs-node's own
 * installer downloads libtensorflow from a host many machines cannot reach, so the TensorFlow C
 * library and headers come from PyPI's tensorflow-cpu wheel (pip download), and the binding is
 * compiled with node-gyp against this Node's headers. Everything lands in <dir>/node_modules and
 * <dir>/.cache/tensorflow; nothing is written into the emofuse install.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EmofuseError } from '@emofuse/core';
import { packageVersion } from './env.ts';

export interface BackendSetupOptions {
  /** The project whose node_modules gets tfjs-node (default: the current directory). */
  dir: string;
  /** Python with pip, for the wheel (default EMOFUSE_PYTHON, else python3). */
  python?: string;
  log?: (line: string) => void;
}

export interface BackendSetupResult {
  /** The tfjs-node folder that now loads. */
  tfjsNode: string;
  /** false when a working binding was already there. */
  built: boolean;
}

/** What the build needs, each with how it was found or what to do; `missing` lists the failures. */
export interface Prerequisites {
  python: string;
  nodeDir: string;
  nodeGyp: string | null;
  missing: string[];
}

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', ...opts });
}

/** node-gyp: the one npm ships (npm runs it for every native package), else a node_modules one. */
function findNodeGyp(): string | null {
  const npmCli = run('npm', ['root', '-g']).stdout?.toString().trim();
  const candidates = [
    process.env.npm_config_node_gyp,
    npmCli && path.join(npmCli, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(realpathSync(process.execPath)), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed beside the CLI
  }
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? null;
}

/** Checks Python with pip, a C++ compiler, make, Node's headers and node-gyp, before anything is written. */
export function checkPrerequisites(python = process.env.EMOFUSE_PYTHON ?? 'python3'): Prerequisites {
  const missing: string[] = [];
  const pip = run(python, ['-m', 'pip', '--version']);
  if (pip.status !== 0) missing.push(`Python with pip (${python} -m pip failed${pip.error ? `: ${pip.error.message}` : ''}; set EMOFUSE_PYTHON or install python3-pip)`);
  for (const [tool, hint] of [['c++', 'a C++ compiler (apt-get install g++)'], ['make', 'make (apt-get install make)']] as const) {
    if (run('sh', ['-c', `command -v ${tool}`]).status !== 0) missing.push(hint);
  }
  // Node's own headers ship with the Debian/NodeSource package and the nodejs.org tarballs; node-gyp would otherwise download them.
  const nodeDir = process.env.EMOFUSE_NODEDIR ?? path.resolve(path.dirname(realpathSync(process.execPath)), '..');
  if (!existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) {
    missing.push(`Node's headers (no ${path.join(nodeDir, 'include/node/node_api.h')}; set EMOFUSE_NODEDIR to a folder with include/node)`);
  }
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) missing.push('node-gyp (npm ships one; else npm install -g node-gyp)');
  return { python, nodeDir, nodeGyp, missing };
}

/** True when tfjs-node in `dir` loads and registers the 'tensorflow' backend (in a child process). */
export function probeTfjsNode(dir: string): { ok: boolean; error: string } {
  const r = run(process.execPath, ['-e', "require('@tensorflow/tfjs-node'); const tf = require('@tensorflow/tfjs'); if (tf.getBackend() !== 'tensorflow') { console.error('backend ' + tf.getBackend()); process.exit(3); }"],
    { cwd: dir, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' }, timeout: 120_000 });
  return { ok: r.status === 0, error: `${r.stderr ?? ''}`.trim().split('\n').filter(Boolean).slice(-1)[0] ?? `exit ${r.status}` };
}

function fail(message: string, fix: string, where?: string): never {
  throw new EmofuseError(message, { where: where ?? 'emofuse setup backend', fix });
}

/** Build tfjs-node's binding in `dir`/node_modules (installing tfjs-node there first if needed). */
export function setupBackend(opts: BackendSetupOptions): BackendSetupResult {
  const log = opts.log ?? ((l: string) => process.stderr.write(`[setup backend] ${l}\n`));
  const dir = path.resolve(opts.dir);
  const pkg = path.join(dir, 'node_modules', '@tensorflow', 'tfjs-node');
  if (existsSync(path.join(pkg, 'lib', 'napi-v8', 'tfjs_binding.node')) && probeTfjsNode(dir).ok) {
    log(`already built: ${pkg} loads (backend 'tensorflow')`);
    return { tfjsNode: pkg, built: false };
  }
  const pre = checkPrerequisites(opts.python);
  if (pre.missing.length) fail(`cannot build tfjs-node here; missing: ${pre.missing.join('; ')}`, 'install what is missing and rerun emofuse setup backend; until then training uses wasm or cpu');

  // tfjs-node at the version of the installed tfjs (they are released together), without its
  // install script (that is the download that fails). A folder without package.json gets one, so
  // npm does not climb to an ancestor project; tfjs-node is saved in it, so that a later
  // `npm install` in the project keeps it (an unsaved package is pruned) and its built binding.
  if (!existsSync(path.join(pkg, 'package.json'))) {
    const version = packageVersion('@tensorflow/tfjs') ?? '4.22.0';
    if (!existsSync(path.join(dir, 'package.json'))) writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ private: true }, null, 2)}\n`);
    log(`npm install @tensorflow/tfjs-node@${version} into ${path.join(dir, 'node_modules')} (install script skipped)`);
    const npm = run('npm', ['install', '--prefix', dir, '--save-exact', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', `@tensorflow/tfjs-node@${version}`], { stdio: 'inherit' });
    if (npm.status !== 0) fail(`npm install @tensorflow/tfjs-node@${version} failed (exit ${npm.status})`, 'check the npm registry or proxy (npm config get registry) and rerun', dir);
  }

  const cache = path.join(dir, '.cache', 'tensorflow');
  mkdirSync(cache, { recursive: true });
  const wheel = () => readdirSync(cache).find((f) => /^tensorflow_cpu-.*\.whl$/.test(f));
  if (!wheel()) {
    log('pip download tensorflow-cpu (about 274 MB; only its C library and headers are used)');
    const r = run(pre.python, ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '-q', '-d', cache, 'tensorflow-cpu'], { stdio: 'inherit' });
    if (r.status !== 0 || !wheel()) fail(`pip download tensorflow-cpu failed (exit ${r.status})`, 'check pip can reach PyPI (pip config list), or put a tensorflow_cpu-*.whl into that folder', cache);
  }
  const tf = path.join(cache, 'tensorflow');
  if (!existsSync(path.join(tf, 'libtensorflow_cc.so.2'))) {
    log(`unpacking the C library and headers of ${wheel()}`);
    const unzip = [
      'import sys, zipfile',
      'whl, dest = sys.argv[1], sys.argv[2]',
      'with zipfile.ZipFile(whl) as z:',
      "    names = [n for n in z.namelist() if n.startswith('tensorflow/include/') or n in ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2')]",
      '    z.extractall(dest, names)',
    ].join('\n');
    const r = run(pre.python, ['-c', unzip, path.join(cache, wheel()!), cache]);
    if (r.status !== 0) fail(`unpacking the wheel failed: ${`${r.stderr}`.trim().split('\n').slice(-1)[0]}`, 'delete the .whl there and rerun', cache);
  }
  // The names tfjs-node's binding.gyp links against, all pointing into the unpacked wheel.
  const lib = path.join(pkg, 'deps', 'lib');
  mkdirSync(lib, { recursive: true });
  const links: [string, string][] = [
    ['libtensorflow_cc.so.2', 'libtensorflow_cc.so.2'], ['libtensorflow.so.2', 'libtensorflow_cc.so.2'], ['libtensorflow.so', 'libtensorflow_cc.so.2'],
    ['libtensorflow_framework.so.2', 'libtensorflow_framework.so.2'], ['libtensorflow_framework.so', 'libtensorflow_framework.so.2'],
  ];
  for (const [name, target] of links) {
    rmSync(path.join(lib, name), { force: true });
    symlinkSync(path.join(tf, target), path.join(lib, name));
  }
  rmSync(path.join(pkg, 'deps', 'include'), { recursive: true, force: true });
  symlinkSync(path.join(tf, 'include'), path.join(pkg, 'deps', 'include'));

  log('compiling the binding with node-gyp (about 20 s)');
  const gypLog = path.join(cache, 'node-gyp.log');
  const gyp = run(process.execPath, [pre.nodeGyp!, 'rebuild', `--nodedir=${pre.nodeDir}`, '--module_name=tfjs_binding', '--module_path=lib/napi-v8', '--napi_build_version=8'], { cwd: pkg, maxBuffer: 64 << 20 });
  writeFileSync(gypLog, `${gyp.stdout ?? ''}\n${gyp.stderr ?? ''}`);
  if (gyp.status !== 0) fail(`node-gyp failed (exit ${gyp.status}): ${`${gyp.stderr}`.trim().split('\n').filter((l) => /error/i.test(l)).slice(0, 2).join(' | ')}`, `read ${gypLog}`, pkg);
  mkdirSync(path.join(pkg, 'lib', 'napi-v8'), { recursive: true });
  copyFileSync(path.join(pkg, 'build', 'Release', 'tfjs_binding.node'), path.join(pkg, 'lib', 'napi-v8', 'tfjs_binding.node'));
  const probe = probeTfjsNode(dir);
  if (!probe.ok) fail(`built, but loading tfjs-node failed: ${probe.error}`, `read ${gypLog}; the library is in ${tf}`, pkg);
  log(`built: ${pkg} loads (backend 'tensorflow'); emofuse run from ${dir} uses it`);
  return { tfjsNode: pkg, built: true };
}

/** tfjs-node's version in `dir`/node_modules, for messages. */
export function tfjsNodeVersion(dir: string): string | null {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'node_modules', '@tensorflow', 'tfjs-node', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}
