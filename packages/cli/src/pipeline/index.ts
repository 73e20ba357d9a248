/**
 * The run pipeline behind `emofuse run`, `sweep`, `report` and `runs push`. Each function throws
 * EmofuseError for bad input or a failed step, and stops soon after `ctx.signal` is aborted
 * (Ctrl-C), leaving no run directory that looks complete (runs are built under a temporary name
 * and renamed at the end).
 */
import path from 'node:path';
import { pushRuns, redactUri, splitCredentials } from '@emofuse/tracking';
import type { AblationOptions } from '@emofuse/report';
import type { Config } from '../config/schema.ts';
import type { RunContext } from '../context.ts';
import { runExperimentImpl, type SeedRun } from './experiment.ts';
export { systemsToTrain } from './systems.ts';
export { previewFeatureFiles } from './features.ts';
export { checkRunMemory } from './memory.ts';
import { localStoreDir } from './tracking.ts';

export interface RunResult {
  /** One entry per seed: where it was saved. */
  runs: { runId: string; dir: string; seed: number }[];
  /** The HTML report, when report.enabled. */
  report?: string;
  /** Per seed: system -> split -> scores. */
  metrics: SeedRun['metrics'][];
}

/**
 * Train `config.systems` (and fuse with `config.fusion.rules`) once per seed; write each run to
 * `<output.dir>/<experiment>/<run-id>/` with `config.resolved.yaml`, log to tracking, score test once.
 */
export async function runExperiment(config: Config, ctx: RunContext): Promise<RunResult> {
  const r = await runExperimentImpl(config, ctx);
  return { runs: r.runs.map(({ runId, dir, seed }) => ({ runId, dir, seed })), report: r.report, metrics: r.runs.map((x) => x.metrics) };
}

export interface ReportOptions {
  experiment?: string;
  /** key=value tags every run must carry. */
  tags: Record<string, string>;
  runIds: string[];
  /** Local store folder (default ./mlruns) when no tracking server is given. */
  store?: string;
  /** Tracking server URI (default env MLFLOW_TRACKING_URI). */
  uri?: string;
  /** Output folder for the HTML report, specs and images. */
  out?: string;
  /** The ablation table (unset: the report decides; false: none). */
  ablation?: AblationOptions | false;
}

/** Read runs back through tracking and write the report; returns the report's main file. */
export async function makeReport(opts: ReportOptions, ctx: RunContext): Promise<{ file: string }> {
  const { reportFromStore } = await import('@emofuse/report');
  const uri = opts.uri ?? (opts.store ? undefined : process.env.MLFLOW_TRACKING_URI);
  // The report shows its source: the URI goes in redacted, its credentials beside it.
  const cred = uri ? splitCredentials(uri) : undefined;
  const from = uri ? { uri: redactUri(uri), ...(cred?.username !== undefined ? { username: cred.username, password: cred.password ?? '' } : {}) } : { store: opts.store ?? localStoreDir() };
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const outDir = opts.out ?? path.resolve('reports', `${opts.experiment ?? 'runs'}-${stamp}`);
  const paths = await reportFromStore({
    from, experiment: opts.experiment, tags: opts.tags, runIds: opts.runIds.length ? opts.runIds : undefined, outDir,
    title: opts.experiment ? `emofuse: ${opts.experiment}` : 'emofuse runs', ablation: opts.ablation,
  });
  ctx.log(`summary: ${paths.summary}`);
  return { file: paths.html };
}

export interface PushOptions {
  /** Tracking server URL. */
  to: string;
  /** Local store folder (default ./mlruns). */
  store: string;
}

/** Push runs logged offline to the local store up to an MLflow server; a second push adds nothing. */
export async function pushStore(opts: PushOptions, ctx: RunContext): Promise<{ pushed: number; skipped: number }> {
  let pushed = 0;
  let skipped = 0;
  await pushRuns({
    from: opts.store, to: opts.to, signal: ctx.signal, onWait: ctx.warn,
    onRun: (r) => {
      if (r.action === 'unchanged') skipped++;
      else pushed++;
      ctx.log(`${r.action.padEnd(9)} ${r.experiment}  ${r.sourceRunId} -> ${r.targetRunId}  (${r.sent.params} params, ${r.sent.metrics} metric points, ${r.sent.tags} tags, ${r.sent.artifacts} artifacts)`);
    },
  });
  return { pushed, skipped };
}
