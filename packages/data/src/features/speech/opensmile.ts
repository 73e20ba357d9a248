import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import cliProgress from 'cli-progress';
import pLimit from 'p-limit';
import { EmofuseError } from '@emofuse/core';
import type { FeatureMatrix, Utterance } from '@emofuse/core';
import { readWavHeader } from './wav.ts';
import { contentHash } from '../cache.ts';

/** packages/data/{src,dist}/features/speech -> the repository root (in an install: a folder under node_modules' parent). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../../../../..');
/** The clone's .venv python, when this code runs from an emofuse clone (its root package.json is "emofuse"). */
function cloneVenvPython(): string | null {
  try {
    const name = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name?: string }).name;
    return name === 'emofuse' && existsSync(path.join(REPO_ROOT, 'packages')) ? path.join(REPO_ROOT, '.venv', 'bin', 'python') : null;
  } catch {
    return null;
  }
}
/** Our SMILExtract-compatible command over libSMILEapi (the PyPI package has no SMILExtract). */
export const SMILEXTRACT_SHIM = path.join(import.meta.dirname, 'smilextract.py');
/** Our output include: the functionals level as CSV (works for every config of the package). */
export const FUNC_CSV_SINK = path.join(import.meta.dirname, 'func_csv_sink.conf.inc');

/** Number of functionals each known config yields; other configs are only checked for consistency. */
export const KNOWN_DIMS: Readonly<Record<string, number>> = { ComParE_2016: 6373, eGeMAPSv02: 88, GeMAPSv01b: 62 };

export interface OpensmileInstall {
  python: string;
  /** site-packages/opensmile */
  packageDir: string;
  /** site-packages/opensmile/core/config */
  configRoot: string;
  version: string;
  /** A real SMILExtract executable shipped in the package, if any (opensmile 2.x ships none). */
  binary?: string;
  /** The extractor emofuse runs over the package's libSMILEapi when there is no binary. */
  shim: string;
}

const installs = new Map<string, OpensmileInstall>();

/** How to get a Python with opensmile, naming the three places looked at in order. */
export const PYTHON_FIX = 'set EMOFUSE_PYTHON to a python that has opensmile, `pip install opensmile` for the python3 on PATH,' +
  ' or make a .venv with opensmile at the repository root';

let pathPython: string | null | undefined;
/** python3 on PATH when it can import opensmile (asked once per process). */
function pathPythonWithOpensmile(): string | null {
  if (pathPython === undefined) {
    const r = spawnSync('python3', ['-c', "import importlib.util as u, sys; print(sys.executable) if u.find_spec('opensmile') else sys.exit(3)"], { encoding: 'utf8', timeout: 20_000 });
    pathPython = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
  }
  return pathPython;
}

/**
 * The Python that runs openSMILE, in order: env EMOFUSE_PYTHON; python3 on PATH when it imports
 * opensmile; the clone's .venv/bin/python. Throws naming all three when none applies.
 */
export function defaultPython(): string {
  if (process.env.EMOFUSE_PYTHON) return process.env.EMOFUSE_PYTHON;
  const onPath = pathPythonWithOpensmile();
  if (onPath) return onPath;
  const venv = cloneVenvPython();
  if (venv && existsSync(venv)) return venv;
  throw new EmofuseError('no Python with opensmile: EMOFUSE_PYTHON is not set, python3 on PATH cannot import opensmile' +
    `${venv ? `, and ${venv} does not exist` : ', and this is not an emofuse clone with a .venv'}`, { where: 'openSMILE features', fix: PYTHON_FIX });
}

/** Finds the `opensmile` Python package of `python` (default: defaultPython()). */
export function locateOpensmile(python = defaultPython()): OpensmileInstall {
  const known = installs.get(python);
  if (known) return known;
  const fix = PYTHON_FIX;
  if (!existsSync(python)) throw new EmofuseError('no Python interpreter here', { where: python, fix });
  const code = [
    'import importlib.util, importlib.metadata, json',
    "s = importlib.util.find_spec('opensmile')",
    "print(json.dumps(None if s is None else {'dir': list(s.submodule_search_locations)[0], 'version': importlib.metadata.version('opensmile')}))",
  ].join('\n');
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new EmofuseError(`cannot run Python: ${r.stderr || r.error?.message}`, { where: python, fix });
  const found = JSON.parse(r.stdout.trim()) as { dir: string; version: string } | null;
  if (!found) throw new EmofuseError('the Python package opensmile is not installed', { where: python, fix });
  const binDir = path.join(found.dir, 'core', 'bin', 'manylinux_2_17_x86_64');
  const binary = ['SMILExtract'].map((b) => path.join(binDir, b)).find(existsSync);
  const install: OpensmileInstall = { python, packageDir: found.dir, configRoot: path.join(found.dir, 'core', 'config'), version: found.version, binary, shim: SMILEXTRACT_SHIM };
  installs.set(python, install);
  return install;
}

