import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { EmofuseError, type MetricPoint } from '@emofuse/core';
import { currentUser } from './context.ts';
import { doubleFromJson, doubleToJsonToken, intFromJson } from './numbers.ts';
import { RUN_TAGS, DATASET_CONTEXT_TAG, EXPERIMENT_TAGS, type DatasetInput, type LoggedDataset } from './types.ts';
import { LIMITS, checkDataset, inputTags, checkKey, checkParamValue, checkTagValue } from './validate.ts';
import { redactUri, sameOrigin, splitCredentials } from './uri.ts';

/** Connection settings; `mlflowOptionsFromEnv` reads them the way MLflow's own clients do. */
export interface MlflowClientOptions {
  /**
   * Tracking server URL, e.g. http://127.0.0.1:5000 (a path prefix such as /mlflow is kept). User
   * info in it (http://user:secret@host) is basic auth and wins over the other settings, as in MLflow.
   */
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
  /** Aborts every request in flight (and every backoff wait) of this client, e.g. on Ctrl-C. */
  signal?: AbortSignal;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);

/**
 * Read MLFLOW_TRACKING_URI and the auth variables; `uri` overrides the environment's URI. A `uri`
 * without credentials (or with redacted ones: a plan.json, a printed push command) for the server
 * MLFLOW_TRACKING_URI names borrows that URI's credentials.
 */
export function mlflowOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, uri?: string): MlflowClientOptions {
  let u = uri ?? env.MLFLOW_TRACKING_URI;
  if (!u) {
    throw new EmofuseError('no MLflow tracking URI', { where: 'MLFLOW_TRACKING_URI', fix: 'set MLFLOW_TRACKING_URI=http://host:port, or pass the server URI' });
  }
  const given = splitCredentials(u);
  if ((given.redacted || given.username === undefined) && env.MLFLOW_TRACKING_URI && sameOrigin(env.MLFLOW_TRACKING_URI, given.uri)) {
    const own = splitCredentials(env.MLFLOW_TRACKING_URI);
    if (own.username !== undefined && !own.redacted) {
      const b = new URL(given.uri);
      const e = new URL(env.MLFLOW_TRACKING_URI);
      b.username = e.username;
      b.password = e.password;
      u = b.href;
    }
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
  /** The request may have been carried out although no reply came (timeout, 502/503/504, reset after sending). */
  readonly ambiguous: boolean;
  /** Cancelled by the client's AbortSignal (or a caller's deadline), not by the server. */
  readonly aborted: boolean;
  constructor(message: string, opts: { where: string; fix?: string; status?: number; errorCode?: string; cause?: unknown; ambiguous?: boolean; aborted?: boolean }) {
    super(message, opts);
    this.status = opts.status;
    this.errorCode = opts.errorCode;
    this.ambiguous = opts.ambiguous ?? false;
    this.aborted = opts.aborted ?? false;
  }
  /** True when the server could not be reached or kept failing (the fallback's trigger). */
  get unavailable(): boolean {
    return this.aborted || this.status === undefined || this.status === 429 || this.status >= 500;
  }
}

// Errors where the request never left this machine, so the server cannot have acted on it.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN']);

/** Whether a failed attempt may still have been carried out by the server. */
function attemptAmbiguous(res: AxiosResponse | undefined, netErr: unknown): boolean {
  if (res) return res.status !== 429; // 429 is a refusal; any 5xx may come after the work was done
  return !NOT_SENT.has((netErr as { code?: string })?.code ?? '');
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
  /** Dataset inputs (runs/log-inputs), as the server returns them. */
  datasets: LoggedDataset[];
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

type RawDatasetInput = { tags?: { key: string; value: string }[]; dataset?: Record<string, string | undefined> };
type RawRun = {
  info?: Record<string, unknown>;
  data?: { params?: { key: string; value: string }[]; metrics?: Record<string, unknown>[]; tags?: { key: string; value: string }[] };
  inputs?: { dataset_inputs?: RawDatasetInput[] };
};

/** A dataset as `runs/log-inputs` takes it (objects become JSON text, as MLflow stores them). */
export function datasetToJson(d: DatasetInput): { tags: { key: string; value: string }[]; dataset: Record<string, string> } {
  const text = (v: string | Record<string, unknown> | undefined) => (v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v));
  const dataset: Record<string, string> = { name: d.name, digest: d.digest, source_type: d.sourceType, source: text(d.source)! };
  const schema = text(d.schema);
  const profile = text(d.profile);
  if (schema !== undefined) dataset.schema = schema;
  if (profile !== undefined) dataset.profile = profile;
  const tags = inputTags(d);
  return { tags: Object.entries(tags).map(([key, value]) => ({ key, value })), dataset };
}

function parseDatasetInput(raw: RawDatasetInput): LoggedDataset {
  const d = raw.dataset ?? {};
  const tags = Object.fromEntries((raw.tags ?? []).map((t) => [t.key, t.value]));
  return {
    name: String(d.name ?? ''),
    digest: String(d.digest ?? ''),
    sourceType: String(d.source_type ?? ''),
    source: String(d.source ?? ''),
    schema: d.schema ?? undefined,
    profile: d.profile ?? undefined,
    context: tags[DATASET_CONTEXT_TAG],
    tags,
  };
}

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
    datasets: (raw.inputs?.dataset_inputs ?? []).map(parseDatasetInput),
  };
}

