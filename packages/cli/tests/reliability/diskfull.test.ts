// Issue 26, item 4: a full disk under the run store. A real tmpfs, too small for a run (mounting
// needs root, as CI and the dev machines run): the run fails with the path and the bytes it needed,
// every run it opened ends FAILED (or FINISHED, if it was done), no metric file is empty or torn,
// and MLflow's own reader reads the store.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../helpers.ts';

const launcher = path.join(repoRoot, 'emofuse');
const python = process.env.EMOFUSE_PYTHON ?? path.join(repoRoot, '.venv/bin/python');
const cafe = path.join(repoRoot, 'experiments/manifest-example/cafe.yaml');
const work = tempDir();
// 400 KB fills while the first run's params are written; 1000 KB after training, in the summary metrics.
const sizes = [400, 1000];
const mounts = sizes.map((kb) => {
  const dir = path.join(work, `disk-${kb}k`);
  mkdirSync(dir);
  return { kb, dir, ok: spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', dir]).status === 0 };
});
afterAll(() => {
  for (const m of mounts) if (m.ok) spawnSync('umount', [m.dir]);
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe.skipIf(!mounts.every((m) => m.ok))('a full disk under the run store (real tmpfs)', () => {
  for (const { kb, dir } of mounts) {
    it(`${kb} KB: exit 1 naming the file and the bytes, runs end FAILED, no empty or torn metric file, MLflow reads the store`, () => {
      const store = path.join(dir, 'mlruns');
      const r = spawnSync(launcher, ['run', cafe, '--set', 'train.epochs=1', '--set', `output.dir=${path.join(work, `runs-${kb}`)}`], {
        cwd: work, encoding: 'utf8', env: { ...process.env, EMOFUSE_MLRUNS: store }, timeout: 240_000,
      });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`error: ${dir}/mlruns/\\S+: no space left on the device: \\d+ B could not be written, [\\d.]+ (B|KB) free of ${kb} KB`));
      expect(r.stderr).toMatch(/\n {2}fix: free space on that file system/);
      expect(r.stderr).not.toMatch(/\n\s+at /);

      const files = filesUnder(store);
      const metricFiles = files.filter((f) => f.split(path.sep).includes('metrics'));
      for (const f of metricFiles) {
        const text = readFileSync(f, 'utf8');
        expect(text.length, `${f} is empty`).toBeGreaterThan(0);
        expect(text.endsWith('\n'), `${f} ends in a torn line`).toBe(true);
      }
      expect(files.filter((f) => /\.tmp-/.test(path.basename(f)))).toEqual([]);
      const statuses = files.filter((f) => f.endsWith(`${path.sep}meta.yaml`) && existsSync(path.join(path.dirname(f), 'metrics')))
        .map((f) => /^status: (\d)/m.exec(readFileSync(f, 'utf8'))![1]);
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses).toContain('4'); // FAILED
      expect(statuses).not.toContain('1'); // RUNNING

      // MLflow's own reader: every run and every metric of the store.
      const py = spawnSync(python, ['-c', [
        'import mlflow, sys',
        `c = mlflow.MlflowClient(tracking_uri="file://${store}")`,
        'n = 0',
        'for e in c.search_experiments():',
        '    for run in c.search_runs([e.experiment_id]):',
        '        n += 1',
        '        for k in run.data.metrics: c.get_metric_history(run.info.run_id, k)',
        'print(n)',
      ].join('\n')], { encoding: 'utf8', env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' }, timeout: 120_000 });
      expect(py.status, py.stderr).toBe(0);
      expect(Number(py.stdout.trim().split('\n').at(-1))).toBe(statuses.length);
    }, 300_000);
  }
});
