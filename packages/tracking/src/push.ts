import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EmofuseError, isEmofuseError, type MetricPoint } from '@emofuse/core';
import { LocalStore, type ExperimentMeta, type RunMeta } from './filestore.ts';
import { takeLock } from './lock.ts';
import { SQL_STORE_INFINITY } from './numbers.ts';
import { mlflowOptionsFromEnv, type MlflowClientOptions } from './http.ts';
import { MlflowRestClient } from './rest.ts';
import type { ServerRun } from './wire.ts';
import { RUN_TAGS, type DatasetInput, type LoggedDataset } from './types.ts';

export interface PushOptions {
  /** Local store directory (./mlruns). */
  from: string;
  /** Server URL (auth from the environment), client options, or a client. */
  to: string | MlflowClientOptions | MlflowRestClient;
  /** Only these experiment names (default: all with runs). */
  experiments?: string[];
  /** Told about each run as it is pushed. */
  onRun?: (r: PushedRun) => void;
  /** Ctrl-C: cancels the request in flight and stops the push (what was sent stays, a later push completes it). */
  signal?: AbortSignal;
  /** Told once when another push of this store holds its lock (this one waits for it). */
  onWait?: (message: string) => void;
}

/** The lock file in a store that one push at a time holds (two at once would each create a run). */
export const PUSH_LOCK = '.emofuse-push.lock';

export interface PushedRun {
  experiment: string;
  sourceRunId: string;
  targetRunId: string;
  /** created: new on the server; updated: existed, something was missing; unchanged: already complete. */
  action: 'created' | 'updated' | 'unchanged';
  sent: { params: number; tags: number; metrics: number; artifacts: number; inputs: number };
}

/** Two or more server runs that carry one local run's `emofuse.source_run_id`. */
export interface PushConflict {
  experiment: string;
  sourceRunId: string;
  serverRuns: { runId: string; status: string; metrics: number; startTime: number }[];
}

/**
 * Replay local-store runs into an MLflow server: params, every metric point (step and timestamp),
 * tags, artifacts, status, start/end time and nesting (parent ids remapped). Idempotent: each server
 * run carries `emofuse.source_run_id`, and a second push only sends what the server lacks.
 * Artifacts are compared by content (a same-size file on the server is downloaded and compared).
 * When two server runs claim one local run, neither is touched (nor that run's children): push
 * delivers everything else, then throws an error naming them.
 */
export async function pushRuns(opts: PushOptions): Promise<PushedRun[]> {
  const store = new LocalStore(opts.from);
  if (!store.exists()) {
    throw new EmofuseError(`no local run store at ${store.root}`, { where: store.root, fix: 'pass --from the directory that holds meta.yaml files (usually ./mlruns)' });
  }
  let client =
    opts.to instanceof MlflowRestClient ? opts.to : new MlflowRestClient(typeof opts.to === 'string' ? mlflowOptionsFromEnv(process.env, opts.to) : opts.to);
  if (opts.signal) client = client.withSignal(opts.signal);
  // One push of a store at a time: each looks a run up and then creates it, so two at once duplicate runs.
  const lock = await takeLock(store.root, PUSH_LOCK, {
    signal: opts.signal,
    onWait: (o, file) => opts.onWait?.(`another push of this store is running${o ? ` (pid ${o.pid} on ${o.host}, since ${new Date(o.start).toISOString()})` : ''}; waiting for it to end (lock ${file})`),
  });
  try {
    return await pushLocked(opts, store, client);
  } finally {
    lock.release();
  }
}

