/**
 * A plan: the (point, seed) tasks of a sweep or a multi-seed run, each a resolved config file run
 * as `emofuse run <task.yaml> --seed N` in a process of its own, plus what the aggregation step
 * needs (how to choose, where the runs go). Written to a sweep directory as plan.json, tasks/*.yaml
 * and tasks.tsv (line K+1 = task K: config path, seed), so a batch script or a later `status`,
 * `resubmit` or `aggregate` reads the same plan.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError, writeFileAtomic, writeJsonAtomic } from '@emofuse/core';
import { redactUri } from '@emofuse/tracking';
import { toResolvedYaml } from '../config/load.ts';
import type { Config, MetricName } from '../config/schema.ts';
import type { Sweep, SweepPoint } from '../config/sweep.ts';
import { fusionSystemName } from '../pipeline/names.ts';
import { localStoreDir } from '../pipeline/tracking.ts';
import { configFingerprint, fingerprintOfYaml, taskKey, type CompletedRun } from './store.ts';

export interface PlanTask {
  index: number;
  point: string;
  seed: number;
  fingerprint: string;
  experiment: string;
  /** Tracking experiment the runs are logged under. */
  trackingExperiment: string;
  /** The task's resolved config file (in the sweep directory). */
  config: string;
  /** Slurm job ids of each submission of this task (`<array>_<index>`), oldest first. */
  jobs: string[];
}

export interface SlurmState {
  resources: SlurmResources;
  /** Every array job submitted for this plan, with the task indices it holds. */
  arrayJobs: { jobId: string; tasks: number[]; submitted: string }[];
  aggregateJobs: { jobId: string; submitted: string }[];
}

export interface SlurmResources {
  partition?: string;
  account?: string;
  cpusPerTask: number;
  mem?: string;
  time?: string;
  /** Extra `#SBATCH` lines, e.g. `--qos=short`. */
  extra: string[];
}

export interface Plan {
  version: 1;
  kind: 'sweep' | 'run';
  name: string;
  created: string;
  /** The sweep directory (absolute); plans of plain serial runs live in memory only. */
  dir?: string;
  /** The file given on the command line. */
  source?: string;
  outputDir: string;
  /** How the sweep chooses: on the validation split only. */
  choose?: { metric: MetricName; split: 'valid'; mode: 'max' | 'min'; target: string };
  points: string[];
  /** Write a report at the end (sweeps always; runs when report.enabled). */
  report: boolean;
  comparePaper: boolean;
  tracking: { uri: string | null; store: string };
  cwd: string;
  launcher: string;
  tasks: PlanTask[];
  slurm?: SlurmState;
}

/** The system a run is scored by: the last fusion rule if it fuses, else the last system. */
export function targetSystem(config: Config): string {
  return config.fusion.rules.length ? fusionSystemName(config.fusion.rules.at(-1)!) : config.systems.at(-1)!;
}

// Credentials never go into plan.json: a reader of the plan (aggregate) takes them from MLFLOW_TRACKING_URI.
function trackingOf(config: Config): Plan['tracking'] {
  return { uri: redactUri(config.tracking.uri ?? process.env.MLFLOW_TRACKING_URI ?? null), store: localStoreDir() };
}

function tasksOf(points: { name: string; config: Config }[]): Omit<PlanTask, 'config'>[] {
  const out: Omit<PlanTask, 'config'>[] = [];
  for (const p of points) {
    const fp = configFingerprint(p.config);
    for (const seed of p.config.seeds) {
      out.push({ index: out.length, point: p.name, seed, fingerprint: fp, experiment: p.config.experiment, trackingExperiment: p.config.tracking.experiment ?? p.config.experiment, jobs: [] });
    }
  }
  return out;
}

