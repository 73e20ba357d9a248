import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { EmofuseError } from '@emofuse/core';
import { startTags } from './context.ts';
import { LocalStore, type ExperimentMeta, type RunMeta } from './filestore.ts';
import { RUN_TAGS, type DatasetInput, type EndStatus, type MetricInput, type ParamValue, type StartRunOptions, type Tracker, type TrackerRun } from './types.ts';
import { checkMetric } from './validate.ts';

/** Logs into a local `./mlruns` directory in MLflow's file-store layout (readable by MLflow with MLFLOW_ALLOW_FILE_STORE=true). */
export class LocalFileTracker implements Tracker {
  readonly store: LocalStore;
  /** MLflow context tags (source, git, user) on each run: true = read them, false = none, or these. */
  readonly context: boolean | Record<string, string>;

  constructor(dir = 'mlruns', opts: { context?: boolean | Record<string, string> } = {}) {
    this.store = new LocalStore(dir);
    this.context = opts.context ?? true;
  }

  get location(): string {
    return this.store.uri;
  }

  async startRun(opts: StartRunOptions): Promise<TrackerRun> {
    const exp = this.store.getOrCreateExperiment(opts.experiment);
    const tags = startTags(opts, this.context);
    if (opts.parentRunId) tags[RUN_TAGS.parentRunId] = opts.parentRunId;
    const run = this.store.createRun(exp, { runName: opts.runName, tags, startTime: opts.startTime });
    return new LocalRun(this.store, exp, run);
  }

  async flush() {
    return { complete: true, pending: 0 };
  }
}

export function stringParams(params: Record<string, ParamValue>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]));
}

export function normaliseMetrics(batch: MetricInput[]): { key: string; value: number; step: number; timestamp: number }[] {
  const now = Date.now();
  return batch.map((m) => {
    const p = { key: m.key, value: m.value, step: m.step ?? 0, timestamp: m.timestamp ?? now };
    checkMetric(p.key, p.value, p.step, p.timestamp);
    return p;
  });
}

/** Files of a directory, relative paths with "/" separators. */
export function walkDir(localDir: string): string[] {
  let st;
  try {
    st = statSync(localDir);
  } catch {
    st = undefined;
  }
  if (!st?.isDirectory()) {
    throw new EmofuseError(`artifact directory not found: ${localDir}`, { where: localDir, fix: 'pass an existing directory' });
  }
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
      if (ent.isDirectory()) walk(path.join(dir, ent.name), rel);
      else if (ent.isFile()) out.push(rel);
    }
  };
  walk(localDir, '');
  return out.sort();
}

export function joinArtifactPath(base: string | undefined, rel: string): string | undefined {
  const dir = path.posix.dirname(rel);
  const parts = [base, dir === '.' ? undefined : dir].filter((p): p is string => !!p);
  return parts.length ? parts.join('/') : undefined;
}

export class LocalRun implements TrackerRun {
  constructor(readonly store: LocalStore, readonly exp: ExperimentMeta, readonly meta: RunMeta) {}
  get runId() {
    return this.meta.runId;
  }
  get experimentId() {
    return this.meta.experimentId;
  }
  async logParams(params: Record<string, ParamValue>) {
    this.store.logParams(this.meta, stringParams(params));
  }
  async logMetric(key: string, value: number, step?: number, timestamp?: number) {
    await this.logMetrics([{ key, value, step, timestamp }]);
  }
  async logMetrics(batch: MetricInput[]) {
    this.store.appendMetrics(this.meta, normaliseMetrics(batch));
  }
  async setTags(tags: Record<string, string>) {
    this.store.setTags(this.meta, tags);
  }
  async logArtifact(localPath: string, artifactPath?: string) {
    this.store.copyArtifact(this.meta, localPath, artifactPath);
  }
  async logArtifactDir(localDir: string, artifactPath?: string) {
    for (const rel of walkDir(localDir)) this.store.copyArtifact(this.meta, path.join(localDir, ...rel.split('/')), joinArtifactPath(artifactPath, rel));
  }
  async logInputs(datasets: DatasetInput[]) {
    this.store.logInputs(this.exp, this.meta, datasets);
  }
  async endRun(status: EndStatus = 'FINISHED', endTime = Date.now()) {
    this.store.updateRun(this.meta, status, endTime);
  }
}
