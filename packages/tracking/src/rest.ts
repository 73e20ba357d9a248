import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { EmofuseError, type MetricPoint } from '@emofuse/core';
import { doubleFromJson, doubleToJsonToken, intFromJson } from './numbers.ts';
import { LIMITS, checkKey, checkParamValue, checkTagValue } from './validate.ts';

/** Connection settings; `mlflowOptionsFromEnv` reads them the way MLflow's own clients do. */
export interface MlflowClientOptions {
  /** Tracking server URL, e.g. http://127.0.0.1:5000 (a path prefix such as /mlflow is kept). */
  uri: string;
  /** Bearer token (MLFLOW_TRACKING_TOKEN). */
  token?: string;
  /** Basic auth (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD); takes precedence over the token, as in MLflow. */
  username?: string;
  password?: string;
  /** Skip TLS verification (MLFLOW_TRACKING_INSECURE_TLS=true). */
  insecureTls?: boolean;
  /** CA bundle path (MLFLOW_TRACKING_SERVER_CERT_PATH). */
  caCertPath?: string;
  /** Retries after the first attempt on 429, any 5xx and network errors. Default 4. */
  maxRetries?: number;
  /** First backoff delay; doubles each retry (with jitter). Default 250 ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Per-request timeout. Default 60 s. */
  timeoutMs?: number;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);

/** Read MLFLOW_TRACKING_URI and the auth variables; `uri` overrides the environment's URI. */
export function mlflowOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, uri?: string): MlflowClientOptions {
  const u = uri ?? env.MLFLOW_TRACKING_URI;
  if (!u) {
    throw new EmofuseError('no MLflow tracking URI', { where: 'MLFLOW_TRACKING_URI', fix: 'set MLFLOW_TRACKING_URI=http://host:port or tracking.uri in the config' });
  }
  return {
    uri: u,
    token: env.MLFLOW_TRACKING_TOKEN || undefined,
    username: env.MLFLOW_TRACKING_USERNAME || undefined,
    password: env.MLFLOW_TRACKING_PASSWORD || undefined,
    insecureTls: TRUE.has((env.MLFLOW_TRACKING_INSECURE_TLS ?? '').toLowerCase()),
    caCertPath: env.MLFLOW_TRACKING_SERVER_CERT_PATH || undefined,
  };
}

/** An MLflow API error (non-retryable, or retries exhausted). `status` is undefined for network errors. */
export class MlflowApiError extends EmofuseError {
  readonly status?: number;
  readonly errorCode?: string;
  constructor(message: string, opts: { where: string; fix?: string; status?: number; errorCode?: string; cause?: unknown }) {
    super(message, opts);
    this.status = opts.status;
    this.errorCode = opts.errorCode;
  }
  /** True when the server could not be reached or kept failing (the fallback's trigger). */
  get unavailable(): boolean {
    return this.status === undefined || this.status === 429 || this.status >= 500;
  }
}


export interface ServerRunInfo {
  runId: string;
  experimentId: string;
  runName: string;
  status: string;
  startTime: number;
  endTime: number | null;
  artifactUri: string;
  lifecycleStage: string;
  userId: string;
}

export interface ServerRun {
  info: ServerRunInfo;
  params: Record<string, string>;
  /** Latest value per key. */
  metrics: Record<string, MetricPoint>;
  tags: Record<string, string>;
}

export interface ServerExperiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: string;
}

export interface BatchInput {
  metrics?: { key: string; value: number; step: number; timestamp: number }[];
  params?: { key: string; value: string }[];
  tags?: { key: string; value: string }[];
}

export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  fileSize?: number;
}

type RawRun = { info?: Record<string, unknown>; data?: { params?: { key: string; value: string }[]; metrics?: Record<string, unknown>[]; tags?: { key: string; value: string }[] } };