async function pushLocked(opts: PushOptions, store: LocalStore, client: MlflowRestClient): Promise<PushedRun[]> {

  const wanted = opts.experiments ? new Set(opts.experiments) : undefined;
  const all: { exp: ExperimentMeta; run: RunMeta; tags: Record<string, string> }[] = [];
  // Runs with a damaged file: skipped (with their children), named at the end; the rest is pushed.
  const damaged: { dir: string; error: unknown }[] = [];
  for (const exp of store.experiments()) {
    if (wanted && !wanted.has(exp.name)) continue;
    for (const run of store.runs(exp, (dir, e) => damaged.push({ dir, error: e }))) {
      try {
        all.push({ exp, run, tags: store.readTags(run) });
      } catch (e) {
        damaged.push({ dir: run.dir, error: e });
      }
    }
  }
  if (wanted) {
    const missing = [...wanted].filter((n) => !all.some((r) => r.exp.name === n) && !store.experimentByName(n));
    if (missing.length) {
      throw new EmofuseError(`no experiment named ${missing.map((m) => JSON.stringify(m)).join(', ')} in ${store.root}`, {
        where: store.root,
        fix: `choose from: ${store.experiments().map((e) => e.name).join(', ')}`,
      });
    }
  }

  // Parents before children, so a child's parent id can be remapped.
  const byId = new Map(all.map((r) => [r.run.runId, r]));
  const ordered: typeof all = [];
  const seen = new Set<string>();
  const visit = (r: (typeof all)[number], depth = 0) => {
    if (seen.has(r.run.runId) || depth > 100) return;
    const parent = byId.get(r.tags[RUN_TAGS.parentRunId] ?? '');
    if (parent) visit(parent, depth + 1);
    seen.add(r.run.runId);
    ordered.push(r);
  };
  all.forEach((r) => visit(r));

  const expIds = new Map<string, string>();
  const remap = new Map<string, string>();
  const out: PushedRun[] = [];
  const conflicts: PushConflict[] = [];
  const blocked = new Set<string>(); // local ids in conflict, and their descendants
  for (const { exp, run, tags } of ordered) {
    opts.signal?.throwIfAborted();
    let expId = expIds.get(exp.name);
    if (!expId) {
      expId = (await client.getOrCreateExperiment(exp.name)).experimentId;
      expIds.set(exp.name, expId);
    }
    const wantTags: Record<string, string> = { ...tags, [RUN_TAGS.sourceRunId]: tags[RUN_TAGS.sourceRunId] ?? run.runId };
    const localParent = tags[RUN_TAGS.parentRunId];
    if (localParent) wantTags[RUN_TAGS.parentRunId] = remap.get(localParent) ?? localParent;

    const source = wantTags[RUN_TAGS.sourceRunId];
    if (localParent && blocked.has(localParent)) {
      blocked.add(run.runId);
      continue;
    }
    // Every local file of the run is read before the server is touched: a damaged one skips the run.
    let local: { params: Record<string, string>; metrics: Record<string, MetricPoint[]>; files: string[]; inputs: DatasetInput[] };
    try {
      local = { params: store.readParams(run), metrics: store.readMetricHistories(run, run.status !== 'RUNNING'), files: store.listArtifacts(run), inputs: store.readInputs(exp, run) };
    } catch (e) {
      if (!isEmofuseError(e)) throw e;
      damaged.push({ dir: run.dir, error: e });
      blocked.add(run.runId);
      continue;
    }
    const found = await client.runsByTag(expId, RUN_TAGS.sourceRunId, source);
    if (found.length > 1) {
      conflicts.push({
        experiment: exp.name, sourceRunId: source,
        serverRuns: found.map((r) => ({ runId: r.info.runId, status: r.info.status, metrics: Object.keys(r.metrics).length, startTime: r.info.startTime })),
      });
      blocked.add(run.runId);
      continue;
    }
    let target: ServerRun;
    let created = false;
    if (found.length) {
      target = found[0];
    } else {
      target = await client.createRun({ experimentId: expId, runName: run.runName, startTime: run.startTime, userId: run.userId, tags: wantTags });
      created = true;
    }
    remap.set(run.runId, target.info.runId);

    const params = local.params;
    const sendParams: { key: string; value: string }[] = [];
    for (const [key, value] of Object.entries(params)) {
      const have = target.params[key];
      if (have === undefined) sendParams.push({ key, value });
      else if (have !== value) {
        throw new EmofuseError(`param "${key}" differs: local ${JSON.stringify(value)}, server ${JSON.stringify(have)} (server run ${target.info.runId})`, {
          where: path.join(run.dir, 'params', key),
          fix: 'MLflow params cannot change; delete the server run or push into another experiment',
        });
      }
    }
    const sendTags = Object.entries(wantTags)
      .filter(([k, v]) => target.tags[k] !== v)
      .map(([key, value]) => ({ key, value }));

    const sendMetrics: { key: string; value: number; step: number; timestamp: number }[] = [];
    for (const [key, points] of Object.entries(local.metrics)) {
      const have = new Map<string, number>();
      // A single-point metric the server shows as its latest is there: no history call (most keys are final scores).
      const latest = target.metrics[key];
      if (!created && latest && points.length === 1 && pointId(latest) === pointId(points[0])) continue;
      if (!created && latest) {
        for (const p of await client.getMetricHistory(target.info.runId, key)) {
          const id = pointId(p);
          have.set(id, (have.get(id) ?? 0) + 1);
        }
      }
      for (const p of points) {
        const id = pointId(p);
        const n = have.get(id) ?? 0;
        if (n > 0) have.set(id, n - 1);
        else sendMetrics.push({ key, ...p });
      }
    }
    await client.logBatch(target.info.runId, { params: sendParams, tags: sendTags, metrics: sendMetrics });

    const artDir = store.artifactDir(run);
    let sentArtifacts = 0;
    const files = local.files;
    if (files.length) {
      const remote = created ? new Map<string, number | undefined>() : new Map((await client.listArtifacts(target.info.artifactUri)).map((a) => [a.path, a.fileSize]));
      for (const rel of files) {
        const data = readFileSync(path.join(artDir, ...rel.split('/')));
        if (remote.has(rel) && remote.get(rel) === data.length && (await client.downloadArtifact(target.info.artifactUri, rel)).equals(data)) continue;
        await client.uploadArtifact(target.info.artifactUri, rel, data);
        sentArtifacts++;
      }
    }

    const have = new Set(target.datasets.map(datasetKey));
    const sendInputs: DatasetInput[] = local.inputs.filter((d) => !have.has(datasetKey(d)));
    if (sendInputs.length) await client.logInputs(target.info.runId, sendInputs);

    const statusDiffers = run.status !== 'RUNNING' && (target.info.status !== run.status || target.info.endTime !== run.endTime);
    if (statusDiffers) await client.updateRun(target.info.runId, { status: run.status, endTime: run.endTime });

    const sent = { params: sendParams.length, tags: sendTags.length, metrics: sendMetrics.length, artifacts: sentArtifacts, inputs: sendInputs.length };
    const changed = sent.params + sent.tags + sent.metrics + sent.artifacts + sent.inputs > 0 || statusDiffers;
    const r: PushedRun = { experiment: exp.name, sourceRunId: run.runId, targetRunId: target.info.runId, action: created ? 'created' : changed ? 'updated' : 'unchanged', sent };
    opts.onRun?.(r);
    out.push(r);
  }
  if (damaged.length) {
    const lines = damaged.map(({ dir, error }) => {
      const e = error as EmofuseError;
      return `${e.where ?? dir}: ${e.message}${e.fix ? `\n      fix: ${e.fix}` : ''}`;
    });
    const also = conflicts.length ? ` (and ${conflicts.length} run(s) claimed twice on the server: push again after fixing these to see them)` : '';
    throw new EmofuseError(`push skipped ${damaged.length} damaged run(s) of ${store.root} (and their child runs); the other ${out.length} were pushed${also}:\n  ${lines.join('\n  ')}`, {
      where: store.root,
      fix: 'fix or restore the files named above (or delete those run folders), then push again: what was pushed is not sent twice',
    });
  }
  if (conflicts.length) {
    const lines = conflicts.map((c) =>
      `local run ${c.sourceRunId} (${c.experiment}) is claimed by server runs ${c.serverRuns.map((r) => `${r.runId} (${r.status}, ${r.metrics} metric keys)`).join(' and ')}`);
    throw new EmofuseError(`push left ${blocked.size} run(s) alone because two server runs claim one local run:\n  ${lines.join('\n  ')}`, {
      where: `${client.uri} tag ${RUN_TAGS.sourceRunId}`,
      fix: 'delete the run that should not exist (usually the empty RUNNING one: mlflow runs delete --run-id <id>, or in the UI), then push again; everything else was pushed',
    });
  }
  return out;
}

/** A dataset input's identity in a run: MLflow keeps one input per (name, digest) and run (a second context is dropped). */
function datasetKey(d: DatasetInput | LoggedDataset): string {
  return `${d.name}\0${d.digest}`;
}

/** Identity of a metric point as a SQL-backed server stores it (it turns +-Infinity into +-DBL_MAX and -0 into 0). */
function pointId(p: MetricPoint): string {
  let v = p.value;
  if (v === Infinity) v = SQL_STORE_INFINITY;
  else if (v === -Infinity) v = -SQL_STORE_INFINITY;
  else if (Object.is(v, -0)) v = 0;
  return `${p.step}|${p.timestamp}|${Number.isNaN(v) ? 'nan' : v}`;
}
