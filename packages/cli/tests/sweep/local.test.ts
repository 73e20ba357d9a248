/**
 * `--jobs N` on a tiny real config (EmoDB speech CNN, one fold, 1 epoch): the same numbers as the
 * serial run, resume, and Ctrl-C stopping every worker with nothing half-written.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliInvocation } from '../../src/sweep/command.ts';
import { repoRoot, sharedData, tempDir } from '../helpers.ts';

const emodb = path.join(sharedData, 'emodb');
const base = path.join(repoRoot, 'experiments/emodb/speech_cnn.yaml');
const tiny = (out: string, epochs = 1) => ['--set', 'seeds=[1,2]', '--set', "split.folds=['03']", '--set', `train.epochs=${epochs}`, '--set', `output.dir=${out}`];

describe.skipIf(!existsSync(emodb))('run --jobs (local worker pool)', () => {
  const work = tempDir();
  const env = { ...process.env, EMOFUSE_MLRUNS: path.join(work, 'mlruns') };
  const cli = (...args: string[]) => {
    const c = cliInvocation();
    const r = spawnSync(c.node, [...c.args, ...args], { cwd: work, env: { ...env, ...c.env }, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const runsOf = (out: string) => {
    const dir = path.join(out, 'emodb-speech_cnn');
    return existsSync(dir) ? readdirSync(dir).map((n) => path.join(dir, n)) : [];
  };
  const bySeed = (out: string) => Object.fromEntries(runsOf(out).filter((d) => existsSync(path.join(d, 'meta.json'))).map((d) => [
    JSON.parse(readFileSync(path.join(d, 'meta.json'), 'utf8')).seed as number,
    JSON.parse(readFileSync(path.join(d, 'metrics.json'), 'utf8')),
  ]));

  it('gives the serial run\'s numbers for the same seeds, and resumes only what is missing', () => {
    const serialOut = path.join(work, 'serial');
    const poolOut = path.join(work, 'pool');
    // Same threads per task on both sides: tfjs-node's floats depend on the intra-op thread count.
    const serial = cli('run', base, ...tiny(serialOut), '--threads', '1');
    expect(serial.code, serial.err).toBe(0);
    const pool = cli('run', base, ...tiny(poolOut), '--jobs', '2', '--threads', '1');
    expect(pool.code, pool.err).toBe(0);
    expect(pool.err).toMatch(/start 1\/2: task 0 \(seed 1\)/);
    expect(pool.err).toMatch(/done {2}task 1 \(seed 2\) in/);
    const a = bySeed(serialOut);
    const b = bySeed(poolOut);
    expect(Object.keys(b).sort()).toEqual(['1', '2']);
    expect(b).toEqual(a);

    // Rerun: both pairs are complete, nothing is trained.
    const again = cli('run', base, ...tiny(poolOut), '--jobs', '2', '--threads', '1');
    expect(again.code, again.err).toBe(0);
    expect(again.err).toContain('resume: 2 of 2 task(s) already complete');
    expect(Object.keys(bySeed(poolOut))).toHaveLength(2);

    // Lose seed 2's run: only it is redone, with the same numbers.
    const seed2 = runsOf(poolOut).find((d) => existsSync(path.join(d, 'meta.json')) && JSON.parse(readFileSync(path.join(d, 'meta.json'), 'utf8')).seed === 2)!;
    rmSync(seed2, { recursive: true });
    const redo = cli('run', base, ...tiny(poolOut), '--jobs', '2', '--threads', '1');
    expect(redo.code, redo.err).toBe(0);
    expect(redo.err).toContain('resume: 1 of 2 task(s) already complete');
    expect(redo.err).toMatch(/start 1\/1: task 1 \(seed 2\)/);
    expect(bySeed(poolOut)).toEqual(a);
  }, 900_000);

  it('Ctrl-C stops every worker and leaves no run and no temp dir behind', async () => {
    const out = path.join(work, 'interrupted');
    const c = cliInvocation();
    const child = spawn(c.node, [...c.args, 'run', base, ...tiny(out, 200), '--set', 'train.patience=200', '--jobs', '2', '--threads', '1', '--sweep-dir', path.join(work, 'isweep')], { cwd: work, env: { ...env, ...c.env } });
    let err = '';
    child.stderr.on('data', (d) => { err += String(d); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait until both workers are training.
    const logs = [0, 1].map((k) => path.join(work, 'isweep', 'logs', `task-00${k}.out`));
    const t0 = Date.now();
    while (!logs.every((l) => existsSync(l) && /epoch\s+1\/200/.test(readFileSync(l, 'utf8')))) {
      if (Date.now() - t0 > 400_000) throw new Error(`workers did not start training: ${err}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(err).toMatch(/stopped task 0 \(seed 1\) \(interrupted/);
    expect(err).toMatch(/stopped task 1 \(seed 2\) \(interrupted/);
    expect(runsOf(out)).toEqual([]);
    // No worker is left running.
    const alive = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(path.join(work, 'isweep'));
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  }, 900_000);
  it('Ctrl-C after a worker was killed outright: the pool removes the temp run dir that worker left', async () => {
    const out = path.join(work, 'killed');
    const sweepDir = path.join(work, 'ksweep');
    const c = cliInvocation();
    const child = spawn(c.node, [...c.args, 'run', base, ...tiny(out, 200), '--set', 'train.patience=200', '--jobs', '2', '--threads', '1', '--sweep-dir', sweepDir], { cwd: work, env: { ...env, ...c.env } });
    let err = '';
    child.stderr.on('data', (d) => { err += String(d); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const logs = [0, 1].map((k) => path.join(sweepDir, 'logs', `task-00${k}.out`));
    const t0 = Date.now();
    while (!logs.every((l) => existsSync(l) && /epoch\s+1\/200/.test(readFileSync(l, 'utf8')))) {
      if (Date.now() - t0 > 400_000) throw new Error(`workers did not start training: ${err}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    // One worker dies without its own clean-up (as a crash or the OOM killer would do it) ...
    const workers = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      // the workers' command lines name their task file in the sweep dir; the pool's has --sweep-dir
      try { const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8'); return cmd.includes(sweepDir) && !cmd.includes('--sweep-dir'); } catch { return false; }
    });
    expect(workers.length).toBeGreaterThan(0);
    process.kill(Number(workers[0]), 'SIGKILL');
    const partials = () => readdirSync(path.join(out, 'emodb-speech_cnn')).filter((n) => n.includes('.partial-'));
    for (const t1 = Date.now(); !/FAILED task/.test(err); await new Promise((r) => setTimeout(r, 200))) {
      if (Date.now() - t1 > 60_000) throw new Error(`the pool did not report the killed worker: ${err}`);
    }
    expect(partials().length).toBeGreaterThan(0);
    // ... then Ctrl-C: the other stops cleanly and the pool removes what the killed one left.
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(partials()).toEqual([]);
    expect(runsOf(out)).toEqual([]);
  }, 900_000);
});
