import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EmofuseError, writeFileAtomic, type MetricPoint, type RunRecord, type RunStatus } from '@emofuse/core';
import { LocalStore, latestPoint, type ExperimentMeta, type RunMeta } from './filestore.ts';
import { SQL_STORE_INFINITY } from './numbers.ts';
import { mlflowOptionsFromEnv, type MlflowClientOptions } from './http.ts';
import { MlflowRestClient } from './rest.ts';
import { filterKey, filterQuote, type ServerRun } from './wire.ts';
import { RUN_TAGS } from './types.ts';

/** Where to read runs from: a local store directory, or a server (auth from the environment unless given). */
export type RunSource = { store: string } | ({ uri: string } & Partial<MlflowClientOptions>) | { client: MlflowRestClient };

export interface RunFilter {
  /** Experiment name(s); default all. */
  experiment?: string | string[];
  /** Every given tag must match exactly. */
  tags?: Record<string, string>;
  runIds?: string[];
  /** Fetch full metric histories (default true; false leaves only the latest point per key). */
  histories?: boolean;
  /**
   * MLflow's SQL store keeps +-Infinity as +-1.7976931348623157e308; read those back as +-Infinity
   * (default true). Set false to see the stored numbers.
   */
  restoreInfinity?: boolean;
}

function clientOf(source: RunSource): MlflowRestClient {
  if ('client' in source) return source.client;
  if ('uri' in source) return new MlflowRestClient({ ...mlflowOptionsFromEnv(process.env, source.uri), ...source });
  throw new Error('not a server source');
}

function localStoreOf(source: { store: string }): LocalStore {
  const store = new LocalStore(source.store);
  if (!store.exists()) {
    throw new EmofuseError(`no run store at ${store.root}`, { where: store.root, fix: 'pass the mlruns directory the runs were logged to' });
  }
  return store;
}

/** Runs matching the filter, oldest first, as `RunRecord`s (from the local store or a server). */
export async function listRuns(source: RunSource, filter: RunFilter = {}): Promise<RunRecord[]> {
  const names = filter.experiment === undefined ? undefined : new Set(Array.isArray(filter.experiment) ? filter.experiment : [filter.experiment]);
  const ids = filter.runIds ? new Set(filter.runIds) : undefined;
  const tagsMatch = (tags: Record<string, string>) => Object.entries(filter.tags ?? {}).every(([k, v]) => tags[k] === v);

  if ('store' in source) {
    const store = localStoreOf(source);
    const out: RunRecord[] = [];
    for (const exp of store.experiments()) {
      if (names && !names.has(exp.name)) continue;
      for (const run of store.runs(exp)) {
        if (ids && !ids.has(run.runId)) continue;
        const rec = store.toRecord(exp, run);
        if (!tagsMatch(rec.tags)) continue;
        if (filter.histories === false) for (const k of Object.keys(rec.metricHistory)) rec.metricHistory[k] = [latestPoint(rec.metricHistory[k])];
        out.push(rec);
      }
    }
    return out.sort((a, b) => a.startTime - b.startTime);
  }

  const client = clientOf(source);
  const restore = filter.restoreInfinity ?? true;
  let experiments: { experimentId: string; name: string }[];
  if (names) {
    experiments = [];
    for (const n of names) {
      const e = await client.getExperimentByName(n);
      if (e) experiments.push(e);
    }
  } else {
    const r = await client.api<{ experiments?: { experiment_id: string; name: string }[] }>('POST', 'experiments/search', { max_results: 50000, view_type: 'ACTIVE_ONLY' });
    experiments = (r.experiments ?? []).map((e) => ({ experimentId: String(e.experiment_id), name: e.name }));
  }
  const expName = new Map(experiments.map((e) => [e.experimentId, e.name]));
  let runs: ServerRun[];
  if (ids) {
    runs = [];
    for (const id of ids) runs.push(await client.getRun(id));
    runs = runs.filter((r) => expName.has(r.info.experimentId) && r.info.lifecycleStage === 'active');
  } else if (experiments.length === 0) {
    runs = [];
  } else {
    const filterString = Object.entries(filter.tags ?? {})
      .map(([k, v]) => `tags.${filterKey(k)} = ${filterQuote(v)}`)
      .join(' and ');
    runs = [];
    // runs/search takes at most 100 experiment ids per call
    for (let i = 0; i < experiments.length; i += 100) {
      runs.push(...(await client.searchRuns({ experimentIds: experiments.slice(i, i + 100).map((e) => e.experimentId), filter: filterString })));
    }
  }
  const out: RunRecord[] = [];
  for (const r of runs) {
    if (!tagsMatch(r.tags)) continue;
    const fix = (v: number) => (restore && Math.abs(v) === SQL_STORE_INFINITY ? Math.sign(v) * Infinity : v);
    const metricHistory: Record<string, MetricPoint[]> = {};
    const metrics: Record<string, number> = {};
    for (const [k, latest] of Object.entries(r.metrics)) {
      const pts = filter.histories === false ? [latest] : await client.getMetricHistory(r.info.runId, k);
      metricHistory[k] = pts.map((p) => ({ ...p, value: fix(p.value) }));
      metrics[k] = fix(latest.value);
    }
    out.push({
      runId: r.info.runId,
      experimentId: r.info.experimentId,
      experimentName: expName.get(r.info.experimentId) ?? '',
      runName: r.info.runName || r.tags[RUN_TAGS.runName] || '',
      status: r.info.status as RunStatus,
      startTime: r.info.startTime,
      endTime: r.info.endTime,
      params: r.params,
      metrics,
      metricHistory,
      tags: r.tags,
      parentRunId: r.tags[RUN_TAGS.parentRunId] ?? null,
      artifactUri: r.info.artifactUri,
      localArtifactDir: null,
    });
  }
  return out.sort((a, b) => a.startTime - b.startTime);
}

