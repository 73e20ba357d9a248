import type { RunStatus } from '@emofuse/core';

/** How a run ends (MLflow's terminal statuses). */
export type EndStatus = Extract<RunStatus, 'FINISHED' | 'FAILED' | 'KILLED'>;

export interface StartRunOptions {
  /** Experiment name; created when missing. */
  experiment: string;
  runName?: string;
  tags?: Record<string, string>;
  /** Makes this a nested run (MLflow tag `mlflow.parentRunId`). */
  parentRunId?: string;
  /** Epoch ms; defaults to now (push uses it to replay the original time). */
  startTime?: number;
}

export interface MetricInput {
  key: string;
  value: number;
  step?: number;
  /** Epoch ms; defaults to now. */
  timestamp?: number;
}

export type ParamValue = string | number | boolean;

/** A started run. Every call is awaited; each either stores everything it was given or throws. */
export interface TrackerRun {
  readonly runId: string;
  readonly experimentId: string;
  logParams(params: Record<string, ParamValue>): Promise<void>;
  logMetric(key: string, value: number, step?: number, timestamp?: number): Promise<void>;
  logMetrics(batch: MetricInput[]): Promise<void>;
  setTags(tags: Record<string, string>): Promise<void>;
  /** Store one file as `<artifactPath>/<basename>` (or `<basename>` at the root). */
  logArtifact(localPath: string, artifactPath?: string): Promise<void>;
  /** Store a directory's files, keeping their relative paths, under `artifactPath`. */
  logArtifactDir(localDir: string, artifactPath?: string): Promise<void>;
  endRun(status?: EndStatus, endTime?: number): Promise<void>;
}

/** What the CLI logs through; implemented by the MLflow REST client, the local store and the fallback. */
export interface Tracker {
  /** Where runs go, for messages ("http://host:5000", "file:///.../mlruns"). */
  readonly location: string;
  startRun(opts: StartRunOptions): Promise<TrackerRun>;
}

/** Tag that records, on a pushed or mirrored run, the id of the local-store run it came from. */
export const SOURCE_RUN_TAG = 'emofuse.source_run_id';
export const PARENT_RUN_TAG = 'mlflow.parentRunId';
export const RUN_NAME_TAG = 'mlflow.runName';
export const USER_TAG = 'mlflow.user';
