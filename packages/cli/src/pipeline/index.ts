/**
 * The run pipeline: the lead replaces this file's content. main.ts calls only these four
 * functions; each throws EmofuseError for bad input or a failed step, and stops with an error
 * soon after `ctx.signal` is aborted (Ctrl-C), leaving no run directory that looks complete
 * (write into a temp dir, rename at the end: `buildDirAtomic` from @emofuse/core).
 */
import { EmofuseError } from '@emofuse/core';
import type { Config } from '../config/schema.ts';
import type { Sweep, SweepPoint } from '../config/sweep.ts';
import type { RunContext } from '../context.ts';

export interface RunResult {
  /** One entry per seed (and fold): where it was saved. */
  runs: { runId: string; dir: string; seed: number }[];
}

/**
 * Train `config.systems` (and fuse with `config.fusion.rules`) once per seed; write each run to
 * `<output.dir>/<experiment>/<run-id>/` with `config.resolved.yaml`, log to tracking, score test once.
 * Call `ctx.onRunStart(runId, dir)` / `ctx.onRunSaved(runId, dir)` around each run.
 */
export async function runExperiment(_config: Config, _ctx: RunContext): Promise<RunResult> {
  throw new EmofuseError('not implemented yet', { where: 'run' });
}

export interface SweepResult {
  /** Each point with its validation score (sweep.metric on sweep.split = 'valid'). */
  points: { name: string; score: number; runs: RunResult['runs'] }[];
  /** The point chosen by validation score (sweep.mode). */
  best: string;
}

/** Run every point of an expanded sweep; choose the best on the validation split only. */
export async function runSweep(_sweep: Sweep, _points: SweepPoint[], _ctx: RunContext): Promise<SweepResult> {
  throw new EmofuseError('not implemented yet', { where: 'sweep' });
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
}

/** Read runs back through tracking and write the report; returns the report's main file. */
export async function makeReport(_opts: ReportOptions, _ctx: RunContext): Promise<{ file: string }> {
  throw new EmofuseError('not implemented yet', { where: 'report' });
}

export interface PushOptions {
  /** Tracking server URL. */
  to: string;
  /** Local store folder (default ./mlruns). */
  store: string;
}

/** Push runs logged offline to the local store up to an MLflow server. */
export async function pushRuns(_opts: PushOptions, _ctx: RunContext): Promise<{ pushed: number; skipped: number }> {
  throw new EmofuseError('not implemented yet', { where: 'runs push' });
}