/** A config name in opensmile's config tree (e.g. ComParE_2016, eGeMAPSv02) or a path to a .conf. */
export function resolveSmileConfig(config: string, install: OpensmileInstall): string {
  if (config.endsWith('.conf') || config.includes('/')) {
    const p = path.resolve(config);
    if (!existsSync(p)) throw new EmofuseError('the openSMILE config file does not exist', { where: p, fix: 'give the path of an existing .conf file, or the name of one of opensmile\'s configs' });
    return p;
  }
  const candidates = (readdirSync(install.configRoot, { recursive: true }) as string[])
    .filter((f) => path.basename(f) === `${config}.conf`)
    .sort()
    .map((f) => path.join(install.configRoot, f));
  const hit = candidates.find(existsSync);
  if (!hit) {
    throw new EmofuseError(`unknown openSMILE config ${JSON.stringify(config)}`, {
      where: 'openSMILE config',
      fix: `use ComParE_2016 (the paper's set), eGeMAPSv02, IS09_emotion, ... (any .conf under ${install.configRoot}) or a path to a .conf file`,
    });
  }
  return hit;
}

/**
 * The command line for one file. The package's configs take their input and output as includes
 * (`\cm[source]`, `\cm[sink]`), as the Python package passes its external ones: we pass its file
 * input include and our FUNC_CSV_SINK, which writes the functionals level (6373 values for
 * ComParE_2016) to `func_csv_output`; `-func_csv_timestamp 0` drops the frameTime column.
 */
export function smileArgs(install: OpensmileInstall, configFile: string, wav: string, csv: string, header = true): string[] {
  return [...smileSharedArgs(install, configFile), ...Object.entries(smileFileOptions(wav, csv, header)).flatMap(([k, v]) => [`-${k}`, v])];
}

/** The arguments of smileArgs that are the same for every file (what a `--serve` process is started with). */
export function smileSharedArgs(install: OpensmileInstall, configFile: string): string[] {
  const shared = (f: string) => path.join(install.configRoot, 'shared', f);
  return [
    '-C', configFile,
    '-source', shared('standard_wave_input.conf.inc'),
    '-sink', FUNC_CSV_SINK,
    '-bufferModeRbConf', shared('BufferModeRb.conf.inc'),
    '-frameModeFunctionalsConf', shared('FrameModeFunctionals.conf.inc'),
    '-func_csv_timestamp', '0',
    '-func_csv_append', '0',
    '-l', '1',
  ];
}

/**
 * The options that differ per file: its WAV, the CSV to write and whether to start it with the
 * header of feature names (for ComParE, 6373 long names: writing and reading them costs more than
 * a quarter of the time of a file, so only one file per extraction writes them).
 */
function smileFileOptions(wav: string, csv: string, header: boolean): Record<string, string> {
  return { I: wav, func_csv_output: csv, func_csv_header: header ? '1' : '0' };
}

export interface ExtractProgress {
  done: number;
  total: number;
  failed: number;
  /** The utterance just finished. */
  id: string;
  error?: string;
}

export interface ExtractFailure {
  id: string;
  wav: string;
  error: string;
}

export interface OpensmileOptions {
  /** A SMILExtract executable; default: one inside the opensmile package, else our libSMILEapi shim. */
  binary?: string;
  /** Python with the opensmile package (default: defaultPython(), EMOFUSE_PYTHON, python3 on PATH, the clone's .venv). */
  python?: string;
  /** Config name or .conf path; default ComParE_2016 (the paper's 6373 functionals). */
  config?: string;
  /** Files extracted at the same time (one process each); default 2. */
  workers?: number;
  onProgress?: (p: ExtractProgress) => void;
  /** A file taking longer than this is killed and reported as failed; default 120 s. */
  timeoutMs?: number;
  /** Aborting stops the extraction: the openSMILE processes are killed and extractOpensmile throws. */
  signal?: AbortSignal;
}

export interface OpensmileResult {
  /** Rows of the utterances that succeeded, in input order. */
  matrix: FeatureMatrix;
  /** Feature names from the CSV header (dim of them). */
  names: string[];
  failures: ExtractFailure[];
  /** The program and arguments used (the first server's, or for the first file with `binary`), for logs. */
  command: string[];
  install: OpensmileInstall;
}

