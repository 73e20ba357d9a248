// How much a slow MLflow server slows a run, and how fast Ctrl-C ends it (issue 16.3).
// A real `mlflow server` behind a proxy that holds every request DELAY_MS (default 30 s).
// Run: node --import tsx benchmarks/tracking-slow-server.ts [background|awaited|both]
// Prints wall times of a simulated training (EPOCHS epochs x 2 systems, EPOCH_MS each) with
// tracking, against the same training untracked, and the time from Ctrl-C (abort) to done.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type FallbackTracker, createTracker, listRuns, type Tracker, type TrackerRun } from '@emofuse/tracking';
import { startMlflowServer, startProxy } from '../packages/tracking/tests/helpers.ts';

const DELAY_MS = Number(process.env.DELAY_MS ?? 30_000);
const EPOCHS = Number(process.env.EPOCHS ?? 10);
const EPOCH_MS = Number(process.env.EPOCH_MS ?? 1400);
const mode = process.argv[2] ?? 'background';

async function training(tracker: Tracker | undefined, signal?: AbortSignal): Promise<void> {
  const runs: TrackerRun[] = [];
  const parent = await tracker?.startRun({ experiment: 'bench-slow', runName: 'invocation' });
  if (parent) runs.push(parent);
  try {
    await parent?.logParams({ seed: 1 });
    for (const system of ['text-lstm', 'speech-cnn']) {
      const run = await tracker?.startRun({ experiment: 'bench-slow', runName: system, parentRunId: parent!.runId });
      if (run) runs.push(run);
      await run?.logParams({ system });
      for (let e = 0; e < EPOCHS; e++) {
        if (signal?.aborted) throw new Error('interrupted');
        await new Promise((r) => setTimeout(r, EPOCH_MS));
        await run?.logMetrics([{ key: 'loss', value: 1 / (e + 1), step: e }, { key: 'valid_ua', value: e / 10, step: e }]);
      }
      await run?.endRun();
      if (run) runs.splice(runs.indexOf(run), 1);
    }
    await parent?.endRun();
  } catch (e) {
    for (const r of runs.reverse()) await r.endRun(signal?.aborted ? 'KILLED' : 'FAILED');
    throw e;
  }
}

const server = await startMlflowServer();
const proxy = await startProxy(server.url);
proxy.delayMs = DELAY_MS;
const work = mkdtempSync(path.join(os.tmpdir(), 'bench-slow-'));
try {
  let t = performance.now();
  await training(undefined);
  const bare = (performance.now() - t) / 1000;
  console.log(`untracked training: ${bare.toFixed(1)} s (${EPOCHS} epochs x 2 systems x ${EPOCH_MS} ms)`);
  for (const m of mode === 'both' ? ['background', 'awaited'] : [mode]) {
    const mlruns = path.join(work, m, 'mlruns');
    const tracker = createTracker({ uri: proxy.url, localDir: mlruns, background: m === 'background', warn: () => {} });
    t = performance.now();
    await training(tracker);
    const took = (performance.now() - t) / 1000;
    console.log(`${m}: tracked training ${took.toFixed(1)} s with a ${DELAY_MS / 1000}-s server (x${(took / bare).toFixed(2)} of untracked)`);

    const ac = new AbortController();
    const killed = createTracker({ uri: proxy.url, localDir: mlruns, background: m === 'background', signal: ac.signal, warn: () => {} });
    setTimeout(() => ac.abort(), 3 * EPOCH_MS);
    let stopped = 0;
    ac.signal.addEventListener('abort', () => { stopped = performance.now(); });
    await training(killed, ac.signal).catch(() => undefined);
    const local = await listRuns({ store: mlruns }, { experiment: 'bench-slow' });
    console.log(`${m}: Ctrl-C to done ${((performance.now() - stopped) / 1000).toFixed(2)} s; local statuses ${local.slice(-2).map((r) => r.status).join(',')}; queue left ${(killed as FallbackTracker).pending}`);
  }
} finally {
  writeFileSync(path.join(work, 'done'), '');
  await proxy.close();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
