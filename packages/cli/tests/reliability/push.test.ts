// Issue 26, items 1, 10, 11: `emofuse runs push` through the real CLI against a real MLflow server.
// Two pushes of one store at once, the store EMOFUSE_MLRUNS names, Ctrl-C against a server that never answers.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFileTracker, MlflowRestClient, RUN_TAGS } from '@emofuse/tracking';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the tracking tests' real-server helper
import { startMlflowServer, type MlflowServer } from '../../../tracking/tests/helpers.ts';
import { repoRoot, tempDir } from '../helpers.ts';

const launcher = path.join(repoRoot, 'emofuse');

/** The real CLI as a child process; resolves with its exit code, output and wall time. */
export function emofuse(args: string[], opts: { cwd: string; env?: Record<string, string>; onSpawn?: (pid: number) => void }) {
  const t0 = Date.now();
  const child = spawn(launcher, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += String(d); });
  child.stderr.on('data', (d) => { err += String(d); });
  const done = new Promise<{ code: number | null; out: string; err: string; seconds: number }>((resolve) => {
    child.once('exit', (code) => resolve({ code, out, err, seconds: (Date.now() - t0) / 1000 }));
  });
  return { child, done };
}

/** A store of `n` finished runs (params, a metric history, an artifact) in experiment `exp`. */
export async function makeStore(dir: string, n: number, exp = 'push-race'): Promise<string[]> {
  const tracker = new LocalFileTracker(dir, { context: false });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const run = await tracker.startRun({ experiment: exp, runName: `r${i}` });
    await run.logParams({ i, lr: 0.001 });
    await run.logMetrics([0, 1, 2].map((step) => ({ key: 'loss', value: 1 / (step + 1 + i), step })));
    await run.endRun('FINISHED');
    ids.push(run.runId);
  }
  return ids;
}

