import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  closeSync, copyFileSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync,
  readdirSync, renameSync, rmSync, statSync, writeSync,
} from 'node:fs';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { diskFullError, EmofuseError, isDiskFull, writeFileAtomic, type MetricPoint, type RunRecord, type RunStatus } from '@emofuse/core';
import { currentUser } from './context.ts';
import { doubleToFileText, parseDoubleText } from './numbers.ts';
import { DATASET_CONTEXT_TAG, EXPERIMENT_TAGS, RUN_TAGS, type DatasetInput, type LoggedDataset } from './types.ts';
import { checkDataset, inputTags, checkKey, checkParamValue, checkTagValue } from './validate.ts';

/**
 * MLflow's FileStore layout (mlflow/store/tracking/file_store.py), written without Python:
 *   <root>/<experiment_id>/meta.yaml                      experiment (0 = "Default")
 *   <root>/<experiment_id>/<run_id>/meta.yaml             run info; status as MLflow's int enum
 *   <root>/<experiment_id>/<run_id>/params/<key>          value, no newline
 *   <root>/<experiment_id>/<run_id>/tags/<key>            value, no newline
 *   <root>/<experiment_id>/<run_id>/metrics/<key>         lines "timestamp value step"
 *   <root>/<experiment_id>/<run_id>/artifacts/...
 *   <root>/<experiment_id>/datasets/<md5(name+digest)>/meta.yaml          a dataset
 *   <root>/<experiment_id>/<run_id>/inputs/<md5(dataset id+run id)>/meta.yaml   a run's use of it
 * Keys containing "/" become subdirectories, as in MLflow.
 */

const STATUS_CODES: Record<RunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
const STATUS_NAMES = Object.fromEntries(Object.entries(STATUS_CODES).map(([k, v]) => [v, k])) as Record<number, RunStatus>;
const TRASH = '.trash';
const DEFAULT_EXPERIMENT_ID = '0';

export interface ExperimentMeta {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: string;
  creationTime: number | null;
  dir: string;
}

export interface RunMeta {
  runId: string;
  experimentId: string;
  runName: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  artifactUri: string;
  lifecycleStage: string;
  userId: string;
  dir: string;
}

export interface CreateRunInput {
  runName?: string;
  tags?: Record<string, string>;
  startTime?: number;
  userId?: string;
}

function yamlDump(obj: unknown): string {
  // YAML 1.1 quoting, because MLflow reads these files with PyYAML (1.1: "on", "yes" are booleans).
  return YAML.stringify(obj, { version: '1.1', lineWidth: 0 });
}

function readYamlMap(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EmofuseError(`cannot read ${path.basename(file)}: ${(e as Error).message}`, { where: file, fix: 'check the store directory and its permissions', cause: e });
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text, { version: '1.1' });
  } catch (e) {
    throw new EmofuseError(`corrupt meta.yaml: ${(e as Error).message.split('\n')[0]}`, {
      where: file,
      fix: 'restore the file from a backup, or delete this run/experiment directory',
      cause: e,
    });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new EmofuseError('corrupt meta.yaml: expected a mapping of fields', {
      where: file,
      fix: 'restore the file from a backup, or delete this run/experiment directory',
    });
  }
  return doc as Record<string, unknown>;
}

function corrupt(file: string, key: string, v: unknown, want: string): EmofuseError {
  return new EmofuseError(`corrupt meta.yaml: field "${key}" is ${JSON.stringify(v)}`, { where: file, fix: `restore the file; "${key}" must be ${want}` });
}

function str(meta: Record<string, unknown>, file: string, key: string): string {
  const v = meta[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v); // legacy files wrote ids as ints
  throw corrupt(file, key, v, 'a string');
}

function int(meta: Record<string, unknown>, file: string, key: string): number {
  const v = meta[key];
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw corrupt(file, key, v, 'an integer');
}

