/**
 * `--launcher inline` (the default with --jobs 1): the pending tasks in this process, one point
 * at a time, through the pipeline directly. A plain multi-seed run with nothing to skip is exactly
 * the old serial run (its report included).
 */
import { RUN_TAGS } from '@emofuse/tracking';
import { loadExperiment } from '../config/load.ts';
import { EXIT } from '../errors.ts';
import type { Config } from '../config/schema.ts';
import { aggregate } from './aggregate.ts';
import { threadEnv } from './command.ts';
import { registerExecutor } from './registry.ts';

registerExecutor({
  name: 'inline',
  summary: 'this process, one task after another',
  needsDir: false,
  async launch(plan, pending, opts, ctx) {
    if (opts.threads) Object.assign(process.env, threadEnv(opts.threads));
    const { runExperiment } = await import('../pipeline/index.ts');
    const configs = (plan as { configs?: Map<string, Config> }).configs;
    const whole = plan.kind === 'run' && pending.length === plan.tasks.length && configs;
    for (const [i, point] of plan.points.entries()) {
      const tasks = pending.filter((t) => t.point === point);
      if (!tasks.length) continue;
      if (ctx.signal.aborted) break;
      const base = configs?.get(point) ?? loadExperiment(tasks[0].config);
      if (plan.kind === 'sweep') ctx.log(`\n=== sweep ${plan.name}: point ${i + 1}/${plan.points.length} ${point}`);
      const tags = opts.threads ? { ...base.tags, [RUN_TAGS.tfThreads]: String(opts.threads) } : base.tags;
      const config: Config = whole ? { ...base, tags } : { ...base, tags, seeds: tasks.map((t) => t.seed), report: { ...base.report, enabled: false } };
      const r = await runExperiment(config, ctx);
      ctx.log(`saved ${r.runs.length} run(s) of ${config.experiment}:`);
      for (const x of r.runs) ctx.log(`  seed ${x.seed}  ${x.runId}  ${x.dir}`);
    }
    if (ctx.signal.aborted) return EXIT.interrupted;
    // The whole run reported itself; otherwise report (and choose) over old and new runs together.
    if (whole) return EXIT.ok;
    await aggregate(plan, ctx);
    return EXIT.ok;
  },
});
