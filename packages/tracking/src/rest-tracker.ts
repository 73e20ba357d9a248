import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startTags } from './context.ts';
import { artifactRel, checkArtifactFile } from './filestore.ts';
import { joinArtifactPath, normaliseMetrics, stringParams, walkDir } from './local-tracker.ts';
import { mlflowOptionsFromEnv, type MlflowClientOptions } from './http.ts';
import { MlflowRestClient } from './rest.ts';
import type { ServerRun } from './wire.ts';
import { RUN_TAGS, type DatasetInput, type EndStatus, type MetricInput, type ParamValue, type StartRunOptions, type Tracker, type TrackerRun } from './types.ts';

/** Logs to an MLflow tracking server through its REST API (artifacts through the server's proxy). */
export class MlflowRestTracker implements Tracker {
  readonly client: MlflowRestClient;
  /** MLflow context tags (source, git, user) on each run: true = read them, false = none, or these. */
  readonly context: boolean | Record<string, string>;
  private experiments = new Map<string, string>();

  /** Options or a client; with neither, MLFLOW_TRACKING_URI and friends are read from the environment. */
  constructor(opts?: MlflowClientOptions | MlflowRestClient, extra: { context?: boolean | Record<string, string> } = {}) {
    this.client = opts instanceof MlflowRestClient ? opts : new MlflowRestClient(opts ?? mlflowOptionsFromEnv());
    this.context = extra.context ?? true;
  }

  get location(): string {
    return this.client.uri;
  }

  async experimentId(name: string): Promise<string> {
    let id = this.experiments.get(name);
    if (!id) {
      id = (await this.client.getOrCreateExperiment(name)).experimentId;
      this.experiments.set(name, id);
    }
    return id;
  }

  async startRun(opts: StartRunOptions): Promise<TrackerRun> {
    const experimentId = await this.experimentId(opts.experiment);
    const tags = startTags(opts, this.context);
    if (opts.parentRunId) tags[RUN_TAGS.parentRunId] = opts.parentRunId;
    const run = await this.client.createRun({ experimentId, runName: opts.runName, startTime: opts.startTime, tags });
    return new RestRun(this.client, run);
  }
}

export class RestRun implements TrackerRun {
  constructor(private client: MlflowRestClient, readonly run: ServerRun) {}
  get runId() {
    return this.run.info.runId;
  }
  get experimentId() {
    return this.run.info.experimentId;
  }
  get artifactUri() {
    return this.run.info.artifactUri;
  }
  async logParams(params: Record<string, ParamValue>) {
    const p = stringParams(params);
    await this.client.logBatch(this.runId, { params: Object.entries(p).map(([key, value]) => ({ key, value })) });
  }
  async logMetric(key: string, value: number, step?: number, timestamp?: number) {
    await this.logMetrics([{ key, value, step, timestamp }]);
  }
  async logMetrics(batch: MetricInput[]) {
    await this.client.logBatch(this.runId, { metrics: normaliseMetrics(batch) });
  }
  async setTags(tags: Record<string, string>) {
    await this.client.logBatch(this.runId, { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) });
  }
  async logArtifact(localPath: string, artifactPath?: string) {
    checkArtifactFile(localPath);
    const rel = artifactRel(artifactPath, path.basename(localPath));
    await this.client.uploadArtifact(this.artifactUri, rel, readFileSync(localPath));
  }
  async logArtifactDir(localDir: string, artifactPath?: string) {
    for (const rel of walkDir(localDir)) await this.logArtifact(path.join(localDir, ...rel.split('/')), joinArtifactPath(artifactPath, rel));
  }
  async logInputs(datasets: DatasetInput[]) {
    await this.client.logInputs(this.runId, datasets);
  }
  async endRun(status: EndStatus = 'FINISHED', endTime = Date.now()) {
    await this.client.updateRun(this.runId, { status, endTime });
  }
}
