/** MLflow's REST API 2.0 endpoints and its artifact proxy, over the transport in http.ts. */
import { randomUUID } from 'node:crypto';
import { EmofuseError, type MetricPoint } from '@emofuse/core';
import { currentUser } from './context.ts';
import { MlflowApiError, MlflowHttp } from './http.ts';
import { doubleFromJson, intFromJson } from './numbers.ts';
import { RUN_TAGS, EXPERIMENT_TAGS, type DatasetInput } from './types.ts';
import { LIMITS, checkDataset, checkKey, checkParamValue, checkTagValue } from './validate.ts';
import { datasetToJson, filterKey, filterQuote, parseRun, splitBatch, toExperiment, type ArtifactEntry, type BatchInput, type RawRun, type ServerExperiment, type ServerRun } from './wire.ts';

/** A thin client of MLflow's REST API 2.0 and its artifact proxy. */
export class MlflowRestClient extends MlflowHttp {
  /** A client with the same settings whose requests `signal` also cancels (a tracker's Ctrl-C or deadline). */
  withSignal(signal: AbortSignal): MlflowRestClient {
    return new MlflowRestClient({ ...this.opts, signal: this.opts.signal ? AbortSignal.any([this.opts.signal, signal]) : signal });
  }

  // ---- experiments ----

