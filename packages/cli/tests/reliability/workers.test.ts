// Issue 26, item 3: `run --jobs N` workers die with their coordinator: on kill -9 of the coordinator
// they notice their parent is gone, and on SIGHUP (a closed terminal) the coordinator stops them.
// A resume started while a task's run is still being written by a live process does not start it again.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../helpers.ts';

const launcher = path.join(repoRoot, 'emofuse');
const cafe = path.join(repoRoot, 'experiments/manifest-example/cafe.yaml');

/** Pids of live processes whose command line holds `text`. */
function pidsWith(text: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1];
      if (cmd.includes(text) && state !== 'Z') out.push(Number(name));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return cond();
}

/** A `run --jobs 2` long enough to be caught training; resolves once both workers run. */
async function startPool(work: string) {
  const sweepDir = path.join(work, 'plan');
  const child = spawn(launcher, ['run', cafe, '--set', 'seeds=[1,2]', '--set', 'train.epochs=400', '--set', 'report.enabled=false', '--set', `output.dir=${path.join(work, 'runs')}`,
    '--jobs', '2', '--threads', '1', '--sweep-dir', sweepDir], { cwd: work, env: { ...process.env, EMOFUSE_MLRUNS: path.join(work, 'mlruns') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += String(d); });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const marker = path.join(sweepDir, 'tasks');
  // both workers are training (their logs reached the tracking line)
  const logs = () => { try { return readdirSync(path.join(sweepDir, 'logs')).map((f) => readFileSync(path.join(sweepDir, 'logs', f), 'utf8')); } catch { return []; } };
  expect(await until(() => pidsWith(marker).length === 2 && logs().filter((l) => l.includes('tracking:')).length === 2, 180_000), err).toBe(true);
  return { child, exited, workers: () => pidsWith(marker), err: () => err, logs };
}

describe('--jobs workers and their coordinator', () => {
  it('kill -9 of the coordinator: its workers stop within seconds', async () => {
    const pool = await startPool(tempDir());
    pool.child.kill('SIGKILL');
    await pool.exited;
    const t0 = Date.now();
    const gone = await until(() => pool.workers().length === 0, 30_000);
    for (const pid of pool.workers()) process.kill(pid, 'SIGKILL'); // never leave them behind
    expect(gone, pool.logs().join('\n---\n')).toBe(true);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(pool.logs().every((l) => l.includes('has ended: stopping this worker'))).toBe(true);
  }, 300_000);

  it('SIGHUP (a closed terminal) stops the coordinator and its workers', async () => {
    const pool = await startPool(tempDir());
    pool.child.kill('SIGHUP');
    const code = await pool.exited;
    const gone = await until(() => pool.workers().length === 0, 30_000);
    for (const pid of pool.workers()) process.kill(pid, 'SIGKILL');
    expect(gone).toBe(true);
    expect(code, pool.err()).toBe(130);
  }, 300_000);

  it('a resume started while a live process still writes a seed\'s run leaves that seed alone and says so', async () => {
    const work = tempDir();
    const runs = path.join(work, 'runs');
    const env = { ...process.env, EMOFUSE_MLRUNS: path.join(work, 'mlruns') };
    const args = ['run', cafe, '--set', 'seeds=[1]', '--set', 'train.epochs=400', '--set', 'report.enabled=false', '--set', `output.dir=${runs}`];
    const first = spawn(launcher, args, { cwd: work, env, stdio: 'ignore' });
    const exited = new Promise((r) => first.once('exit', r));
    try {
      const expDir = path.join(runs, 'manifest-example');
      const partial = () => (existsSync(expDir) ? readdirSync(expDir).filter((n) => /\.partial-/.test(n) && !n.endsWith('.owner')) : []);
      // the first run's partial folder has its header (config and seed)
      expect(await until(() => partial().some((n) => existsSync(path.join(expDir, n, 'meta.json'))), 180_000)).toBe(true);
      const second = spawnSync(launcher, args, { cwd: work, env, encoding: 'utf8', timeout: 180_000 });
      expect(second.status, second.stderr).toBe(0);
      expect(second.stderr).toMatch(new RegExp(`running elsewhere: seed 1 is being run by process ${first.pid} \\(${expDir}/\\.[^)]+\\.partial-`));
      expect(second.stdout).toContain('nothing to run now');
      expect(partial()).toHaveLength(1); // no second run of seed 1 was started
    } finally {
      first.kill('SIGKILL');
      await exited;
    }
  }, 400_000);
});