function findLocal(store: LocalStore, runId: string): { exp: ExperimentMeta; run: RunMeta } {
  const hit = store.findRun(runId);
  if (!hit) throw new EmofuseError(`run ${runId} is not in ${store.root}`, { where: store.root, fix: 'list the runs of this store and pass one of their ids' });
  return hit;
}

/** The bytes of one artifact (`artifactPath` relative to the run's artifact root). */
export async function readArtifact(source: RunSource, runId: string, artifactPath: string): Promise<Buffer> {
  const rel = artifactPath.replace(/^\/+/, '');
  if (rel.split('/').includes('..')) throw new EmofuseError(`artifact path must not contain "..": ${artifactPath}`, { where: artifactPath, fix: 'use a path inside the run' });
  if ('store' in source) {
    const store = localStoreOf(source);
    const { run } = findLocal(store, runId);
    const file = path.join(store.artifactDir(run), ...rel.split('/'));
    if (!existsSync(file)) throw new EmofuseError(`artifact not found: ${rel}`, { where: file, fix: `list the run's artifacts: ${store.listArtifacts(run).join(', ') || '(none)'}` });
    return readFileSync(file);
  }
  const client = clientOf(source);
  const run = await client.getRun(runId);
  return client.downloadArtifact(run.info.artifactUri, rel);
}

export async function readArtifactText(source: RunSource, runId: string, artifactPath: string): Promise<string> {
  return (await readArtifact(source, runId, artifactPath)).toString('utf8');
}

/** Copy one artifact to `dest` (a file path; parent directories are created); returns `dest`. */
export async function downloadArtifact(source: RunSource, runId: string, artifactPath: string, dest: string): Promise<string> {
  const data = await readArtifact(source, runId, artifactPath);
  mkdirSync(path.dirname(path.resolve(dest)), { recursive: true });
  writeFileAtomic(dest, data);
  return dest;
}

/** Relative paths of every artifact file of a run. */
export async function listArtifacts(source: RunSource, runId: string): Promise<string[]> {
  if ('store' in source) {
    const store = localStoreOf(source);
    return store.listArtifacts(findLocal(store, runId).run);
  }
  const client = clientOf(source);
  const run = await client.getRun(runId);
  return (await client.listArtifacts(run.info.artifactUri)).map((a) => a.path).sort();
}