function intOrNull(meta: Record<string, unknown>, file: string, key: string): number | null {
  return meta[key] === null || meta[key] === undefined ? null : int(meta, file, key);
}

/** A random id like MLflow's `_generate_unique_integer_id` (18 digits, no leading zero). */
function newExperimentId(): string {
  const digits = BigInt('0x' + randomBytes(8).toString('hex')).toString().padStart(18, '7').slice(-18);
  return digits[0] === '0' ? '1' + digits.slice(1) : digits;
}

function listFilesRecursive(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
    if (ent.isDirectory()) out.push(...listFilesRecursive(path.join(dir, ent.name), rel));
    else if (ent.isFile()) out.push(rel);
  }
  return out.sort();
}

/** The MLflow file store in one directory. Writers are atomic; metric files are append-only. */
export class LocalStore {
  readonly root: string;
  private checkedMetricFiles = new Set<string>();

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get uri(): string {
    return pathToFileURL(this.root).href;
  }

  /** Create the store as MLflow does: root, experiment 0 "Default", and `.trash`. */
  init(): void {
    if (!existsSync(this.root)) {
      mkdirSync(this.root, { recursive: true });
      this.writeExperiment(DEFAULT_EXPERIMENT_ID, 'Default');
    }
    mkdirSync(path.join(this.root, TRASH), { recursive: true });
  }

  exists(): boolean {
    return existsSync(this.root);
  }

  private writeExperiment(id: string, name: string): ExperimentMeta {
    const dir = path.join(this.root, id);
    mkdirSync(dir, { recursive: true });
    const now = Date.now();
    const artifactLocation = pathToFileURL(dir).href;
    // Field set and order as MLflow 3.17 writes them.
    writeFileAtomic(path.join(dir, 'meta.yaml'), yamlDump({
      artifact_location: artifactLocation,
      creation_time: now,
      effective_trace_archival_retention: null,
      experiment_id: id,
      last_update_time: now,
      lifecycle_stage: 'active',
      name,
      trace_location: null,
      workspace: 'default',
    }));
    // Experiment tags as MLflow's file store keeps them: <experiment>/tags/<key>.
    for (const [key, value] of Object.entries(EXPERIMENT_TAGS)) writeFileAtomic(path.join(dir, 'tags', key), value);
    return { experimentId: id, name, artifactLocation, lifecycleStage: 'active', creationTime: now, dir };
  }

  /** Active experiments (directories without meta.yaml are half-created ones and are skipped, as MLflow does). */
  experiments(): ExperimentMeta[] {
    if (!existsSync(this.root)) return [];
    const out: ExperimentMeta[] = [];
    for (const ent of readdirSync(this.root, { withFileTypes: true })) {
      if (!ent.isDirectory() || ent.name === TRASH || ent.name.startsWith('.') || ent.name === 'models') continue;
      const file = path.join(this.root, ent.name, 'meta.yaml');
      if (!existsSync(file)) continue;
      const meta = readYamlMap(file);
      const exp: ExperimentMeta = {
        experimentId: str(meta, file, 'experiment_id'),
        name: str(meta, file, 'name'),
        artifactLocation: typeof meta.artifact_location === 'string' ? meta.artifact_location : pathToFileURL(path.dirname(file)).href,
        lifecycleStage: typeof meta.lifecycle_stage === 'string' ? meta.lifecycle_stage : 'active',
        creationTime: intOrNull(meta, file, 'creation_time'),
        dir: path.join(this.root, ent.name),
      };
      if (exp.experimentId !== ent.name) {
        throw new EmofuseError(`corrupt meta.yaml: experiment_id ${exp.experimentId} does not match its directory ${ent.name}`, {
          where: file,
          fix: 'restore the file from a backup',
        });
      }
      out.push(exp);
    }
    return out;
  }

  experimentByName(name: string): ExperimentMeta | undefined {
    return this.experiments().find((e) => e.name === name);
  }