describe('runs push', () => {
  let server: MlflowServer;
  beforeAll(async () => { server = await startMlflowServer(); }, 180_000);
  afterAll(async () => server?.stop());

  it('two pushes of one store at once: each local run is one server run, both exit 0', async () => {
    const work = tempDir();
    const store = path.join(work, 'mlruns');
    const ids = await makeStore(store, 32);
    const a = emofuse(['runs', 'push', '--to', server.url, '--store', store], { cwd: work });
    const b = emofuse(['runs', 'push', '--to', server.url, '--store', store], { cwd: work });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.err).toBe(0);
    expect(rb.code, rb.err).toBe(0);
    const c = new MlflowRestClient({ uri: server.url });
    const exp = await c.getExperimentByName('push-race');
    const runs = await c.searchRuns({ experimentIds: [exp!.experimentId] });
    const sources = runs.map((r) => r.tags[RUN_TAGS.sourceRunId]);
    expect(sources.length).toBe(32);
    expect(new Set(sources)).toEqual(new Set(ids));
    // every metric point once
    for (const r of runs.slice(0, 4)) expect(await c.getMetricHistory(r.info.runId, 'loss')).toHaveLength(3);
    // the lock is gone, and a third push sends nothing
    expect(existsSync(path.join(store, '.emofuse-push.lock'))).toBe(false);
    const again = await emofuse(['runs', 'push', '--to', server.url, '--store', store], { cwd: work }).done;
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('pushed 0 run(s), skipped 32');
  }, 300_000);

  it('a push waits for the lock of a live push and takes over the lock of a killed one', async () => {
    const work = tempDir();
    const store = path.join(work, 'mlruns');
    await makeStore(store, 2, 'push-lock');
    const { writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    // a lock left by a process that no longer exists (kill -9 during push)
    const dead = spawn('true');
    await new Promise((r) => dead.once('exit', r));
    writeFileSync(path.join(store, '.emofuse-push.lock'), JSON.stringify({ pid: dead.pid, host: os.hostname(), start: Date.now() - 5000 }));
    const r = await emofuse(['runs', 'push', '--to', server.url, '--store', store], { cwd: work }).done;
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('pushed 2 run(s)');
    // a live holder (this test process): the push waits and says so, then goes on once it is released
    writeFileSync(path.join(store, '.emofuse-push.lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), start: Date.now() }));
    const waiting = emofuse(['runs', 'push', '--to', server.url, '--store', store], { cwd: work });
    await new Promise<void>((resolve) => waiting.child.stderr.on('data', (d) => { if (String(d).includes('another push of this store is running')) resolve(); }));
    const { rmSync } = await import('node:fs');
    rmSync(path.join(store, '.emofuse-push.lock'));
    const w = await waiting.done;
    expect(w.code, w.err).toBe(0);
    expect(w.err).toContain(`(pid ${process.pid} on ${os.hostname()}`);
    expect(w.out).toContain('pushed 0 run(s), skipped 2');
  }, 180_000);

  it('pushes the store EMOFUSE_MLRUNS names when --store is not given', async () => {
    const work = tempDir();
    const store = path.join(work, 'elsewhere', 'mlruns');
    await makeStore(store, 3, 'push-env');
    const r = await emofuse(['runs', 'push', '--to', server.url], { cwd: work, env: { EMOFUSE_MLRUNS: store } }).done;
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('pushed 3 run(s)');
  }, 120_000);

  it('Ctrl-C stops a push to a server that never answers within seconds: exit 130', async () => {
    const work = tempDir();
    const store = path.join(work, 'mlruns');
    await makeStore(store, 2, 'push-sigint');
    // A blackhole on 127.0.0.1: accepts connections, never answers.
    const sockets: net.Socket[] = [];
    let connected!: () => void;
    const reached = new Promise<void>((r) => { connected = r; });
    const hole = net.createServer((s) => { sockets.push(s); connected(); });
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(hole.address() as net.AddressInfo).port}`;
    try {
      const p = emofuse(['runs', 'push', '--to', url, '--store', store], { cwd: work });
      await reached;
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      p.child.kill('SIGINT');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
      const r = await p.done;
      clearTimeout(timer);
      const seconds = (Date.now() - t0) / 1000;
      expect(r.code, r.err).toBe(130);
      expect(seconds).toBeLessThan(5);
      expect(existsSync(path.join(store, '.emofuse-push.lock'))).toBe(false);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hole.close(r));
    }
  }, 120_000);

  it('one damaged run (a truncated meta.yaml, a metric line cut mid-write) is skipped and named; the rest is pushed; exit 1', async () => {
    const work = tempDir();
    const store = path.join(work, 'mlruns');
    const ids = await makeStore(store, 6, 'push-damaged');
    const { readFileSync, readdirSync, writeFileSync } = await import('node:fs');
    const expDir = readdirSync(store).map((n) => path.join(store, n)).find((d) => existsSync(path.join(d, ids[0])))!;
    const meta = path.join(expDir, ids[1], 'meta.yaml');
    const metaText = readFileSync(meta, 'utf8');
    writeFileSync(meta, metaText.slice(0, Math.floor(metaText.length / 3)));
    const metric = path.join(expDir, ids[3], 'metrics', 'loss');
    const metricText = readFileSync(metric, 'utf8');
    writeFileSync(metric, metricText + metricText.split('\n')[0].slice(0, 9)); // a fourth line, cut
    const r = await emofuse(['runs', 'push', '--to', server.url, '--store', store], { cwd: work }).done;
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain('push skipped 2 damaged run(s)');
    expect(r.err).toContain(meta);
    expect(r.err).toContain(`${metric}:4`);
    expect(r.err).toMatch(/fix: /);
    expect(r.err).not.toMatch(/\n\s+at /);
    const c = new MlflowRestClient({ uri: server.url });
    const exp = await c.getExperimentByName('push-damaged');
    const pushed = (await c.searchRuns({ experimentIds: [exp!.experimentId] })).map((x) => x.tags[RUN_TAGS.sourceRunId]).sort();
    expect(pushed).toEqual([ids[0], ids[2], ids[4], ids[5]].sort());
    // repaired, the next push completes the store
    writeFileSync(meta, metaText);
    writeFileSync(metric, metricText);
    const again = await emofuse(['runs', 'push', '--to', server.url, '--store', store], { cwd: work }).done;
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('pushed 2 run(s), skipped 4');
  }, 180_000);
});
