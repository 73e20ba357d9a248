import { FallbackTracker, LocalFileTracker, mlflowOptionsFromEnv, type Tracker } from '@emofuse/tracking';
import type { Config } from '../config/schema.ts';
import type { RunContext } from '../context.ts';
import path from 'node:path';

/**
 * With a tracking URI (config or MLFLOW_TRACKING_URI) runs go to the server and are journaled to
 * the local store too, so a server that is down or fails mid-run loses nothing (`emofuse runs push`
 * delivers them later). Without one, runs go to the local store only.
 */
export function makeTracker(config: Config, ctx: RunContext): Tracker {
  const uri = config.tracking.uri ?? process.env.MLFLOW_TRACKING_URI;
  if (!uri) return new LocalFileTracker(localStoreDir());
  return new FallbackTracker({ remote: mlflowOptionsFromEnv(process.env, uri), localDir: localStoreDir(), warn: ctx.warn });
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
