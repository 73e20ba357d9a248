import { fileURLToPath } from 'node:url';
import { EmofuseError } from '@emofuse/core';
import { FallbackTracker } from './fallback.ts';
import { LocalFileTracker } from './local-tracker.ts';
import { mlflowOptionsFromEnv, type MlflowClientOptions } from './http.ts';
import { MlflowRestTracker } from './rest-tracker.ts';
import type { Tracker } from './types.ts';

export interface CreateTrackerOptions {
  /** `tracking.uri`: http(s) server, file:// URI or a directory; null/undefined = env MLFLOW_TRACKING_URI, else the local store. */
  uri?: string | null;
  /** Local store directory (default ./mlruns); also the fallback journal for a server. */
  localDir?: string;
  /** With a server: journal locally and carry on when it is lost (default true). */
  fallback?: boolean;
  warn?: (message: string) => void;
  /** With a server: how a user delivers the local journal later, for the warning (see FallbackOptions). */
  pushHint?: (store: string, server: string) => string;
  env?: NodeJS.ProcessEnv;
  /** Extra client settings (retries, timeouts). */
  client?: Partial<MlflowClientOptions>;
  /**
   * Ctrl-C: with a server, aborting it cancels requests in flight and marks open runs KILLED in the
   * local journal at once (the tracker never keeps the process waiting).
   */
  signal?: AbortSignal;
  /** With a server and fallback: mirror from a background queue so the server never slows training (default true). */
  background?: boolean;
  /** How long the last endRun waits for the server before leaving the rest to `runs push` (default 10 s). */
  drainMs?: number;
  /** Most queued server calls (default 10 000). */
  queueLimit?: number;
  /** MLflow context tags (source, git, user) on each run; false = only mlflow.user. */
  context?: boolean | Record<string, string>;
}

/** The tracker the config asks for (`tracking.uri`, else MLFLOW_TRACKING_URI, else the local store). */
export function createTracker(opts: CreateTrackerOptions = {}): Tracker {
  const env = opts.env ?? process.env;
  const uri = opts.uri ?? env.MLFLOW_TRACKING_URI ?? null;
  const context = { context: opts.context };
  if (!uri) return new LocalFileTracker(opts.localDir ?? 'mlruns', context);
  if (uri.startsWith('file:')) return new LocalFileTracker(fileURLToPath(uri), context);
  if (/^https?:\/\//i.test(uri)) {
    const remote = new MlflowRestTracker({ ...mlflowOptionsFromEnv(env, uri), ...opts.client, signal: opts.signal ?? opts.client?.signal }, context);
    if (opts.fallback === false) return remote;
    return new FallbackTracker({
      remote, localDir: opts.localDir, warn: opts.warn, signal: opts.signal, background: opts.background ?? true, drainMs: opts.drainMs, queueLimit: opts.queueLimit, pushHint: opts.pushHint, ...context,
    });
  }
  if (!/^[a-z][a-z0-9+.-]*:/i.test(uri)) return new LocalFileTracker(uri, context);
  throw new EmofuseError(`unsupported tracking URI ${uri}`, {
    where: 'tracking URI',
    fix: 'use http(s)://host:port for an MLflow server, or a directory / file:// URI for the local store (for sqlite:// or databricks, run an mlflow server in front of it)',
  });
}