  async getExperimentByName(name: string): Promise<ServerExperiment | undefined> {
    try {
      const r = await this.api<{ experiment: Record<string, unknown> }>('GET', 'experiments/get-by-name', undefined, { experiment_name: name });
      return toExperiment(r.experiment);
    } catch (e) {
      if (e instanceof MlflowApiError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw e;
    }
  }

  async getExperiment(id: string): Promise<ServerExperiment> {
    const r = await this.api<{ experiment: Record<string, unknown> }>('GET', 'experiments/get', undefined, { experiment_id: id });
    return toExperiment(r.experiment);
  }

  /** The experiment with this name, created when missing (a concurrent creator is tolerated). */
  async getOrCreateExperiment(name: string): Promise<ServerExperiment> {
    const found = await this.getExperimentByName(name);
    if (found) {
      if (found.lifecycleStage !== 'active') {
        throw new EmofuseError(`experiment "${name}" is deleted on ${this.uri}`, { where: `experiment ${name}`, fix: 'restore it in the MLflow UI or use another experiment name' });
      }
      return found;
    }
    try {
      // The kind tag makes MLflow 3's UI open the classic view (runs table with metric columns), not the GenAI one.
      const r = await this.api<{ experiment_id: string }>('POST', 'experiments/create', { name, tags: Object.entries(EXPERIMENT_TAGS).map(([key, value]) => ({ key, value })) });
      return await this.getExperiment(String(r.experiment_id));
    } catch (e) {
      if (e instanceof MlflowApiError && e.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const again = await this.getExperimentByName(name);
        if (again) return again;
      }
      throw e;
    }
  }

  // ---- runs ----

  /**
   * runs/create, made idempotent from the client's side: the run carries a client-generated id
   * (tag `emofuse.client_run_id`); the POST itself is never repeated blindly. After an ambiguous
   * failure (timeout, 5xx, reset) the client searches for that tag and takes the run it finds,
   * and creates again only when there is none.
   */
  async createRun(input: { experimentId: string; runName?: string; startTime?: number; tags?: Record<string, string>; userId?: string }): Promise<ServerRun> {
    const clientRunId = input.tags?.[RUN_TAGS.clientRunId] ?? randomUUID().replaceAll('-', '');
    const tags = Object.entries({ ...(input.tags ?? {}), [RUN_TAGS.clientRunId]: clientRunId }).map(([key, value]) => {
      checkKey('tag', key);
      checkTagValue(key, value);
      return { key, value };
    });
    const body = {
      experiment_id: input.experimentId,
      user_id: input.userId ?? currentUser(),
      start_time: input.startTime ?? Date.now(),
      run_name: input.runName,
      tags,
    };
    let last: unknown;
    for (let attempt = 0; attempt <= this.opts.maxRetries; attempt++) {
      try {
        const r = await this.api<{ run: RawRun }>('POST', 'runs/create', body, undefined, { idempotent: false });
        const run = parseRun(r.run);
        // A create we gave up on may still have landed meanwhile: keep one run per client id.
        if (attempt > 0) await this.dropDuplicates(input.experimentId, clientRunId, run.info.runId);
        return run;
      } catch (e) {
        if (!(e instanceof MlflowApiError && e.ambiguous) || e.aborted) throw e;
        last = e;
      }
      await this.backoff(attempt);
      const found = await this.runsByTag(input.experimentId, RUN_TAGS.clientRunId, clientRunId);
      if (found.length) {
        await this.dropDuplicates(input.experimentId, clientRunId, found[0].info.runId);
        return found[0];
      }
    }
    throw last;
  }

  /** Active runs of an experiment with tag `key` = `value`, oldest first. */
  async runsByTag(experimentId: string, key: string, value: string): Promise<ServerRun[]> {
    return this.searchRuns({ experimentIds: [experimentId], filter: `tags.${filterKey(key)} = ${filterQuote(value)}` });
  }

  /** Delete (MLflow's soft delete) every other fresh run that carries this client id. */
  private async dropDuplicates(experimentId: string, clientRunId: string, keep: string): Promise<void> {
    for (const r of await this.runsByTag(experimentId, RUN_TAGS.clientRunId, clientRunId)) {
      if (r.info.runId !== keep) await this.api('POST', 'runs/delete', { run_id: r.info.runId });
    }
  }

  async updateRun(runId: string, patch: { status?: string; endTime?: number | null; runName?: string }): Promise<void> {
    const body: Record<string, unknown> = { run_id: runId };
    if (patch.status) body.status = patch.status;
    if (patch.endTime !== undefined && patch.endTime !== null) body.end_time = patch.endTime;
    if (patch.runName) body.run_name = patch.runName;
    await this.api('POST', 'runs/update', body);
  }

  async getRun(runId: string): Promise<ServerRun> {
    const r = await this.api<{ run: RawRun }>('GET', 'runs/get', undefined, { run_id: runId });
    return parseRun(r.run);
  }

  /** log-batch, split into as many requests as MLflow's limits require (sent in order). */
  async logBatch(runId: string, batch: BatchInput): Promise<void> {
    for (const p of batch.params ?? []) {
      checkKey('param', p.key);
      checkParamValue(p.key, p.value);
    }
    for (const t of batch.tags ?? []) {
      checkKey('tag', t.key);
      checkTagValue(t.key, t.value);
    }
    for (const [metrics, params, tags] of splitBatch(batch)) {
      const body = `{"run_id":${JSON.stringify(runId)},"metrics":[${metrics}],"params":[${params}],"tags":[${tags}]}`;
      await this.api('POST', 'runs/log-batch', body);
    }
  }

  /** runs/log-inputs: dataset inputs (the UI's Datasets column). The server keeps each (name, digest) once per run. */
  async logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    for (const d of datasets) checkDataset(d);
    for (let i = 0; i < datasets.length; i += LIMITS.datasetsPerBatch) {
      await this.api('POST', 'runs/log-inputs', { run_id: runId, datasets: datasets.slice(i, i + LIMITS.datasetsPerBatch).map(datasetToJson) });
    }
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const out: MetricPoint[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.api<{ metrics?: Record<string, unknown>[]; next_page_token?: string }>('GET', 'metrics/get-history', undefined, { run_id: runId, metric_key: key, max_results: 25_000, page_token: pageToken });
      for (const m of r.metrics ?? []) out.push({ value: doubleFromJson(m.value), step: intFromJson(m.step), timestamp: intFromJson(m.timestamp) });
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return out;
  }

  /** runs/search over experiments with an MLflow filter string; pages through all results. */
  async searchRuns(input: { experimentIds: string[]; filter?: string; orderBy?: string[]; maxResults?: number }): Promise<ServerRun[]> {
    const out: ServerRun[] = [];
    let pageToken: string | undefined;
    const limit = input.maxResults ?? Infinity;
    do {
      const r = await this.api<{ runs?: RawRun[]; next_page_token?: string }>('POST', 'runs/search', {
        experiment_ids: input.experimentIds,
        filter: input.filter ?? '',
        run_view_type: 'ACTIVE_ONLY',
        max_results: Math.min(1000, limit - out.length),
        order_by: input.orderBy ?? ['attributes.start_time ASC'],
        page_token: pageToken,
      });
      for (const run of r.runs ?? []) out.push(parseRun(run));
      pageToken = r.next_page_token || undefined;
    } while (pageToken && out.length < limit);
    return out;
  }

  // ---- artifacts (the server's proxy: mlflow server --serve-artifacts, the default) ----

  /** URL of `rel` under a run's artifact URI, resolved as MLflow's MlflowArtifactsRepository does. */
  artifactUrl(artifactUri: string, rel = ''): string {
    const m = /^mlflow-artifacts:(?:\/\/([^/]*))?(\/.*)?$/.exec(artifactUri);
    if (!m) {
      throw new EmofuseError(`the server keeps this run's artifacts at ${artifactUri}, which this client cannot reach over HTTP`, {
        where: artifactUri,
        fix: 'run the MLflow server with artifact proxying (mlflow server --serve-artifacts --artifacts-destination DIR)',
      });
    }
    const host = m[1] || this.base.host;
    const root = (m[2] ?? '/').split('/').filter(Boolean);
    const parts = [...root, ...rel.split('/').filter(Boolean)].map(encodeURIComponent);
    const prefix = this.base.pathname.replace(/\/+$/, '');
    return `${this.base.protocol}//${host}${prefix}/api/2.0/mlflow-artifacts/artifacts/${parts.join('/')}`;
  }

  async uploadArtifact(artifactUri: string, rel: string, data: Buffer): Promise<void> {
    const res = await this.request('PUT', this.artifactUrl(artifactUri, rel), { data, headers: { 'Content-Type': 'application/octet-stream' } });
    this.parse(res, `PUT artifact ${rel}`);
  }

  async downloadArtifact(artifactUri: string, rel: string): Promise<Buffer> {
    const url = this.artifactUrl(artifactUri, rel);
    const res = await this.request('GET', url, { binary: true });
    if (res.status === 404) {
      throw new EmofuseError(`artifact not found: ${rel}`, { where: `${artifactUri}/${rel}`, fix: 'list the run artifacts to see what was logged' });
    }
    if (res.status < 200 || res.status >= 300) this.parse(res, `GET artifact ${rel}`);
    return Buffer.from(res.data as ArrayBuffer);
  }

  /** Files under a run's artifact root (recursively), relative paths with sizes. */
  async listArtifacts(artifactUri: string, rel = ''): Promise<ArtifactEntry[]> {
    const root = this.artifactUrl(artifactUri);
    const marker = '/api/2.0/mlflow-artifacts/artifacts/';
    const rootPath = decodeURIComponent(root.slice(root.indexOf(marker) + marker.length));
    const listUrl = root.slice(0, root.indexOf(marker)) + '/api/2.0/mlflow-artifacts/artifacts';
    const res = await this.request('GET', listUrl, { params: { path: rel ? `${rootPath}/${rel}` : rootPath } });
    const json = this.parse<{ files?: { path: string; is_dir: boolean; file_size?: string | number }[] }>(res, `list artifacts ${rel}`);
    const out: ArtifactEntry[] = [];
    for (const f of json.files ?? []) {
      const p = rel ? `${rel}/${f.path}` : f.path;
      if (f.is_dir) out.push(...(await this.listArtifacts(artifactUri, p)));
      else out.push({ path: p, isDir: false, fileSize: f.file_size === undefined ? undefined : Number(f.file_size) });
    }
    return out;
  }
}
