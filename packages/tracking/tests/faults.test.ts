// Fault trials against a real `mlflow server` (issue 16): lost replies, duplicate claims, edited
// artifacts, a 30-s server and Ctrl-C. Each fault is made by a real HTTP proxy in front of the server.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RUN_TAGS, type FallbackTracker, LocalFileTracker, MlflowRestClient, MlflowRestTracker, corpusDataset, createTracker, listRuns, pushRuns, readArtifactText,
} from '../src/index.ts';
import { removeTmpDirs, startMlflowServer, startProxy, tmpDir, type MlflowServer, type Proxy } from './helpers.ts';

let server: MlflowServer;
let client: MlflowRestClient;
const proxies: Proxy[] = [];

beforeAll(async () => {
  server = await startMlflowServer();
  client = new MlflowRestClient({ uri: server.url, maxRetries: 2, backoffMs: 50 });
}, 180_000);

afterAll(async () => {
  for (const p of proxies) await p.close();
  await server?.stop();
  removeTmpDirs();
});

async function proxy(): Promise<Proxy> {
  const p = await startProxy(server.url);
  proxies.push(p);
  return p;
}

/** A proxy that forwards the first runs/create to the server and answers 502 instead of its reply. */
async function losingFirstCreate(): Promise<Proxy> {
  const p = await proxy();
  let creates = 0;
  p.lose = (method, url) => method === 'POST' && url.includes('/runs/create') && creates++ === 0;
  return p;
}

const creates = (p: Proxy) => p.requests.filter((r) => r.url.includes('/runs/create')).map((r) => r.status);

