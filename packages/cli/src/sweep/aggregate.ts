/**
 * The aggregation step: read the finished run directories of a plan's tasks, choose the sweep
 * point on the validation split (never test), and write the report from the tracking store.
 */
import path from 'node:path';
import { EmofuseError, writeJsonAtomic } from '@emofuse/core';
import { RUN_TAGS } from '@emofuse/tracking';
import type { RunContext } from '../context.ts';
import { completedRuns } from './store.ts';
import { runsOfTasks, type Plan } from './plan.ts';

export interface PointResult {
  name: string;
  /** Mean over the point's seeds of the metric on validation; null when a seed is missing. */
  score: number | null;
  seeds: number[];
  runs: string[];
}

export interface AggregateResult {
  complete: boolean;
  /** Tasks with no complete run. */
  missing: number[];
  points: PointResult[];
  /** The point chosen on validation (sweeps only, when complete). */
  best?: string;
  report?: string;
  reportError?: string;
  finished: string;
}

/** Choose and report; throws EmofuseError naming the missing tasks when some have no complete run. */
export async function aggregate(plan: Plan, ctx: RunContext, opts: { showTestAll?: boolean } = {}): Promise<AggregateResult> {
  const done = completedRuns(plan.outputDir, plan.tasks.map((t) => t.experiment));
  const runs = runsOfTasks(plan, done);
  const missing = plan.tasks.filter((_, i) => !runs[i]).map((t) => t.index);
  const points: PointResult[] = plan.points.map((name) => {
    const idx = plan.tasks.filter((t) => t.point === name).map((t) => t.index);
    const rs = idx.map((i) => runs[i]);
    let score: number | null = null;
    if (plan.choose && rs.every(Boolean)) {
      const { target, metric } = plan.choose;
      const xs = rs.map((r) => r!.metrics[target]?.valid?.[metric]);
      if (xs.some((x) => typeof x !== 'number')) {
        throw new EmofuseError(`point ${name} has no validation ${metric} for ${target}`, { where: rs[0]!.dir, fix: 'the base experiment needs a split with validation data (split.validFraction > 0)' });
      }
      score = (xs as number[]).reduce((a, b) => a + b, 0) / xs.length;
    }
    return { name, score, seeds: idx.map((i) => plan.tasks[i].seed), runs: rs.filter(Boolean).map((r) => r!.dir) };
  });
  const result: AggregateResult = { complete: missing.length === 0, missing, points, finished: new Date().toISOString() };
  if (missing.length) {
    if (plan.dir) writeJsonAtomic(path.join(plan.dir, 'result.json'), result);
    const list = missing.join(',');
    throw new EmofuseError(`${missing.length} of ${plan.tasks.length} task(s) have no complete run (task ${list}); nothing was chosen`, {
      where: plan.dir ?? plan.name,
      fix: plan.dir && plan.launcher === 'slurm'
        ? `see \`emofuse sweep status ${plan.dir}\`, then \`emofuse sweep resubmit ${plan.dir} --failed\``
        : 'rerun the same command: finished tasks are skipped, the rest are redone',
    });
  }
  if (plan.choose) {
    const { metric, mode, target } = plan.choose;
    const sign = mode === 'min' ? -1 : 1;
    // Ties go to the earlier grid point, so the choice is deterministic.
    const best = points.reduce((b, p) => (sign * p.score! > sign * b.score! ? p : b), points[0]);
    result.best = best.name;
    for (const p of points) ctx.log(`  ${p.name}  ${metric}(valid) of ${target} = ${(100 * p.score!).toFixed(2)}  (${p.seeds.length} seed(s))`);
    ctx.log(`best point by validation ${metric} (${mode}): ${best.name} (${(100 * best.score!).toFixed(2)})`);
  }
  if (plan.report) {
    try {
      result.report = await writeReport(plan, runs.map((r) => r!.dir), result.best, opts.showTestAll ?? false);
      ctx.log(`report: ${result.report}`);
    } catch (e) {
      result.reportError = (e as Error).message;
      ctx.warn(`the report could not be built: ${result.reportError} (the runs are saved; retry with \`emofuse sweep aggregate <dir>\`)`);
    }
  }
  if (plan.dir) writeJsonAtomic(path.join(plan.dir, 'result.json'), result);
  return result;
}

async function writeReport(plan: Plan, dirs: string[], best: string | undefined, showTestAll: boolean): Promise<string> {
  const { listRuns } = await import('@emofuse/tracking');
  const { reportFromStore } = await import('@emofuse/report');
  const from = plan.tracking.uri ? { uri: plan.tracking.uri } : { store: plan.tracking.store };
  const wanted = new Set(dirs);
  const experiments = [...new Set(plan.tasks.map((t) => t.trackingExperiment))];
  // The system runs of exactly these run directories (the store may hold older sweeps too).
  const records = await listRuns(from, { experiment: experiments, histories: false });
  const runIds = records.filter((r) => r.status === 'FINISHED' && r.tags[RUN_TAGS.system] && wanted.has(r.tags[RUN_TAGS.runDir])).map((r) => r.runId);
  if (!runIds.length) throw new EmofuseError(`no finished tracked runs for these run directories in ${'uri' in from ? from.uri : from.store}`, { where: plan.dir ?? plan.name });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const outDir = plan.dir ? path.join(plan.dir, 'report') : path.join(plan.outputDir, plan.name, `report-${stamp}`);
  const target = plan.choose?.target;
  const paths = await reportFromStore({
    from, runIds, outDir,
    title: plan.kind === 'sweep' ? `sweep ${plan.name}: ${best} chosen by validation ${plan.choose!.metric}` : `${plan.name} (${new Set(plan.tasks.map((t) => t.seed)).size} seeds)`,
    comparePaper: plan.comparePaper,
    // A sweep's report lists every point's validation score and the chosen point's test score only.
    ...(plan.kind === 'sweep' && best && target ? { sweep: { tag: RUN_TAGS.sweepPoint, chosen: best, target, metric: plan.choose!.metric, showTestAll, points: plan.points } } : {}),
  });
  return paths.html;
}
