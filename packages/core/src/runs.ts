/** Final state of a tracked run, as MLflow names it. */
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

/** One logged value of a metric; `value` may be NaN, +-Infinity or -0 (kept exactly). */
export interface MetricPoint {
  step: number;
  timestamp: number;
  value: number;
}

/**
 * A tracked run read back from the local store or an MLflow server (packages/tracking's `listRuns`).
 * The report builds its tables from these; it never reads mlruns files itself.
 */
export interface RunRecord {
  runId: string;
  experimentId: string;
  experimentName: string;
  runName: string;
  status: RunStatus;
  /** Epoch milliseconds. */
  startTime: number;
  /** Epoch milliseconds; null while the run is still RUNNING. */
  endTime: number | null;
  params: Record<string, string>;
  /** Latest value per key (highest step, then timestamp), as MLflow reports it. */
  metrics: Record<string, number>;
  /** Every logged point per key, in logging order. */
  metricHistory: Record<string, MetricPoint[]>;
  tags: Record<string, string>;
  /** `mlflow.parentRunId`, when the run is nested. */
  parentRunId: string | null;
  /** MLflow's artifact URI for the run (file:// or mlflow-artifacts:/). */
  artifactUri: string;
  /** For local-store runs: the artifacts directory on disk; null for server runs. */
  localArtifactDir: string | null;
}