function run(cmd: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<{ code: number | null; signal: string | null; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], signal, killSignal: 'SIGKILL' });
    let output = '';
    const keep = (b: Buffer) => {
      output = (output + b.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, timedOut });
    });
  });
}

/** Last lines of what a process printed, for an error message. */
const lastLines = (text: string, n = 3) => text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-n).join(' | ');

/**
 * One long-lived `smilextract.py --serve` process: libSMILEapi is loaded once, files come one at a
 * time over stdin and each gets a JSON answer line. A failing file fails alone; a crash or a timeout
 * fails the file in flight, and the pool starts a new server for the next one.
 */
class SmileServer {
  private readonly child: ChildProcess;
  private readonly log: string;
  private buffered = '';
  private stderr = '';
  private pending?: { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout };
  /** How the process ended, once it has. */
  ended?: string;
  private killed = false;
  private readonly closed: Promise<void>;

  constructor(python: string, sharedArgs: string[], log: string) {
    this.log = log;
    this.child = spawn(python, [SMILEXTRACT_SHIM, '--serve', log, ...sharedArgs], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // For the server's check that its parent did not die before it asked to die with it.
      env: { ...process.env, EMOFUSE_SMILE_PARENT: String(process.pid) },
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffered += chunk;
      for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
        this.answer(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.child.stdin!.on('error', () => undefined); // EPIPE after a crash; 'close' reports the crash
    this.closed = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.end(`could not start ${python}: ${e.message}`);
        resolve();
      });
      this.child.on('close', (code, signal) => {
        this.end(signal ? `killed by ${signal}` : `exit ${code}`);
        resolve();
      });
    });
  }

  /** Extracts one file; rejects with what openSMILE said when it fails, crashes or times out. */
  extract(options: Record<string, string>, timeoutMs: number): Promise<void> {
    if (!this.usable) return Promise.reject(new Error(`the openSMILE server had stopped (${this.ended ?? 'killed'})`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle()?.reject(new Error(`openSMILE did not finish within ${timeoutMs / 1000} s and was stopped`));
        this.kill();
      }, timeoutMs);
      this.pending = { resolve, reject, timer };
      this.child.stdin!.write(`${JSON.stringify(options)}\n`);
    });
  }

  private settle() {
    const p = this.pending;
    this.pending = undefined;
    if (p) clearTimeout(p.timer);
    return p;
  }

  private answer(line: string) {
    const p = this.settle();
    if (!p) return;
    let a: { ok?: boolean; error?: string };
    try {
      a = JSON.parse(line) as typeof a;
    } catch {
      return p.reject(new Error(`unexpected answer from the openSMILE server: ${line.slice(0, 200)}`));
    }
    if (a.ok) p.resolve();
    else p.reject(new Error(`openSMILE failed: ${a.error ?? 'no message'}`));
  }

  private end(why: string) {
    if (this.ended) return;
    this.ended = why;
    const p = this.settle();
    if (!p) return;
    // What the file made openSMILE print is in the log (emptied before each file); start-up errors are on stderr.
    const said = lastLines(`${this.stderr}\n${this.said()}`);
    p.reject(new Error(`openSMILE crashed on it (${why})${said ? `: ${said}` : ''}`));
  }

  /** What openSMILE printed for the last file. */
  said(): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8') : '';
  }

  kill(): void {
    this.killed = true;
    if (!this.ended) this.child.kill('SIGKILL');
  }

  /** False once it has ended or is being killed: no more files for it. */
  get usable(): boolean {
    return !this.ended && !this.killed;
  }

  /** Ends stdin (the server exits at its end) and waits for the process; kills it if it lingers. */
  async stop(graceMs = 5000): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.closed;
    clearTimeout(timer);
  }
}

/** The values of the CSV's last row, and the feature names when it has a header line. */
function parseFunctionalsCsv(text: string, header: boolean): { names?: string[]; values: number[] } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < (header ? 2 : 1)) throw new Error(`the output CSV has ${lines.length} line(s), expected ${header ? 'a header and ' : ''}one row`);
  const names = header ? lines[0].split(';') : undefined;
  const cells = lines[lines.length - 1].split(';');
  // Some sinks prepend an instance name column ('name', text in the row); keep only the numeric feature columns.
  const start = (names ? names[0] === 'name' : cells.length > 0 && Number.isNaN(Number(cells[0]))) ? 1 : 0;
  const values = cells.slice(start).map(Number);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`feature ${names?.[start + bad] ?? `#${bad + 1}`} is not a finite number: ${JSON.stringify(cells[start + bad])}`);
  return { names: names?.slice(start), values };
}

