/**
 * A small sweep end to end through a real Slurm cluster (CI starts a one-node one with
 * scripts/slurm-local.sh): submit, cancel one array task on purpose, see it in `sweep status`,
 * resubmit it alone, and check the chosen point against the runs' own metrics and the report.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliInvocation } from '../../src/sweep/command.ts';
import type { SweepStatus } from '../../src/sweep/slurm.ts';
import type { Plan } from '../../src/sweep/plan.ts';
import { repoRoot, tempDir } from '../helpers.ts';

const haveSbatch = spawnSync('sbatch', ['--version']).status === 0;
if (!haveSbatch) console.warn('tests/sweep/slurm.test.ts SKIPPED: sbatch is not on PATH (start a one-node cluster with: bash scripts/slurm-local.sh)');

describe.skipIf(!haveSbatch)('sweep --launcher slurm (real cluster; skipped only when sbatch is absent)', () => {
  const work = tempDir();
  const env = { ...process.env, EMOFUSE_MLRUNS: path.join(work, 'mlruns') };
  const cli = (...args: string[]) => {
    const c = cliInvocation();
    const r = spawnSync(c.node, [...c.args, ...args], { cwd: work, env: { ...env, ...c.env }, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const status = (dir: string) => {
    const r = cli('sweep', 'status', dir, '--json');
    expect(r.code, r.err).toBe(0);
    return JSON.parse(r.out) as SweepStatus;
  };
  const queued = (job: string) => spawnSync('squeue', ['-h', '-j', job, '-o', '%i'], { encoding: 'utf8' }).stdout.trim() !== '';
  async function waitGone(job: string, what: string, seconds = 420): Promise<void> {
    const t0 = Date.now();
    while (queued(job)) {
      if (Date.now() - t0 > seconds * 1000) throw new Error(`${what} (job ${job}) still queued after ${seconds} s: ${spawnSync('squeue', { encoding: 'utf8' }).stdout}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  it('runs the array, reports a cancelled task, resubmits it alone and chooses on validation', async () => {
    const sweepFile = path.join(work, 'filters.yaml');
    writeFileSync(sweepFile, `base: ${path.join(repoRoot, 'experiments/emodb/speech_cnn.yaml')}\ngrid: { model.speech.filters: [4, 8, 16] }\nmetric: ua\nsplit: valid\nmode: max\nslurm: { time: '15:00', mem: 3G }\n`);
    const dir = path.join(work, 'sweep');
    const sets = ['--set', 'seeds=[1]', '--set', "split.folds=['03']", '--set', 'train.epochs=1', '--set', `output.dir=${path.join(work, 'runs')}`];
    const sub = cli('sweep', sweepFile, ...sets, '--launcher', 'slurm', '--cpus-per-task', '1', '--sweep-dir', dir);
    expect(sub.code, sub.err).toBe(0);
    const plan = JSON.parse(readFileSync(path.join(dir, 'plan.json'), 'utf8')) as Plan;
    expect(plan.tasks.map((t) => [t.point, t.seed])).toEqual([['filters=4', 1], ['filters=8', 1], ['filters=16', 1]]);
    const array = plan.slurm!.arrayJobs[0].jobId;
    const firstAggregate = plan.slurm!.aggregateJobs[0].jobId;
    expect(readFileSync(path.join(dir, 'job.sh'), 'utf8')).toMatch(/#SBATCH --time=15:00\n#SBATCH --mem=3G|#SBATCH --mem=3G\n#SBATCH --time=15:00/);

    // Cancel task 2 on purpose (pending or just started).
    expect(spawnSync('scancel', [`${array}_2`]).status).toBe(0);
    await waitGone(firstAggregate, 'the first aggregation');

    const s1 = status(dir);
    expect(s1.tasks.map((t) => t.state)).toEqual(['done', 'done', 'cancelled']);
    expect(s1.tasks[2].log).toBe(path.join(dir, 'logs', `task-2-${array}.out`));
    expect(s1.sources).toContain('squeue');
    expect(s1.result).toMatchObject({ complete: false, missing: [2] });
    const text = cli('sweep', 'status', dir).out;
    expect(text).toContain(`task 2 cancelled: log ${s1.tasks[2].log}`);
    expect(text).toContain(`resubmit: emofuse sweep resubmit ${dir} --task 2`);
    // A complete task is not sent again.
    expect(cli('sweep', 'resubmit', dir, '--task', '0').code).toBe(1);

    const re = cli('sweep', 'resubmit', dir, '--task', '2');
    expect(re.code, re.err).toBe(0);
    const plan2 = JSON.parse(readFileSync(path.join(dir, 'plan.json'), 'utf8')) as Plan;
    expect(plan2.slurm!.arrayJobs).toHaveLength(2);
    expect(plan2.slurm!.arrayJobs[1].tasks).toEqual([2]);
    expect(plan2.tasks[2].jobs).toEqual([`${array}_2`, `${plan2.slurm!.arrayJobs[1].jobId}_2`]);
    await waitGone(plan2.slurm!.aggregateJobs.at(-1)!.jobId, 'the second aggregation');

    const s2 = status(dir);
    expect(s2.tasks.map((t) => t.state)).toEqual(['done', 'done', 'done']);
    expect(s2.result?.complete).toBe(true);
    // The choice, recomputed from the runs' own metrics.json: best validation UA, ties to the earlier point.
    const valid = s2.tasks.map((t) => JSON.parse(readFileSync(path.join(t.run!, 'metrics.json'), 'utf8'))['speech-cnn'].valid.ua as number);
    const best = valid.indexOf(Math.max(...valid));
    expect(s2.result!.best).toBe(plan.tasks[best].point);
    for (const t of s2.tasks) expect(readFileSync(path.join(t.run!, 'config.resolved.yaml'), 'utf8')).toContain(`tfThreads: "1"`);
    // The report of the sweep: every point's validation UA (as the runs recorded it), the chosen point's test UA only.
    expect(existsSync(s2.result!.report!)).toBe(true);
    const report = JSON.parse(readFileSync(path.join(path.dirname(s2.result!.report!), 'report.json'), 'utf8'));
    expect(report.sweepPoints.map((r: { point: string }) => r.point)).toEqual(plan.points);
    report.sweepPoints.forEach((r: { valid: number; chosen: boolean; testShown: boolean }, i: number) => {
      expect(r.valid).toBeCloseTo(100 * valid[i], 8);
      expect([r.chosen, r.testShown]).toEqual([i === best, i === best]);
    });
    expect(readFileSync(s2.result!.report!, 'utf8')).toContain(`${plan.tasks[best].point} chosen by validation ua`);

    // Asked for, the others' test scores are shown too (post hoc), and the choice stays the validation one.
    const all = cli('sweep', 'aggregate', dir, '--show-test-all');
    expect(all.code, all.err).toBe(0);
    const again = JSON.parse(readFileSync(path.join(path.dirname(status(dir).result!.report!), 'report.json'), 'utf8'));
    expect(again.sweepPoints.map((r: { chosen: boolean; testShown: boolean }) => [r.chosen, r.testShown])).toEqual(plan.points.map((_: string, i: number) => [i === best, true]));
  }, 900_000);
});