export function sweepPlan(sweep: Sweep, points: SweepPoint[], launcher: string): Plan & { configs: Map<string, Config> } {
  const first = points[0].config;
  return {
    version: 1, kind: 'sweep', name: sweep.name, created: new Date().toISOString(), source: sweep.file,
    outputDir: first.output.dir,
    choose: { metric: sweep.metric, split: sweep.split, mode: sweep.mode, target: targetSystem(first) },
    points: points.map((p) => p.name), report: true,
    comparePaper: first.corpus.type.startsWith('iemocap'),
    tracking: trackingOf(first), cwd: process.cwd(), launcher,
    tasks: tasksOf(points).map((t) => ({ ...t, config: '' })),
    configs: new Map(points.map((p) => [p.name, p.config])),
  };
}

export function runPlan(config: Config, launcher: string, source?: string): Plan & { configs: Map<string, Config> } {
  return {
    version: 1, kind: 'run', name: config.experiment, created: new Date().toISOString(), source,
    outputDir: config.output.dir, points: [config.experiment], report: config.report.enabled,
    comparePaper: config.corpus.type.startsWith('iemocap'),
    tracking: trackingOf(config), cwd: process.cwd(), launcher,
    tasks: tasksOf([{ name: config.experiment, config }]).map((t) => ({ ...t, config: '' })),
    configs: new Map([[config.experiment, config]]),
  };
}

/** Default sweep directory: `<output.dir>/.sweeps/<name>-<stamp>` (dot: `runs list` skips it). */
export function defaultPlanDir(plan: Plan): string {
  const stamp = plan.created.replace(/[-:]/g, '').replace(/\..*/, '');
  return path.join(plan.outputDir, '.sweeps', `${plan.kind === 'sweep' ? `sweep-${plan.name}` : plan.name}-${stamp}`);
}

/** Write the task configs, tasks.tsv and plan.json into `dir`; returns the plan as saved. */
export function writePlan(plan: Plan & { configs: Map<string, Config> }, dir: string): Plan {
  const abs = path.resolve(dir);
  mkdirSync(path.join(abs, 'tasks'), { recursive: true });
  mkdirSync(path.join(abs, 'logs'), { recursive: true });
  const { configs, ...rest } = plan;
  const tasks = rest.tasks.map((t) => {
    const file = path.join(abs, 'tasks', `${String(t.index).padStart(3, '0')}.yaml`);
    const c = configs.get(t.point)!;
    // One seed per file and no report: the aggregation step reports over every task at the end.
    writeFileAtomic(file, toResolvedYaml({ ...c, seeds: [t.seed], report: { ...c.report, enabled: false } }));
    return { ...t, config: file };
  });
  writeFileSync(path.join(abs, 'tasks.tsv'), tasks.map((t) => `${t.config}\t${t.seed}\n`).join(''));
  const saved: Plan = { ...rest, dir: abs, tasks };
  savePlan(saved);
  return saved;
}

export function savePlan(plan: Plan): void {
  const { configs: _configs, ...saved } = plan as Plan & { configs?: unknown };
  writeJsonAtomic(path.join(plan.dir!, 'plan.json'), saved);
}

/** Read a sweep directory's plan.json; a clear error when `dir` is not one. */
export function readPlan(dir: string): Plan {
  const file = path.join(path.resolve(dir), 'plan.json');
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(file, 'utf8')) as Plan;
  } catch (e) {
    throw new InputError(`not a sweep directory: cannot read ${file} (${(e as Error).message})`, {
      where: dir, fix: 'pass the directory `emofuse sweep ... --launcher slurm` printed (under <output.dir>/.sweeps/)',
    });
  }
  if (plan.version !== 1 || !Array.isArray(plan.tasks)) throw new InputError(`${file} is not an emofuse plan`, { where: file });
  // An older emofuse fingerprinted whole configs: take each task's from its config file, by today's rule.
  for (const t of plan.tasks) {
    try {
      t.fingerprint = fingerprintOfYaml(readFileSync(t.config, 'utf8'));
    } catch {
      // no task file (moved): keep the recorded one
    }
  }
  return plan;
}

export const keyOf = (t: PlanTask) => taskKey(t.fingerprint, t.seed);

/** Per task, its complete run (if any). */
export function runsOfTasks(plan: Plan, done: Map<string, CompletedRun>): (CompletedRun | undefined)[] {
  return plan.tasks.map((t) => done.get(keyOf(t)));
}