/** setTimeout as a promise that an AbortSignal ends early (rejecting). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const t = setTimeout(done, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
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
      throw new EmofuseError(`tracking URI is not a URL: ${redactUri(opts.uri)}`, { where: 'tracking URI', fix: 'use http://host:port or https://host/prefix', cause: e });
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new EmofuseError(`tracking URI must be http(s), got ${redactUri(opts.uri)}`, { where: 'tracking URI', fix: 'use an http(s) MLflow server, or the local store (no URI)' });
    }
    // User info is basic auth and never part of the base (so no message or file shows it).
    const cred = splitCredentials(opts.uri);
    base = new URL(cred.uri);
    if (cred.username !== undefined) opts = { ...opts, uri: cred.uri, username: cred.username, password: cred.password ?? '' };
    else if (cred.redacted) opts = { ...opts, uri: cred.uri };
    this.base = base;
    this.opts = { maxRetries: 4, backoffMs: 250, maxBackoffMs: 10_000, timeoutMs: 60_000, ...opts };
    const headers: Record<string, string> = {};
    let auth: { username: string; password: string } | undefined;
    if (opts.username && opts.password !== undefined) auth = { username: opts.username, password: opts.password };
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

  /** A client with the same settings whose requests `signal` also cancels (a tracker's Ctrl-C or deadline). */
  withSignal(signal: AbortSignal): MlflowRestClient {
    return new MlflowRestClient({ ...this.opts, signal: this.opts.signal ? AbortSignal.any([this.opts.signal, signal]) : signal });
  }

  private url(apiPath: string, base = this.base): string {
    const prefix = base.pathname.replace(/\/+$/, '');
    return `${base.protocol}//${base.host}${prefix}${apiPath}`;
  }

  /**
   * One HTTP call with bounded retries (exponential backoff with jitter; Retry-After honoured on 429).
   * A request that is not `idempotent` is retried only when the server cannot have acted on it
   * (connection refused, 429); after an ambiguous failure it throws an error with `ambiguous` set,
   * so the caller can look for the effect before trying again.
   */
  async request(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    opts: { params?: Record<string, unknown>; data?: string | Buffer; headers?: Record<string, string>; binary?: boolean; idempotent?: boolean; signal?: AbortSignal } = {},
  ): Promise<AxiosResponse> {
    const signals = [this.opts.signal, opts.signal].filter((x): x is AbortSignal => !!x);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const idempotent = opts.idempotent ?? true;
    const aborted = (cause: unknown) =>
      new MlflowApiError(`request to the MLflow server ${this.uri} was cancelled`, { where: `${method} ${url}`, aborted: true, ambiguous: true, cause, fix: 'runs are kept in the local store; deliver them with `emofuse runs push`' });
    let attempt = 0;
    for (;;) {
      if (signal?.aborted) throw aborted(signal.reason);
      let res: AxiosResponse | undefined;
      let netErr: unknown;
      try {
        res = await this.http.request({
          method,
          url,
          params: opts.params,
          data: opts.data,
          headers: opts.headers,
          signal,
          responseType: opts.binary ? 'arraybuffer' : 'text',
          transformResponse: [(d) => d],
        });
      } catch (e) {
        if (signal?.aborted) throw aborted(e);
        netErr = e;
      }
      const retryable = res ? res.status === 429 || res.status >= 500 : true;
      if (res && !retryable) return res;
      const ambiguous = attemptAmbiguous(res, netErr);
      if (attempt >= this.opts.maxRetries || (!idempotent && ambiguous)) {
        const code = (netErr as { code?: string })?.code ?? '';
        if (res) {
          if (!idempotent && ambiguous) {
            throw new MlflowApiError(`MLflow server ${this.uri} answered ${res.status} to ${method} ${new URL(url).pathname}; the request may have been carried out`, {
              where: `${method} ${url}`, status: res.status, ambiguous: true, fix: 'the client looks for its effect before repeating it',
            });
          }
          return res;
        }
        throw new MlflowApiError(`cannot reach the MLflow server ${this.uri} (${code || (netErr as Error)?.message}) after ${attempt + 1} attempts`, {
          where: `${method} ${url}`,
          fix: 'start the server or check MLFLOW_TRACKING_URI; runs can be logged locally and pushed later with `emofuse runs push`',
          cause: netErr,
          ambiguous,
        });
      }
      let delay = Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** attempt) * (0.5 + Math.random() / 2);
      const retryAfter = Number(res?.headers?.['retry-after']);
      if (res?.status === 429 && Number.isFinite(retryAfter)) delay = Math.min(this.opts.maxBackoffMs, retryAfter * 1000);
      try {
        await sleep(delay, signal);
      } catch (e) {
        throw aborted(e);
      }
      attempt++;
    }
  }

  /** Wait like a retry would (used between a failed create and the search for its effect). */
  backoff(attempt: number): Promise<void> {
    return sleep(Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** attempt) * (0.5 + Math.random() / 2), this.opts.signal).catch((e) => {
      throw new MlflowApiError(`request to the MLflow server ${this.uri} was cancelled`, { where: 'backoff', aborted: true, cause: e });
    });
  }

  /** Call `/api/2.0/mlflow/<endpoint>` and parse the JSON reply; errors become MlflowApiError. */
  async api<T = Record<string, unknown>>(method: 'GET' | 'POST', endpoint: string, body?: string | Record<string, unknown>, params?: Record<string, unknown>, opts: { idempotent?: boolean } = {}): Promise<T> {
    const url = this.url(`/api/2.0/mlflow/${endpoint}`);
    const res = await this.request(method, url, {
      params,
      idempotent: opts.idempotent,
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

function toExperiment(e: Record<string, unknown>): ServerExperiment {
  return {
    experimentId: String(e.experiment_id),
    name: String(e.name),
    artifactLocation: String(e.artifact_location ?? ''),
    lifecycleStage: String(e.lifecycle_stage ?? 'active'),
  };
}

/** Quote a value for an MLflow search filter string. */
export function filterQuote(v: string): string {
  return `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** Backtick-quote an entity key (tag names may contain dots). */
export function filterKey(k: string): string {
  return '`' + k.replaceAll('`', '') + '`';
}

