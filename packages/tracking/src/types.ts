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
  /** One line about the run, shown as its description in the MLflow UI (tag `mlflow.note.content`). */
  description?: string;
}

/**
 * A dataset the run read, as MLflow's `runs/log-inputs` takes it (shown in the UI's Datasets column).
 * `source`, `schema` and `profile` are JSON text; objects are serialised.
 */
export interface DatasetInput {
  name: string;
  /** Content fingerprint, at most 36 characters. */
  digest: string;
  /** Where it lives: "local", "http", "s3", ... (MLflow's source types). */
  sourceType: string;
  /** For example { uri: "file:///data/iemocap" }. */
  source: string | Record<string, unknown>;
  /** For example { mlflow_colspec: [{ name: "text", type: "string" }] }. */
  schema?: string | Record<string, unknown>;
  /** For example { num_rows: 5531, splits: { train: 3548, valid: 394, test: 1589 } }. */
  profile?: string | Record<string, unknown>;
  /** What the run used it for (input tag `mlflow.data.context`): "train", "eval", ... */
  context?: string;
  tags?: Record<string, string>;
}

/** A dataset input read back from a store (JSON fields as text, every input tag). */
export interface LoggedDataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string;
  profile?: string;
  context?: string;
  tags: Record<string, string>;
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
  /** Record the datasets the run read (MLflow run inputs); logging one (name, digest) twice keeps one. */
  logInputs(datasets: DatasetInput[]): Promise<void>;
  endRun(status?: EndStatus, endTime?: number): Promise<void>;
}

/** What `flush` achieved before its deadline. */
export interface FlushResult {
  /** Everything queued for the server was delivered. */
  complete: boolean;
  /** Calls that were not delivered (they are in the local journal; `emofuse runs push` sends them). */
  pending: number;
}

/** What the CLI logs through; implemented by the MLflow REST client, the local store and the fallback. */
export interface Tracker {
  /** Where runs go, for messages ("http://host:5000", "file:///.../mlruns"). */
  readonly location: string;
  startRun(opts: StartRunOptions): Promise<TrackerRun>;
  /** Deliver what is queued, waiting at most `deadlineMs` (trackers that queue nothing resolve at once). */
  flush?(deadlineMs?: number): Promise<FlushResult>;
}

/**
 * Every run tag emofuse writes or reads, by name: writers (the pipeline, the sweep, this package) and
 * readers (the report, the sweep's aggregate, scripts/results.ts) use these, so a renamed tag cannot
 * silently break a reader. `mlflow.*` are MLflow's system tags (its UI reads them); `emofuse.*` are ours.
 */
export const RUN_TAGS = {
  /** Makes a run nested under another. */
  parentRunId: 'mlflow.parentRunId',
  runName: 'mlflow.runName',
  user: 'mlflow.user',
  /** The run's description in the MLflow UI. */
  note: 'mlflow.note.content',
  sourceName: 'mlflow.source.name',
  sourceType: 'mlflow.source.type',
  gitCommit: 'mlflow.source.git.commit',
  gitBranch: 'mlflow.source.git.branch',
  gitRepoUrl: 'mlflow.source.git.repoURL',
  /** On a pushed or mirrored run: the id of the local-store run it came from. */
  sourceRunId: 'emofuse.source_run_id',
  /** Client-generated id of a server run, searched for after an ambiguous runs/create (never a second run for one id). */
  clientRunId: 'emofuse.client_run_id',
  /** The invocation (one `emofuse run`) a run belongs to. */
  invocation: 'emofuse.invocation',
  corpus: 'emofuse.corpus',
  backend: 'emofuse.backend',
  /** `invocation` on an invocation's own (parent) run; see RUN_KINDS. */
  kind: 'emofuse.kind',
  /** The one system (model or fusion rule) a run holds. */
  system: 'emofuse.system',
  seed: 'emofuse.seed',
  /** The run folder of a system run's seed. */
  runDir: 'emofuse.run_dir',
  /** The system's context level (utterance or dialogue). */
  context: 'emofuse.context',
  /** The split a run trained on: its fingerprint, protocol and the folds that ran (comma-separated). */
  splitFingerprint: 'split.fingerprint',
  splitProtocol: 'split.protocol',
  splitFolds: 'split.folds',
  /** TensorFlow's intra-op threads of a sweep task (set through the config's `tags`). */
  tfThreads: 'tfThreads',
  /** The Slurm array task a run came from (set through the config's `tags`). */
  slurmJob: 'slurmJob',
  /** A sweep's name, the grid point a run belongs to, and `metric/split/mode` it chooses by (set through the config's `tags`). */
  sweep: 'sweep',
  sweepPoint: 'sweepPoint',
  sweepMetric: 'sweepMetric',
  /** `none` on an experiment whose systems only share a name with the paper's rows (set through the config's `tags`). */
  paper: 'paper',
} as const;

/** Values of the `emofuse.kind` tag. */
export const RUN_KINDS = { invocation: 'invocation' } as const;

/** MLflow's own tags start with this; readers that show a run's tags leave them out. */
export const MLFLOW_TAG_PREFIX = 'mlflow.';

/** Input tag naming what a run used a dataset for (not a run tag). */
export const DATASET_CONTEXT_TAG = 'mlflow.data.context';

/** Tags every experiment emofuse creates carries: a machine-learning experiment, which MLflow 3's UI opens in its classic view. */
export const EXPERIMENT_TAGS: Readonly<Record<string, string>> = { 'mlflow.experimentKind': 'custom_model_development' };