  getOrCreateExperiment(name: string): ExperimentMeta {
    if (!name) throw new EmofuseError('experiment name is empty', { where: 'experiment name', fix: 'name the experiment' });
    this.init();
    // Seeds run as parallel processes: without the lock two of them could both create "name".
    return this.withLock(() => this.findOrCreate(name));
  }

  private findOrCreate(name: string): ExperimentMeta {
    const found = this.experimentByName(name);
    if (found) {
      if (found.lifecycleStage !== 'active') {
        throw new EmofuseError(`experiment "${name}" is deleted`, { where: path.join(found.dir, 'meta.yaml'), fix: 'restore it (mlflow experiments restore) or use another name' });
      }
      return found;
    }
    let id = newExperimentId();
    while (existsSync(path.join(this.root, id))) id = newExperimentId();
    return this.writeExperiment(id, name);
  }

  /** A lock file in the root (MLflow only lists directories there), broken when stale. */
  private withLock<T>(fn: () => T): T {
    const lock = path.join(this.root, '.emofuse-experiments.lock');
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        closeSync(openSync(lock, 'wx'));
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        try {
          if (Date.now() - statSync(lock).mtimeMs > 30_000) rmSync(lock, { force: true });
        } catch {
          // removed by its owner meanwhile
        }
        if (Date.now() > deadline) {
          throw new EmofuseError('the run store stayed locked for 15 s', { where: lock, fix: 'if no other emofuse process is running, delete this file' });
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
      }
    }
    try {
      return fn();
    } finally {
      rmSync(lock, { force: true });
    }
  }

  createRun(exp: ExperimentMeta, input: CreateRunInput = {}): RunMeta {
    const runId = randomUUID().replaceAll('-', '');
    const dir = path.join(exp.dir, runId);
    for (const sub of ['metrics', 'params', 'tags', 'artifacts']) mkdirSync(path.join(dir, sub), { recursive: true });
    const runName = input.runName ?? `run-${runId.slice(0, 8)}`;
    const meta: RunMeta = {
      runId,
      experimentId: exp.experimentId,
      runName,
      status: 'RUNNING',
      startTime: input.startTime ?? Date.now(),
      endTime: null,
      artifactUri: pathToFileURL(path.join(dir, 'artifacts')).href,
      lifecycleStage: 'active',
      userId: input.userId ?? currentUser(),
      dir,
    };
    this.setTags(meta, { ...(input.tags ?? {}), [RUN_TAGS.runName]: runName });
    // meta.yaml last: until it exists, readers (ours and MLflow's) skip the directory.
    this.writeRunMeta(meta);
    return meta;
  }

  private writeRunMeta(m: RunMeta): void {
    writeMetaYaml(path.join(m.dir, 'meta.yaml'), yamlDump({
      artifact_uri: m.artifactUri,
      end_time: m.endTime,
      entry_point_name: '',
      experiment_id: m.experimentId,
      lifecycle_stage: m.lifecycleStage,
      run_id: m.runId,
      run_name: m.runName,
      source_name: '',
      source_type: 4,
      source_version: '',
      start_time: m.startTime,
      status: STATUS_CODES[m.status],
      tags: [],
      user_id: m.userId,
    }));
  }

  readRunMeta(dir: string): RunMeta {
    const file = path.join(dir, 'meta.yaml');
    const meta = readYamlMap(file);
    const statusCode = meta.status ?? 1;
    const status = STATUS_NAMES[statusCode as number];
    if (!status) {
      throw new EmofuseError(`corrupt meta.yaml: field "status" is ${JSON.stringify(statusCode)}`, { where: file, fix: 'restore the file; status must be 1-5 (RUNNING..KILLED)' });
    }
    const runId = str(meta, file, meta.run_id !== undefined ? 'run_id' : 'run_uuid');
    if (runId !== path.basename(dir)) {
      throw new EmofuseError(`corrupt meta.yaml: run_id ${runId} does not match its directory`, { where: file, fix: 'restore the file from a backup' });
    }
    return {
      runId,
      experimentId: str(meta, file, 'experiment_id'),
      runName: typeof meta.run_name === 'string' ? meta.run_name : '',
      status,
      startTime: int(meta, file, 'start_time'),
      endTime: intOrNull(meta, file, 'end_time'),
      artifactUri: typeof meta.artifact_uri === 'string' ? meta.artifact_uri : pathToFileURL(path.join(dir, 'artifacts')).href,
      lifecycleStage: typeof meta.lifecycle_stage === 'string' ? meta.lifecycle_stage : 'active',
      userId: typeof meta.user_id === 'string' ? meta.user_id : '',
      dir,
    };
  }

  /**
   * Runs of an experiment, oldest first; half-created run directories (no meta.yaml) are skipped.
   * With `onBad`, a run whose meta.yaml cannot be read is reported there and left out instead of failing the whole list.
   */
  runs(exp: ExperimentMeta, onBad?: (dir: string, error: unknown) => void): RunMeta[] {
    const out: RunMeta[] = [];
    for (const ent of readdirSync(exp.dir, { withFileTypes: true })) {
      if (!ent.isDirectory() || ent.name.startsWith('.') || ['tags', 'datasets', 'traces', 'models'].includes(ent.name)) continue;
      const dir = path.join(exp.dir, ent.name);
      if (!existsSync(path.join(dir, 'meta.yaml'))) continue;
      let run: RunMeta;
      try {
        run = this.readRunMeta(dir);
      } catch (e) {
        if (!onBad) throw e;
        onBad(dir, e);
        continue;
      }
      if (run.lifecycleStage === 'active') out.push(run);
    }
    return out.sort((a, b) => a.startTime - b.startTime || a.runId.localeCompare(b.runId));
  }

  findRun(runId: string): { exp: ExperimentMeta; run: RunMeta } | undefined {
    for (const exp of this.experiments()) {
      const dir = path.join(exp.dir, runId);
      if (existsSync(path.join(dir, 'meta.yaml'))) return { exp, run: this.readRunMeta(dir) };
    }
    return undefined;
  }

  updateRun(run: RunMeta, status: RunStatus, endTime: number | null): void {
    const current = this.readRunMeta(run.dir);
    const next = { ...current, status, endTime };
    this.writeRunMeta(next);
    run.status = status;
    run.endTime = endTime;
  }

  /** Temp files live in the run directory itself, never inside params/, tags/ or artifacts/ where a crash would leave a bogus entry. */
  private writeInRun(run: RunMeta, target: string, data: string | Uint8Array): void {
    writeFileAtomic(target, data, { tmpDir: run.dir });
  }

  logParams(run: RunMeta, params: Record<string, string>): void {
    // Check everything first, so a bad batch changes nothing.
    const todo: [string, string][] = [];
    for (const [key, value] of Object.entries(params)) {
      checkKey('param', key);
      checkParamValue(key, value);
      const file = path.join(run.dir, 'params', ...key.split('/'));
      if (existsSync(file)) {
        const old = readFileSync(file, 'utf8');
        if (old !== value) {
          throw new EmofuseError(`param "${key}" was already logged as ${JSON.stringify(old)}; MLflow params cannot change (new value ${JSON.stringify(value)})`, {
            where: file,
            fix: 'log the changed value under another key, or start a new run',
          });
        }
        continue;
      }
      todo.push([file, value]);
    }
    for (const [file, value] of todo) this.writeInRun(run, file, value);
  }

  setTags(run: RunMeta, tags: Record<string, string>): void {
    for (const [key, value] of Object.entries(tags)) {
      checkKey('tag', key);
      checkTagValue(key, value);
    }
    for (const [key, value] of Object.entries(tags)) this.writeInRun(run, path.join(run.dir, 'tags', ...key.split('/')), value);
    if (tags[RUN_TAGS.runName] !== undefined && tags[RUN_TAGS.runName] !== run.runName && existsSync(path.join(run.dir, 'meta.yaml'))) {
      run.runName = tags[RUN_TAGS.runName];
      const current = this.readRunMeta(run.dir);
      this.writeRunMeta({ ...current, runName: run.runName });
    }
  }

  /**
   * Append metric points, one `write` per key (a whole number of lines). If an earlier crash left a
   * torn last line (no trailing newline), cut it off first so MLflow's reader never sees half a line.
   */
  appendMetrics(run: RunMeta, points: { key: string; value: number; step: number; timestamp: number }[]): void {
    const byKey = new Map<string, string[]>();
    for (const p of points) {
      checkKey('metric', p.key);
      const lines = byKey.get(p.key) ?? [];
      lines.push(`${p.timestamp} ${doubleToFileText(p.value)} ${p.step}\n`);
      byKey.set(p.key, lines);
    }
    for (const [key, lines] of byKey) {
      const file = path.join(run.dir, 'metrics', ...key.split('/'));
      mkdirSync(path.dirname(file), { recursive: true });
      const fd = openSync(file, 'a+');
      const buf = Buffer.from(lines.join(''), 'utf8');
      let before = 0;
      try {
        if (!this.checkedMetricFiles.has(file)) {
          repairTornTail(fd);
          this.checkedMetricFiles.add(file);
        }
        before = fstatSync(fd).size;
        const n = writeSync(fd, buf);
        if (n !== buf.length) throw Object.assign(new Error(`short write (${n} of ${buf.length} bytes)`), { code: 'ENOSPC' });
      } catch (e) {
        // Leave the file as it was: a torn line or an empty file would make MLflow's reader fail ("malformed").
        try {
          ftruncateSync(fd, before);
        } catch {
          // the next append's repairTornTail cuts what is left
        }
        closeSync(fd);
        if (before === 0) rmSync(file, { force: true }); // new (or already empty): an empty metric file is malformed to MLflow
        throw diskFullError(e, file, buf.length);
      }
      closeSync(fd);
    }
  }

  copyArtifact(run: RunMeta, localPath: string, artifactPath?: string): void {
    checkArtifactFile(localPath);
    const rel = artifactRel(artifactPath, path.basename(localPath));
    const tmp = path.join(run.dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    const target = path.join(run.dir, 'artifacts', ...rel.split('/'));
    mkdirSync(path.dirname(target), { recursive: true });
    try {
      copyFileSync(localPath, tmp);
      renameSync(tmp, target);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  }

  /**
   * Dataset inputs, laid out as MLflow's FileStore.log_inputs does (ids are its md5s, so MLflow and
   * `migrate-filestore` read them). Each folder is built under a temp name and renamed into place:
   * MLflow reads every folder in inputs/ and fails on one without meta.yaml.
   */
  logInputs(exp: ExperimentMeta, run: RunMeta, datasets: DatasetInput[]): void {
    for (const d of datasets) checkDataset(d);
    const text = (v: string | Record<string, unknown> | undefined) => (v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));
    for (const d of datasets) {
      const datasetId = md5(d.name, d.digest);
      const datasetDir = path.join(exp.dir, 'datasets', datasetId);
      if (!existsSync(datasetDir)) {
        this.placeDir(path.join(exp.dir, 'datasets'), datasetDir, {
          digest: d.digest, name: d.name, profile: text(d.profile), schema: text(d.schema), source: text(d.source), source_type: d.sourceType,
        });
      }
      const inputDir = path.join(run.dir, 'inputs', md5(datasetId, run.runId));
      if (existsSync(inputDir)) continue;
      const tags = inputTags(d);
      this.placeDir(run.dir, inputDir, { source_type: 'DATASET', source_id: datasetId, destination_type: 'RUN', destination_id: run.runId, tags });
    }
  }

  /** Write `meta.yaml` into a temp folder under `tmpParent`, then rename the folder to `dir` (a concurrent writer of the same id wins harmlessly). */
  private placeDir(tmpParent: string, dir: string, meta: Record<string, unknown>): void {
    const tmp = path.join(tmpParent, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    mkdirSync(tmp, { recursive: true });
    try {
      writeFileAtomic(path.join(tmp, 'meta.yaml'), yamlDump(meta));
      mkdirSync(path.dirname(dir), { recursive: true });
      renameSync(tmp, dir);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(path.join(dir, 'meta.yaml'))) throw e;
    }
  }

  /** The run's dataset inputs (folders without meta.yaml are skipped). */
  readInputs(exp: ExperimentMeta, run: RunMeta): LoggedDataset[] {
    const inputs = path.join(run.dir, 'inputs');
    if (!existsSync(inputs)) return [];
    const out: LoggedDataset[] = [];
    for (const ent of readdirSync(inputs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(inputs, ent.name, 'meta.yaml');
      if (!ent.isDirectory() || ent.name.startsWith('.') || !existsSync(file)) continue;
      const input = readYamlMap(file);
      if (input.source_type !== 'DATASET') continue;
      const dsFile = path.join(exp.dir, 'datasets', String(input.source_id), 'meta.yaml');
      if (!existsSync(dsFile)) continue;
      const d = readYamlMap(dsFile);
      const tags = Object.fromEntries(Object.entries((input.tags as Record<string, unknown>) ?? {}).map(([k, v]) => [k, String(v)]));
      const opt = (v: unknown) => (typeof v === 'string' ? v : undefined);
      out.push({
        name: String(d.name), digest: String(d.digest), sourceType: String(d.source_type), source: String(d.source ?? ''),
        schema: opt(d.schema), profile: opt(d.profile), context: tags[DATASET_CONTEXT_TAG], tags,
      });
    }
    return out;
  }

  // ---- reading ----

  readParams(run: RunMeta): Record<string, string> {
    return this.readKeyedFiles(path.join(run.dir, 'params'));
  }

  readTags(run: RunMeta): Record<string, string> {
    return this.readKeyedFiles(path.join(run.dir, 'tags'));
  }

  private readKeyedFiles(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const rel of listFilesRecursive(dir)) out[rel] = readFileSync(path.join(dir, ...rel.split('/')), 'utf8');
    return out;
  }

  /** `strict`: a last line without its newline is damage, not a write in progress (a run that has ended). */
  readMetricHistories(run: RunMeta, strict = false): Record<string, MetricPoint[]> {
    const dir = path.join(run.dir, 'metrics');
    const out: Record<string, MetricPoint[]> = {};
    for (const rel of listFilesRecursive(dir)) out[rel] = parseMetricFile(path.join(dir, ...rel.split('/')), strict);
    return out;
  }

  artifactDir(run: RunMeta): string {
    if (run.artifactUri.startsWith('file:')) return fileURLToPath(run.artifactUri);
    return path.join(run.dir, 'artifacts');
  }

  listArtifacts(run: RunMeta): string[] {
    return listFilesRecursive(this.artifactDir(run));
  }

  toRecord(exp: ExperimentMeta, run: RunMeta): RunRecord {
    const tags = this.readTags(run);
    const metricHistory = this.readMetricHistories(run);
    const metrics: Record<string, number> = {};
    for (const [k, pts] of Object.entries(metricHistory)) if (pts.length) metrics[k] = latestPoint(pts).value;
    return {
      runId: run.runId,
      experimentId: exp.experimentId,
      experimentName: exp.name,
      runName: run.runName || tags[RUN_TAGS.runName] || '',
      status: run.status,
      startTime: run.startTime,
      endTime: run.endTime,
      params: this.readParams(run),
      metrics,
      metricHistory,
      tags,
      parentRunId: tags[RUN_TAGS.parentRunId] ?? null,
      artifactUri: run.artifactUri,
      localArtifactDir: this.artifactDir(run),
    };
  }
}

