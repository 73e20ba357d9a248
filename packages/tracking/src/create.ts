import { fileURLToPath } from 'node:url';
import { EmofuseError } from '@emofuse/core';
import { FallbackTracker } from './fallback.ts';
import { LocalFileTracker } from './local-tracker.ts';
import { mlflowOptionsFromEnv, type MlflowClientOptions } from './rest.ts';
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
  env?: NodeJS.ProcessEnv;
  /** Extra client settings (retries, timeouts). */
  client?: Partial<MlflowClientOptions>;
}

/** The tracker the config asks for (CONFIG_SPEC `tracking.uri`). */
export function createTracker(opts: CreateTrackerOptions = {}): Tracker {
  const env = opts.env ?? process.env;
  const uri = opts.uri ?? env.MLFLOW_TRACKING_URI ?? null;
  if (!uri) return new LocalFileTracker(opts.localDir ?? 'mlruns');
  if (uri.startsWith('file:')) return new LocalFileTracker(fileURLToPath(uri));
  if (/^https?:\/\//i.test(uri)) {
    const remote = new MlflowRestTracker({ ...mlflowOptionsFromEnv(env, uri), ...opts.client });
    return opts.fallback === false ? remote : new FallbackTracker({ remote, localDir: opts.localDir, warn: opts.warn });
  }
  if (!/^[a-z][a-z0-9+.-]*:/i.test(uri)) return new LocalFileTracker(uri);
  throw new EmofuseError(`unsupported tracking URI ${uri}`, {
    where: 'tracking.uri',
    fix: 'use http(s)://host:port for an MLflow server, or a directory / file:// URI for the local store (for sqlite:// or databricks, run an mlflow server in front of it)',
  });
}
