import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTracker, type Tracker } from '@emofuse/tracking';
import type { Config } from '../config/schema.ts';
import type { RunContext } from '../context.ts';

/**
 * With a tracking URI (config or MLFLOW_TRACKING_URI) runs go to the server and are journaled to
 * the local store too, so a server that is down, slow or fails mid-run loses nothing and never
 * holds training back (`emofuse runs push` delivers the rest later). Ctrl-C cancels server requests
 * in flight. Without a URI, runs go to the local store only.
 */
export function makeTracker(config: Config, ctx: RunContext): Tracker {
  return createTracker({ uri: config.tracking.uri ?? undefined, localDir: localStoreDir(), warn: ctx.warn, signal: ctx.signal });
}

/** Where a tracker's runs can be read back from disk: its own folder, or the journal of a server run. */
export function readableStore(tracker: Tracker): string {
  return tracker.location.startsWith('file:') ? fileURLToPath(tracker.location) : localStoreDir();
}

/** The resolved config as flat `key.path` params (lists as JSON), so runs can be compared key by key. */
export function flattenConfig(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (v: unknown, key: string) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, key ? `${key}.${k}` : k);
    } else if (key !== 'seeds' && !key.startsWith('tags.')) {
      out[key] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  };
  walk(config, '');
  return out;
}

/** The local MLflow-layout store: ./mlruns, or EMOFUSE_MLRUNS. */
export function localStoreDir(): string {
  return path.resolve(process.env.EMOFUSE_MLRUNS ?? 'mlruns');
}