describe('a lost reply to runs/create', () => {
  it('makes no second run: the client finds its own run by its client id', async () => {
    const p = await losingFirstCreate();
    const tracker = new MlflowRestTracker({ uri: p.url, maxRetries: 3, backoffMs: 20 });
    const parent = await tracker.startRun({ experiment: 'lost-reply', runName: 'parent' });
    const child = await tracker.startRun({ experiment: 'lost-reply', runName: 'child', parentRunId: parent.runId });
    await parent.logMetric('loss', 1, 0, 1000);
    await child.endRun();
    await parent.endRun();
    expect(creates(p)).toEqual([502, 200]); // the parent's create is not repeated; the child's is the second
    const runs = await listRuns({ client }, { experiment: 'lost-reply' });
    expect(runs.map((r) => r.runName)).toEqual(['parent', 'child']);
    expect(runs[0].runId).toBe(parent.runId);
    expect(runs[0].status).toBe('FINISHED');
    expect(runs[0].tags[RUN_TAGS.clientRunId]).toMatch(/^[0-9a-f]{32}$/);
    expect(runs[1].parentRunId).toBe(parent.runId);
  });

  it('through the fallback and a later push: one parent, the child stays nested under it', async () => {
    const p = await losingFirstCreate();
    const mlruns = path.join(tmpDir('lost'), 'mlruns');
    const warnings: string[] = [];
    const tracker = createTracker({ uri: p.url, localDir: mlruns, warn: (m) => warnings.push(m), client: { maxRetries: 3, backoffMs: 20 } });
    const parent = await tracker.startRun({ experiment: 'lost-reply-fb', runName: 'parent' });
    const child = await tracker.startRun({ experiment: 'lost-reply-fb', runName: 'child', parentRunId: parent.runId });
    await child.logMetrics([{ key: 'valid_ua', value: 0.5, step: 0 }]);
    await child.endRun();
    await parent.endRun();
    expect(warnings).toEqual([]);
    const pushed = await pushRuns({ from: mlruns, to: client, experiments: ['lost-reply-fb'] });
    expect(pushed.map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
    const runs = await listRuns({ client }, { experiment: 'lost-reply-fb' });
    expect(runs.map((r) => [r.runName, r.status])).toEqual([['parent', 'FINISHED'], ['child', 'FINISHED']]);
    expect(runs[1].parentRunId).toBe(runs[0].runId);
    expect(runs[0].tags[RUN_TAGS.sourceRunId]).toBe(parent.runId);
  });
});

describe('push', () => {
  it('refuses to pick one of two server runs that claim one local run, and pushes everything else', async () => {
    const mlruns = path.join(tmpDir('claim'), 'mlruns');
    const local = new LocalFileTracker(mlruns);
    const a = await local.startRun({ experiment: 'claimed', runName: 'a' });
    const aChild = await local.startRun({ experiment: 'claimed', runName: 'a-child', parentRunId: a.runId });
    const b = await local.startRun({ experiment: 'claimed', runName: 'b' });
    for (const r of [aChild, a, b]) await r.endRun();
    const exp = await client.getOrCreateExperiment('claimed');
    const one = await client.createRun({ experimentId: exp.experimentId, runName: 'a', tags: { [RUN_TAGS.sourceRunId]: a.runId } });
    const two = await client.createRun({ experimentId: exp.experimentId, runName: 'a', tags: { [RUN_TAGS.sourceRunId]: a.runId } });
    const err = await pushRuns({ from: mlruns, to: client, experiments: ['claimed'] }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(one.info.runId);
    expect((err as Error).message).toContain(two.info.runId);
    expect((err as Error).message).toContain(a.runId);
    const runs = await listRuns({ client }, { experiment: 'claimed' });
    // b went through; neither claimant was touched and the child was not nested under a guess
    expect(runs.filter((r) => r.runName === 'b')).toHaveLength(1);
    expect(runs.filter((r) => r.runName === 'a').map((r) => r.status)).toEqual(['RUNNING', 'RUNNING']);
    expect(runs.some((r) => r.runName === 'a-child')).toBe(false);
  });

  it('re-uploads an artifact whose content changed at the same size', async () => {
    const mlruns = path.join(tmpDir('art'), 'mlruns');
    const dir = tmpDir('art-src');
    writeFileSync(path.join(dir, 'scores.txt'), 'ua=0.61\n');
    const run = await new LocalFileTracker(mlruns).startRun({ experiment: 'same-size' });
    await run.logArtifact(path.join(dir, 'scores.txt'));
    await run.endRun();
    const [first] = await pushRuns({ from: mlruns, to: client, experiments: ['same-size'] });
    expect(first.sent.artifacts).toBe(1);
    const journal = path.join((await listRuns({ store: mlruns }))[0].localArtifactDir!, 'scores.txt');
    writeFileSync(journal, 'ua=0.16\n');
    const [second] = await pushRuns({ from: mlruns, to: client, experiments: ['same-size'] });
    expect([second.action, second.sent.artifacts]).toEqual(['updated', 1]);
    expect(await readArtifactText({ client }, first.targetRunId, 'scores.txt')).toBe('ua=0.16\n');
    const [third] = await pushRuns({ from: mlruns, to: client, experiments: ['same-size'] });
    expect(third.action).toBe('unchanged');
  });
});

/** A training loop as the pipeline runs it: parent, two systems, per-epoch metrics, artifacts, ends. */
async function fakeTraining(tracker: ReturnType<typeof createTracker>, opts: { epochs: number; epochMs: number; signal?: AbortSignal; artifacts: string }) {
  const parent = await tracker.startRun({ experiment: 'slow', runName: 'invocation', description: 'a slow-server trial' });
  const open = [parent];
  try {
    await parent.logParams({ seed: 1, 'train.epochs': opts.epochs });
    await parent.logInputs([corpusDataset({ name: 'toy', fingerprint: '0123456789abcdef', source: opts.artifacts, rows: 10, splits: { train: 6, valid: 2, test: 2 } })]);
    for (const system of ['text-lstm', 'speech-cnn']) {
      const run = await tracker.startRun({ experiment: 'slow', runName: system, parentRunId: parent.runId });
      open.push(run);
      await run.logParams({ system });
      for (let e = 0; e < opts.epochs; e++) {
        if (opts.signal?.aborted) throw new Error('interrupted');
        await new Promise((r) => setTimeout(r, opts.epochMs));
        await run.logMetrics([{ key: 'loss', value: 1 / (e + 1), step: e }, { key: 'valid_ua', value: e / 10, step: e }]);
      }
      await run.logArtifactDir(opts.artifacts, 'model');
      await run.endRun('FINISHED');
      open.splice(open.indexOf(run), 1);
    }
    await parent.endRun('FINISHED');
  } catch (e) {
    for (const r of open.reverse()) await r.endRun(opts.signal?.aborted ? 'KILLED' : 'FAILED');
    throw e;
  }
}

describe('a server that takes 30 s per request', () => {
  it('does not hold training back: the run takes its own time plus the drain deadline, and push delivers the rest', async () => {
    const p = await proxy();
    p.delayMs = 30_000;
    const mlruns = path.join(tmpDir('slow'), 'mlruns');
    const art = tmpDir('slow-art');
    writeFileSync(path.join(art, 'model.json'), '{"w":[1,2,3]}');
    const warnings: string[] = [];
    // an application names its own command for delivering the journal later
    const tracker = createTracker({ uri: p.url, localDir: mlruns, warn: (m) => warnings.push(m), drainMs: 1000, pushHint: (store, server) => `myapp push ${store} ${server}` });
    const t0 = Date.now();
    await fakeTraining(tracker, { epochs: 10, epochMs: 100, artifacts: art });
    const seconds = (Date.now() - t0) / 1000;
    // 2 s of "training" + 1 s drain deadline; the old awaited client needed 30 s per call (~40 calls here)
    expect(seconds).toBeLessThan(6);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('not delivered within 1.0 s');
    expect(warnings[0]).toContain(`Deliver them later with: myapp push ${mlruns} ${p.url}`);
    const local = await listRuns({ store: mlruns }, { experiment: 'slow' });
    expect(local.map((r) => r.status)).toEqual(['FINISHED', 'FINISHED', 'FINISHED']);
    expect(local[1].metricHistory.loss).toHaveLength(10);
    await pushRuns({ from: mlruns, to: client, experiments: ['slow'] });
    const onServer = await listRuns({ client }, { experiment: 'slow' });
    expect(onServer.map((r) => [r.runName, r.status])).toEqual([['invocation', 'FINISHED'], ['text-lstm', 'FINISHED'], ['speech-cnn', 'FINISHED']]);
    expect(onServer[2].metricHistory.valid_ua).toHaveLength(10);
    expect(onServer[0].tags['mlflow.note.content']).toBe('a slow-server trial');
    expect(await readArtifactText({ client }, onServer[1].runId, 'model/model.json')).toBe('{"w":[1,2,3]}');
    expect((await client.getRun(onServer[0].runId)).datasets.map((d) => d.name)).toEqual(['toy']);
  }, 120_000);

  it('a full queue gives the server up at once instead of growing without bound', async () => {
    const p = await proxy();
    p.delayMs = 30_000;
    const mlruns = path.join(tmpDir('full'), 'mlruns');
    const warnings: string[] = [];
    const tracker = createTracker({ uri: p.url, localDir: mlruns, warn: (m) => warnings.push(m), queueLimit: 3 }) as FallbackTracker;
    const run = await tracker.startRun({ experiment: 'full' });
    for (let i = 0; i < 10; i++) await run.setTags({ [`t${i}`]: 'x' });
    expect(tracker.offline).toBe(true);
    expect(tracker.pending).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('fell 3 calls behind');
    const t0 = Date.now();
    await run.endRun();
    expect(Date.now() - t0).toBeLessThan(1000);
    const [local] = await listRuns({ store: mlruns }, { experiment: 'full' });
    expect(Object.keys(local.tags).filter((k) => /^t\d$/.test(k))).toHaveLength(10);
  }, 120_000);

  it('Ctrl-C aborts the requests in flight and ends within 2 s with the runs KILLED locally', async () => {
    const p = await proxy();
    p.delayMs = 30_000;
    const mlruns = path.join(tmpDir('ctrlc'), 'mlruns');
    const art = tmpDir('ctrlc-art');
    writeFileSync(path.join(art, 'w.bin'), Buffer.from([1, 2, 3]));
    const ac = new AbortController();
    const warnings: string[] = [];
    const tracker = createTracker({ uri: p.url, localDir: mlruns, warn: (m) => warnings.push(m), signal: ac.signal, drainMs: 60_000 });
    setTimeout(() => ac.abort(), 700);
    const t0 = Date.now();
    await expect(fakeTraining(tracker, { epochs: 50, epochMs: 50, signal: ac.signal, artifacts: art })).rejects.toThrow('interrupted');
    const afterAbort = (Date.now() - t0) / 1000 - 0.7;
    expect(afterAbort).toBeLessThan(2);
    expect((tracker as FallbackTracker).pending).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('interrupted');
    const local = await listRuns({ store: mlruns }, { experiment: 'slow' });
    expect(local.map((r) => r.status)).toEqual(['KILLED', 'KILLED']);
    // nothing was lost: push delivers the killed runs whole
    const pushed = await pushRuns({ from: mlruns, to: client, experiments: ['slow'] });
    const ids = new Set(pushed.map((r) => r.targetRunId));
    const onServer = (await listRuns({ client }, { experiment: 'slow' })).filter((r) => ids.has(r.runId));
    expect(onServer.map((r) => r.status)).toEqual(['KILLED', 'KILLED']);
    expect(onServer[1].metricHistory.loss.length).toBe(local[1].metricHistory.loss.length);
  }, 120_000);
});