/**
 * Extracts openSMILE functionals for every utterance with a WAV, `workers` files at a time. Each
 * worker is one long-lived `smilextract.py --serve` process fed file after file (a process per file
 * costs a Python start each; a crash or hang in openSMILE fails only the file in flight, and the
 * next file gets a new process). A user's SMILExtract `binary` runs once per file, as before.
 * Each WAV's header is checked first. A file that fails is listed in `failures` with a message
 * naming it; the others go on. Throws only when nothing could run at all (no opensmile, bad config),
 * or when `signal` is aborted (after killing every openSMILE process it started).
 */
export async function extractOpensmile(utterances: readonly Utterance[], opts: OpensmileOptions = {}): Promise<OpensmileResult> {
  const install = locateOpensmile(opts.python);
  const configName = opts.config ?? 'ComParE_2016';
  const configFile = resolveSmileConfig(configName, install);
  const expectedDim = KNOWN_DIMS[configName];
  const workers = opts.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 1) throw new EmofuseError(`workers must be a positive integer, got ${workers}`, { where: 'openSMILE workers' });
  const binary = opts.binary ?? install.binary;
  if (binary && !existsSync(binary)) throw new EmofuseError('the SMILExtract binary does not exist', { where: binary, fix: 'give the path of an existing SMILExtract, or none to use the opensmile Python package' });
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const signal = opts.signal;
  const aborted = () => new EmofuseError('openSMILE extraction was interrupted', { where: 'openSMILE features', cause: signal?.reason });
  if (signal?.aborted) throw aborted();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-smile-'));
  const rows: (number[] | undefined)[] = new Array(utterances.length);
  const failures: (ExtractFailure & { index: number })[] = [];
  let names: string[] | undefined;
  let command: string[] = [];
  let done = 0;
  const limit = pLimit(workers);

  // The servers (binary unset): idle ones wait in `idle`; p-limit keeps at most `workers` busy.
  const sharedArgs = smileSharedArgs(install, configFile);
  const servers = new Set<SmileServer>();
  const idle: SmileServer[] = [];
  let started = 0;
  const takeServer = () => {
    for (let s = idle.pop(); s; s = idle.pop()) if (s.usable) return s;
    const log = path.join(tmp, `server-${started++}.log`);
    const s = new SmileServer(install.python, sharedArgs, log);
    servers.add(s);
    if (command.length === 0) command = [install.python, SMILEXTRACT_SHIM, '--serve', log, ...sharedArgs];
    return s;
  };
  const killAll = () => servers.forEach((s) => s.kill());
  // No openSMILE process outlives an abort or this process (the servers also die with their parent).
  signal?.addEventListener('abort', killAll);
  process.on('exit', killAll);

  /** The CSV openSMILE wrote, or an error quoting what it said when the CSV has no row. */
  const readOutput = (csv: string, header: boolean, said: () => string): string => {
    const text = existsSync(csv) ? readFileSync(csv, 'utf8') : '';
    if (text.split('\n').filter((l) => l.trim() !== '').length < (header ? 2 : 1)) {
      const last = lastLines(said());
      throw new Error(`openSMILE wrote no output for it${last ? `: ${last}` : ''}`);
    }
    rmSync(csv, { force: true });
    return text;
  };

  const extractFile = async (wav: string, csv: string, header: boolean): Promise<string> => {
    if (!binary) {
      const s = takeServer();
      try {
        await s.extract(smileFileOptions(wav, csv, header), timeoutMs);
        return readOutput(csv, header, () => s.said()); // before another file can empty the server's log
      } finally {
        if (s.usable) idle.push(s);
      }
    }
    const args = smileArgs(install, configFile, wav, csv, header);
    if (command.length === 0) command = [binary, ...args];
    const r = await run(binary, args, timeoutMs, signal);
    if (r.timedOut) throw new Error(`openSMILE did not finish within ${timeoutMs / 1000} s and was stopped`);
    if (r.code !== 0) throw new Error(`openSMILE failed (exit ${r.code ?? r.signal}): ${lastLines(r.output) || 'no output'}`);
    return readOutput(csv, header, () => r.output);
  };

  // One file at a time asks for the header, until one has brought the names.
  let headerAsked = false;
  let firstDim: number | undefined;
  const one = async (u: Utterance, index: number) => {
    if (signal?.aborted) return;
    const wav = u.wav ?? '';
    const header = names === undefined && !headerAsked;
    if (header) headerAsked = true;
    try {
      if (!u.wav) throw new EmofuseError(`utterance ${u.id} has no WAV path`, { where: u.id });
      readWavHeader(wav);
      const csv = path.join(tmp, `${index}.csv`);
      const parsed = parseFunctionalsCsv(await extractFile(wav, csv, header), header);
      if (parsed.names && parsed.names.length !== parsed.values.length) {
        throw new Error(`openSMILE wrote ${parsed.names.length} feature names but ${parsed.values.length} values`);
      }
      if (expectedDim !== undefined && parsed.values.length !== expectedDim) {
        throw new Error(`openSMILE returned ${parsed.values.length} features, expected ${expectedDim} for ${configName}`);
      }
      if (firstDim !== undefined && parsed.values.length !== firstDim) {
        throw new Error(`openSMILE returned ${parsed.values.length} features, other files gave ${firstDim}`);
      }
      firstDim ??= parsed.values.length;
      names ??= parsed.names;
      rows[index] = parsed.values;
    } catch (e) {
      if (signal?.aborted) return; // the abort killed it: not the file's fault
      const msg = e instanceof EmofuseError ? e.describe() : `${wav}: ${(e as Error).message}`;
      failures.push({ id: u.id, wav, error: msg.startsWith(wav) ? msg : `${wav}: ${msg}`, index });
    } finally {
      if (header) headerAsked = false;
    }
    if (signal?.aborted) return;
    done++;
    const last = failures.at(-1);
    opts.onProgress?.({ done, total: utterances.length, failed: failures.length, id: u.id, error: last?.index === index ? last.error : undefined });
  };

  try {
    await Promise.all(utterances.map((u, i) => limit(() => one(u, i))));
    const first = rows.findIndex((r) => r !== undefined);
    if (names === undefined && first >= 0 && !signal?.aborted) {
      // The files asked for the header all failed, while others (without it) worked: ask one of those.
      const wav = utterances[first].wav!;
      try {
        names = parseFunctionalsCsv(await extractFile(wav, path.join(tmp, 'names.csv'), true), true).names;
      } catch (e) {
        throw new EmofuseError(`cannot read the feature names: ${(e as Error).message}`, { where: wav });
      }
    }
  } finally {
    signal?.removeEventListener('abort', killAll);
    await Promise.all([...servers].map((s) => s.stop()));
    process.off('exit', killAll);
    rmSync(tmp, { recursive: true, force: true });
  }
  if (signal?.aborted) throw aborted();
  const dim = firstDim ?? expectedDim ?? 0;
  const ok = utterances.map((u, i) => ({ id: u.id, row: rows[i] })).filter((r) => r.row !== undefined);
  const values = new Float32Array(ok.length * dim);
  ok.forEach((r, i) => values.set(r.row!, i * dim));
  failures.sort((a, b) => a.index - b.index);
  return {
    matrix: { ids: ok.map((r) => r.id), dim, values },
    names: names ?? [],
    failures: failures.map(({ id, wav, error }) => ({ id, wav, error })),
    command,
    install,
  };
}

