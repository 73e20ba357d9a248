/**
 * MLflow's wire formats: the shapes the REST API sends and takes (runs, experiments, dataset inputs,
 * log-batch bodies within the server's limits, search-filter quoting) and their parsing.
 */
import type { MetricPoint } from '@emofuse/core';
import { doubleFromJson, doubleToJsonToken, intFromJson } from './numbers.ts';
import { DATASET_CONTEXT_TAG, type DatasetInput, type LoggedDataset } from './types.ts';
import { LIMITS, inputTags } from './validate.ts';

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

export type RawDatasetInput = { tags?: { key: string; value: string }[]; dataset?: Record<string, string | undefined> };
export type RawRun = {
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

export function parseRun(raw: RawRun): ServerRun {
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

export function toExperiment(e: Record<string, unknown>): ServerExperiment {
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