function parseRun(raw: RawRun): ServerRun {
  const i = raw.info ?? {};
  const d = raw.data ?? {};
  const metrics: Record<string, MetricPoint> = {};
  for (const m of d.metrics ?? []) {
    metrics[String(m.key)] = { value: doubleFromJson(m.value), step: intFromJson(m.step), timestamp: intFromJson(m.timestamp) };
  }
  return {
    info: {
      runId: String(i.run_id ?? i.run_uuid),
      experimentId: String(i.experiment_id),
      runName: String(i.run_name ?? ''),
      status: String(i.status ?? 'RUNNING'),
      startTime: intFromJson(i.start_time),
      endTime: i.end_time === undefined || i.end_time === null ? null : intFromJson(i.end_time),
      artifactUri: String(i.artifact_uri ?? ''),
      lifecycleStage: String(i.lifecycle_stage ?? 'active'),
      userId: String(i.user_id ?? ''),
    },
    params: Object.fromEntries((d.params ?? []).map((p) => [p.key, p.value ?? ''])),
    metrics,
    tags: Object.fromEntries((d.tags ?? []).map((t) => [t.key, t.value ?? ''])),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Split a batch so each request stays within MLflow's log-batch limits (count and bytes). */
export function splitBatch(batch: BatchInput): string[][] {
  type Item = { kind: 'metrics' | 'params' | 'tags'; json: string };
  const items: Item[] = [
    ...(batch.params ?? []).map((p) => ({ kind: 'params' as const, json: `{"key":${JSON.stringify(p.key)},"value":${JSON.stringify(p.value)}}` })),
    ...(batch.tags ?? []).map((t) => ({ kind: 'tags' as const, json: `{"key":${JSON.stringify(t.key)},"value":${JSON.stringify(t.value)}}` })),
    ...(batch.metrics ?? []).map((m) => ({
      kind: 'metrics' as const,
      json: `{"key":${JSON.stringify(m.key)},"value":${doubleToJsonToken(m.value)},"timestamp":${m.timestamp},"step":${m.step}}`,
    })),
  ];
  const max = { metrics: LIMITS.metricsPerBatch, params: LIMITS.paramsPerBatch, tags: LIMITS.tagsPerBatch };
  const bodies: string[][] = [];
  let cur: Record<Item['kind'], string[]> = { metrics: [], params: [], tags: [] };
  let count = 0;
  let bytes = 0;
  const flush = () => {
    if (count === 0) return;
    bodies.push([cur.metrics.join(','), cur.params.join(','), cur.tags.join(',')]);
    cur = { metrics: [], params: [], tags: [] };
    count = 0;
    bytes = 0;
  };
  for (const it of items) {
    const size = Buffer.byteLength(it.json) + 1;
    if (cur[it.kind].length >= max[it.kind] || count >= LIMITS.entitiesPerBatch || bytes + size > LIMITS.batchBytes) flush();
    cur[it.kind].push(it.json);
    count++;
    bytes += size;
  }
  flush();
  return bodies;
}

/** A thin client of MLflow's REST API 2.0 and its artifact proxy. */
export class MlflowRestClient {
  readonly opts: Required<Pick<MlflowClientOptions, 'maxRetries' | 'backoffMs' | 'maxBackoffMs' | 'timeoutMs'>> & MlflowClientOptions;
  readonly base: URL;
  private http: AxiosInstance;

  constructor(opts: MlflowClientOptions) {
    let base: URL;
    try {
      base = new URL(opts.uri);
    } catch (e) {
      throw new EmofuseError(`tracking URI is not a URL: ${opts.uri}`, { where: 'tracking.uri', fix: 'use http://host:port or https://host/prefix', cause: e });
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new EmofuseError(`tracking URI must be http(s), got ${opts.uri}`, { where: 'tracking.uri', fix: 'use an http(s) MLflow server, or leave tracking.uri empty for the local ./mlruns store' });
    }
    this.base = base;
    this.opts = { maxRetries: 4, backoffMs: 250, maxBackoffMs: 10_000, timeoutMs: 60_000, ...opts };
    const headers: Record<string, string> = {};
    let auth: { username: string; password: string } | undefined;
    if (opts.username && opts.password) auth = { username: opts.username, password: opts.password };
    else if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    this.http = axios.create({
      timeout: this.opts.timeoutMs,
      headers,
      auth,
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
      validateStatus: () => true,
      // keep-alive, and no proxy surprises from the environment for a local server
      httpAgent: new http.Agent({ keepAlive: true }),
      httpsAgent: new https.Agent({
        keepAlive: true,
        rejectUnauthorized: !opts.insecureTls,
        ca: opts.caCertPath ? readFileSync(opts.caCertPath) : undefined,
      }),
    });
  }

  get uri(): string {
    return this.base.href.replace(/\/$/, '');
  }

  private url(apiPath: string, base = this.base): string {
    const prefix = base.pathname.replace(/\/+$/, '');
    return `${base.protocol}//${base.host}${prefix}${apiPath}`;
  }

  /** One HTTP call with bounded retries (exponential backoff with jitter; Retry-After honoured on 429). */
  async request(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, opts: { params?: Record<string, unknown>; data?: string | Buffer; headers?: Record<string, string>; binary?: boolean } = {}): Promise<AxiosResponse> {
    let attempt = 0;
    for (;;) {
      let res: AxiosResponse | undefined;
      let netErr: unknown;
      try {
        res = await this.http.request({
          method,
          url,
          params: opts.params,
          data: opts.data,
          headers: opts.headers,
          responseType: opts.binary ? 'arraybuffer' : 'text',
          transformResponse: [(d) => d],
        });
      } catch (e) {
        netErr = e;
      }
      const retryable = res ? res.status === 429 || res.status >= 500 : true;
      if (res && !retryable) return res;
      if (attempt >= this.opts.maxRetries) {
        if (res) return res;
        const code = (netErr as { code?: string })?.code ?? '';
        throw new MlflowApiError(`cannot reach the MLflow server ${this.uri} (${code || (netErr as Error)?.message}) after ${attempt + 1} attempts`, {
          where: `${method} ${url}`,
          fix: 'start the server or check MLFLOW_TRACKING_URI; runs can be logged locally and pushed later with `emofuse runs push`',
          cause: netErr,
        });
      }
      let delay = Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** attempt) * (0.5 + Math.random() / 2);
      const retryAfter = Number(res?.headers?.['retry-after']);
      if (res?.status === 429 && Number.isFinite(retryAfter)) delay = Math.min(this.opts.maxBackoffMs, retryAfter * 1000);
      await sleep(delay);
      attempt++;
    }
  }

  /** Call `/api/2.0/mlflow/<endpoint>` and parse the JSON reply; errors become MlflowApiError. */
  async api<T = Record<string, unknown>>(method: 'GET' | 'POST', endpoint: string, body?: string | Record<string, unknown>, params?: Record<string, unknown>): Promise<T> {
    const url = this.url(`/api/2.0/mlflow/${endpoint}`);
    const res = await this.request(method, url, {
      params,
      data: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
    });
    return this.parse<T>(res, `${method} ${endpoint}`);
  }

  private parse<T>(res: AxiosResponse, where: string): T {
    const text = typeof res.data === 'string' ? res.data : Buffer.from(res.data as ArrayBuffer).toString('utf8');
    let json: { error_code?: string; message?: string } | undefined;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    if (res.status >= 200 && res.status < 300 && json !== undefined) return json as T;
    const code = json?.error_code;
    const msg = json?.message ?? text.slice(0, 300);
    throw new MlflowApiError(`MLflow server ${this.uri} answered ${res.status}${code ? ` ${code}` : ''}: ${msg}`, {
      where,
      status: res.status,
      errorCode: code,
      fix: res.status === 401 || res.status === 403 ? 'set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD' : 'see the server message above',
    });
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
      const r = await this.api<{ experiment_id: string }>('POST', 'experiments/create', { name });
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

  async createRun(input: { experimentId: string; runName?: string; startTime?: number; tags?: Record<string, string>; userId?: string }): Promise<ServerRun> {
    const tags = Object.entries(input.tags ?? {}).map(([key, value]) => {
      checkKey('tag', key);
      checkTagValue(key, value);
      return { key, value };
    });
    const r = await this.api<{ run: RawRun }>('POST', 'runs/create', {
      experiment_id: input.experimentId,
      user_id: input.userId ?? userName(),
      start_time: input.startTime ?? Date.now(),
      run_name: input.runName,
      tags,
    });
    return parseRun(r.run);
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

function toExperiment(e: Record<string, unknown>): ServerExperiment {
  return {
    experimentId: String(e.experiment_id),
    name: String(e.name),
    artifactLocation: String(e.artifact_location ?? ''),
    lifecycleStage: String(e.lifecycle_stage ?? 'active'),
  };
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Quote a value for an MLflow search filter string. */
export function filterQuote(v: string): string {
  return `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** Backtick-quote an entity key (tag names may contain dots). */
export function filterKey(k: string): string {
  return '`' + k.replaceAll('`', '') + '`';
}

