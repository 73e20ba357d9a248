import { EmofuseError } from '@emofuse/core';
import { DATASET_CONTEXT_TAG, type DatasetInput } from './types.ts';

/**
 * MLflow's server-side limits (mlflow/utils/validation.py, MLflow 3.17). The local store enforces
 * the same ones, so a run logged offline can always be pushed later.
 */
export const LIMITS = {
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  /** MAX_BATCH_LOG_REQUEST_SIZE is 1e6 bytes; keep headroom for JSON framing. */
  batchBytes: 900_000,
  paramValueLength: 6000,
  tagValueLength: 8000,
  keyLength: 250,
  datasetsPerBatch: 1000,
  datasetName: 500,
  datasetDigest: 36,
  datasetSource: 65535,
  datasetSchema: 1048575,
  datasetProfile: 16777215,
  inputTagKey: 255,
  inputTagValue: 500,
} as const;

// Same character class MLflow accepts for param, metric and tag names.
const KEY_RE = /^[/\w.\- ]*$/;

export function checkKey(kind: 'param' | 'metric' | 'tag', key: string): void {
  const bad =
    key.length === 0 ||
    key.length > LIMITS.keyLength ||
    !KEY_RE.test(key) ||
    key.startsWith('/') ||
    key.split('/').some((p) => p === '..' || p === '.' || p === '');
  if (bad) {
    throw new EmofuseError(`invalid ${kind} name ${JSON.stringify(key)}`, {
      where: `${kind} ${JSON.stringify(key)}`,
      fix: `use 1-${LIMITS.keyLength} characters from letters, digits, _ - . space and /, with no empty, '.' or '..' path parts`,
    });
  }
}

export function checkParamValue(key: string, value: string): void {
  if (value.length > LIMITS.paramValueLength) {
    throw new EmofuseError(`param value is ${value.length} characters; MLflow takes at most ${LIMITS.paramValueLength}`, {
      where: `param ${JSON.stringify(key)}`,
      fix: 'log a shorter value, or store the long text as an artifact',
    });
  }
}

export function checkTagValue(key: string, value: string): void {
  if (typeof value !== 'string') {
    throw new EmofuseError(`tag value must be a string, got ${typeof value}`, { where: `tag ${JSON.stringify(key)}`, fix: 'convert the value with String()' });
  }
  if (value.length > LIMITS.tagValueLength) {
    throw new EmofuseError(`tag value is ${value.length} characters; MLflow takes at most ${LIMITS.tagValueLength}`, {
      where: `tag ${JSON.stringify(key)}`,
      fix: 'log a shorter value, or store the long text as an artifact',
    });
  }
}

export function checkMetric(key: string, value: number, step: number, timestamp: number): void {
  checkKey('metric', key);
  if (typeof value !== 'number') {
    throw new EmofuseError(`metric value must be a number, got ${typeof value}`, { where: `metric ${JSON.stringify(key)}`, fix: 'pass a number' });
  }
  if (!Number.isSafeInteger(step) || !Number.isSafeInteger(timestamp)) {
    throw new EmofuseError(`metric step and timestamp must be integers (got step ${step}, timestamp ${timestamp})`, {
      where: `metric ${JSON.stringify(key)}`,
      fix: 'pass an integer step and an epoch-millisecond timestamp',
    });
  }
}

/** A dataset input within MLflow's limits (log-inputs), checked before anything is written. */
export function checkDataset(d: DatasetInput): void {
  const where = `dataset ${JSON.stringify(d.name)}`;
  const text = (v: unknown) => (v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v));
  const fields: [string, string | undefined, number, boolean][] = [
    ['name', d.name, LIMITS.datasetName, true],
    ['digest', d.digest, LIMITS.datasetDigest, true],
    ['sourceType', d.sourceType, LIMITS.datasetSource, true],
    ['source', text(d.source), LIMITS.datasetSource, true],
    ['schema', text(d.schema), LIMITS.datasetSchema, false],
    ['profile', text(d.profile), LIMITS.datasetProfile, false],
  ];
  for (const [field, value, max, required] of fields) {
    if (value === undefined || value === null) {
      if (required) throw new EmofuseError(`dataset input without ${field}`, { where, fix: `give the dataset a ${field}` });
      continue;
    }
    if (typeof value !== 'string' || (required && value.length === 0)) {
      throw new EmofuseError(`dataset ${field} must be a non-empty string`, { where, fix: `pass ${field} as text` });
    }
    if (value.length > max) {
      throw new EmofuseError(`dataset ${field} is ${value.length} characters; MLflow takes at most ${max}`, { where, fix: field === 'digest' ? 'use a shorter fingerprint (for example the first 16 hex digits)' : `shorten the ${field}` });
    }
  }
  const tags = inputTags(d);
  for (const [k, v] of Object.entries(tags)) {
    if (!k || k.length > LIMITS.inputTagKey || typeof v !== 'string' || v.length > LIMITS.inputTagValue) {
      throw new EmofuseError(`dataset input tag ${JSON.stringify(k)} is empty or too long`, { where, fix: `keys up to ${LIMITS.inputTagKey} characters, values up to ${LIMITS.inputTagValue}` });
    }
  }
}

/** A dataset input's tags as they are stored: its own tags and, when given, its context. */
export function inputTags(d: DatasetInput): Record<string, string> {
  return { ...(d.tags ?? {}), ...(d.context ? { [DATASET_CONTEXT_TAG]: d.context } : {}) };
}
