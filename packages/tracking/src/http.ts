/**
 * Transport and retry for the MLflow REST client: connection settings (read from the environment as
 * MLflow's clients do), the HTTP calls with bounded retries, and MLflow's error replies.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { EmofuseError } from '@emofuse/core';
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

/**
 * The transport under MlflowRestClient: one server's base URL and auth, requests with bounded retries
 * and backoff, and JSON replies with MLflow's errors turned into MlflowApiError. Knows no endpoint.
 */
export class MlflowHttp {
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

  protected url(apiPath: string, base = this.base): string {
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
      new MlflowApiError(`request to the MLflow server ${this.uri} was cancelled`, { where: `${method} ${url}`, aborted: true, ambiguous: true, cause, fix: 'runs are kept in the local store; push them to the server later' });
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
          fix: 'start the server or check MLFLOW_TRACKING_URI; runs can be logged to a local store and pushed to the server later',
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

  protected parse<T>(res: AxiosResponse, where: string): T {
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
}