/**
 * Everything ComParE features depend on, for featureCacheKey: utterance ids with their WAV stamps
 * (path, size, mtime), the config file and its stamp, the opensmile version and the program used.
 */
export function opensmileCacheInputs(utterances: readonly Utterance[], opts: Pick<OpensmileOptions, 'binary' | 'python' | 'config'> = {}): Record<string, unknown> {
  const install = locateOpensmile(opts.python);
  const configFile = resolveSmileConfig(opts.config ?? 'ComParE_2016', install);
  // Content, not paths or times: a clone in another folder (or a copied corpus) hits the cache.
  const binary = opts.binary ?? install.binary;
  return {
    extractor: 'opensmile-functionals',
    config: contentHash(configFile),
    sink: readFileSync(FUNC_CSV_SINK, 'utf8'),
    opensmile: install.version,
    program: contentHash(binary ?? SMILEXTRACT_SHIM),
    utterances: utterances.map((u) => [u.id, u.wav && existsSync(u.wav) ? contentHash(u.wav) : null]),
  };
}

/** A cli-progress bar wired as an `onProgress` callback; call `stop()` when extraction ends. */
export function opensmileProgressBar(total: number, label = 'openSMILE'): { onProgress: (p: ExtractProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} files | {failed} failed | {eta_formatted} left`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { failed: 0 });
  return {
    onProgress: (p) => bar.update(p.done, { failed: p.failed }),
    stop: () => bar.stop(),
  };
}