/** MLflow's latest value: the point with the largest (step, timestamp, value). */
export function latestPoint(points: MetricPoint[]): MetricPoint {
  let best = points[0];
  for (const p of points.slice(1)) {
    if (p.step > best.step || (p.step === best.step && (p.timestamp > best.timestamp || (p.timestamp === best.timestamp && p.value > best.value)))) best = p;
  }
  return best;
}

function repairTornTail(fd: number): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  if (last[0] === 0x0a) return;
  // Scan back to the last newline and drop the partial line after it.
  const chunk = 4096;
  let pos = size;
  while (pos > 0) {
    const start = Math.max(0, pos - chunk);
    const buf = Buffer.alloc(pos - start);
    readSync(fd, buf, 0, buf.length, start);
    const i = buf.lastIndexOf(0x0a);
    if (i >= 0) {
      ftruncateSync(fd, start + i + 1);
      return;
    }
    pos = start;
  }
  ftruncateSync(fd, 0);
}

export function parseMetricFile(file: string, strict = false): MetricPoint[] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const torn = lines.pop(); // text after the last newline is empty, or a torn line that is not complete yet
  if (strict && torn) {
    throw new EmofuseError(`metric line ${lines.length + 1} was cut mid-write: ${JSON.stringify(torn)}`, {
      where: `${file}:${lines.length + 1}`,
      fix: 'the run has ended, so this line will never be completed: delete it (the points before it are intact)',
    });
  }
  const out: MetricPoint[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const parts = line.trim().split(' ');
    const value = parts.length >= 2 ? parseDoubleText(parts[1]) : undefined;
    const timestamp = Number(parts[0]);
    const step = parts.length >= 3 ? Number(parts[2]) : 0;
    if (![2, 3, 5].includes(parts.length) || value === undefined || !Number.isSafeInteger(timestamp) || !Number.isSafeInteger(step)) {
      throw new EmofuseError(`corrupt metric line ${i + 1}: ${JSON.stringify(line)}`, {
        where: `${file}:${i + 1}`,
        fix: 'each line must be "timestamp value step"; delete or fix that line',
      });
    }
    out.push({ timestamp, value, step });
  });
  return out;
}

export function checkArtifactFile(localPath: string): void {
  if (!existsSync(localPath) || !statSync(localPath).isFile()) {
    throw new EmofuseError(`artifact file not found: ${localPath}`, { where: localPath, fix: 'pass an existing file (use logArtifactDir for directories)' });
  }
}

export function artifactRel(artifactPath: string | undefined, name: string): string {
  const dir = (artifactPath ?? '').replaceAll('\\', '/').replace(/^\/+|\/+$/g, '');
  if (dir.split('/').some((p) => p === '..')) {
    throw new EmofuseError(`artifact path must not contain "..": ${artifactPath}`, { where: `artifactPath ${artifactPath}`, fix: 'use a relative path inside the run' });
  }
  return dir ? `${dir}/${name}` : name;
}

/** MLflow FileStore's ids for datasets and inputs: md5 over the utf-8 parts. */
function md5(...parts: string[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(p, 'utf8');
  return h.digest('hex');
}

/**
 * meta.yaml, atomically. On a full disk a run must still be able to end FAILED: the new text (a few
 * hundred bytes) is then written over the old file in place, into blocks it already owns.
 */
function writeMetaYaml(file: string, text: string): void {
  try {
    writeFileAtomic(file, text);
  } catch (e) {
    if (!isDiskFull((e as Error).cause ?? e) || !existsSync(file)) throw e;
    const buf = Buffer.from(text, 'utf8');
    const fd = openSync(file, 'r+');
    try {
      const st = fstatSync(fd);
      if (buf.length > Math.max(st.size, st.blocks * 512)) throw e;
      writeSync(fd, buf, 0, buf.length, 0);
      ftruncateSync(fd, buf.length);
    } finally {
      closeSync(fd);
    }
  }
}
