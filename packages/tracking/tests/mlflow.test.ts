import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FallbackTracker, LIMITS, LocalFileTracker, MlflowRestClient, MlflowRestTracker, SQL_STORE_INFINITY, RUN_TAGS,
  listArtifacts, listRuns, mlflowOptionsFromEnv, parseDoubleText, pushRuns, readArtifactText, runContextTags,
} from '../src/index.ts';
import { removeTmpDirs, runPythonJson, startMlflowServer, startProxy, tmpDir, freePort, type MlflowServer, type Proxy } from './helpers.ts';

// The awkward doubles: non-finite, signed zero, subnormal range, rounding residue, 17 significant digits.
const SPECIAL = [NaN, Infinity, -Infinity, -0, 1e-308, 0.1 + 0.2, 0.12345678901234568, 1.2345678901234567e300, -0.00009876543210987653, 5e-324, 2 ** 62];

let server: MlflowServer;
let client: MlflowRestClient;

beforeAll(async () => {
  server = await startMlflowServer();
  client = new MlflowRestClient({ uri: server.url, maxRetries: 2, backoffMs: 50 });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  removeTmpDirs();
});

/**
 * MLflow's own Python client reading stores (file://, sqlite://, http://): per store, the runs of one
 * experiment with repr'd values. With `migrate`, `mlflow migrate-filestore` runs first (the same click
 * command the CLI runs, in this interpreter to save a slow Python start-up).
 */
interface PyRun {
  name: string;
  status: string;
  start: number;
  end: number | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  latest: Record<string, string>;
  hist: Record<string, [number, number, string][]>;
  artifacts: string[];
}

async function readWithPython(reads: { uri: string; experiment: string }[], migrate?: { source: string; target: string }): Promise<Record<string, PyRun>[]> {
  return runPythonJson<Record<string, PyRun>[]>(`
import json
from mlflow.tracking import MlflowClient
migrate = json.loads(${JSON.stringify(JSON.stringify(migrate ?? null))})
if migrate:
    from mlflow.store.fs2db.cli import migrate_filestore
    migrate_filestore.main(['--source', migrate['source'], '--target', migrate['target'], '--no-progress'], standalone_mode=False)
def read(uri, experiment):
    c = MlflowClient(tracking_uri=uri)
    exp = c.get_experiment_by_name(experiment)
    out = {}
    def arts(run_id, p=None):
        files = []
        for f in c.list_artifacts(run_id, p):
            files += arts(run_id, f.path) if f.is_dir else [f.path]
        return files
    for r in c.search_runs([exp.experiment_id]):
        rid = r.info.run_id
        out[rid] = {
            'name': r.info.run_name, 'status': r.info.status, 'start': r.info.start_time, 'end': r.info.end_time,
            'params': r.data.params, 'tags': r.data.tags,
            'latest': {k: repr(v) for k, v in r.data.metrics.items()},
            'hist': {k: [[m.step, m.timestamp, repr(m.value)] for m in c.get_metric_history(rid, k)] for k in r.data.metrics},
            'artifacts': sorted(arts(rid)),
        }
    return out
print(json.dumps([read(r['uri'], r['experiment']) for r in json.loads(${JSON.stringify(JSON.stringify(reads))})]))
`);
}

function values(hist: [number, number, string][]): number[] {
  return hist.map((h) => parseDoubleText(h[2]) as number);
}

function expectSameDoubles(got: number[], want: number[]) {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Object.is(g, want[i]), `index ${i}: got ${g}, want ${want[i]}`).toBe(true));
}

describe('MlflowRestTracker against a real mlflow server', () => {
  it('round-trips params, metrics (step, timestamp), tags, status, artifacts and nesting', async () => {
    const tracker = new MlflowRestTracker(client);
    const run = await tracker.startRun({ experiment: 'roundtrip', runName: 'parent', tags: { corpus: 'iemocap', seed: '1' } });
    await run.logParams({ 'model.text.lstmUnits': 128, lr: 0.001, frozen: true });
    await run.logMetric('loss', 1.5, 0, 1_000);
    await run.logMetric('loss', 0.75, 1, 2_000);
    await run.logMetrics([{ key: 'valid/ua', value: 0.61, step: 1, timestamp: 2_001 }, { key: 'valid/wa', value: 0.64, step: 1, timestamp: 2_002 }]);
    await run.setTags({ 'emofuse.system': 'text-lstm' });
    const dir = tmpDir('art');
    writeFileSync(path.join(dir, 'config.yaml'), 'seed: 1\n');
    mkdirSync(path.join(dir, 'model/weights'), { recursive: true });
    writeFileSync(path.join(dir, 'model/model.json'), '{"a":1}');
    writeFileSync(path.join(dir, 'model/weights/w.bin'), Buffer.from([0, 1, 2, 255]));
    await run.logArtifact(path.join(dir, 'config.yaml'));
    await run.logArtifactDir(path.join(dir, 'model'), 'saved');
    const child = await tracker.startRun({ experiment: 'roundtrip', runName: 'child', parentRunId: run.runId });
    await child.endRun('FAILED', 5_000);
    await run.endRun('FINISHED');

    const [p, c] = await listRuns({ client }, { experiment: 'roundtrip' });
    expect(p.runId).toBe(run.runId);
    expect(p.runName).toBe('parent');
    expect(p.status).toBe('FINISHED');
    expect(p.endTime).toBeGreaterThanOrEqual(p.startTime);
    expect(p.params).toEqual({ 'model.text.lstmUnits': '128', lr: '0.001', frozen: 'true' });
    expect(p.metricHistory.loss).toEqual([{ step: 0, timestamp: 1_000, value: 1.5 }, { step: 1, timestamp: 2_000, value: 0.75 }]);
    expect(p.metrics).toEqual({ loss: 0.75, 'valid/ua': 0.61, 'valid/wa': 0.64 });
    expect(p.tags).toMatchObject({ corpus: 'iemocap', seed: '1', 'emofuse.system': 'text-lstm', 'mlflow.runName': 'parent' });
    expect(p.parentRunId).toBeNull();
    expect(c.parentRunId).toBe(run.runId);
    expect(c.status).toBe('FAILED');
    expect(c.endTime).toBe(5_000);
    // filters: tags across all experiments (runs/search), and run ids
    expect((await listRuns({ client }, { tags: { corpus: 'iemocap', seed: '1' } })).map((r) => r.runId)).toEqual([run.runId]);
    expect((await listRuns({ client }, { runIds: [child.runId], histories: false })).map((r) => r.runName)).toEqual(['child']);
    expect(await listArtifacts({ client }, run.runId)).toEqual(['config.yaml', 'saved/model.json', 'saved/weights/w.bin']);
    expect(await readArtifactText({ client }, run.runId, 'config.yaml')).toBe('seed: 1\n');
  });

  it('splits log-batch to the server limits (1300 metrics, 130 params, 110 tags in one call)', async () => {
    const run = await new MlflowRestTracker(client).startRun({ experiment: 'batch' });
    const metrics = Array.from({ length: 1300 }, (_, i) => ({ key: i % 2 ? 'a' : 'b', value: i / 7, step: i, timestamp: 10_000 + i }));
    const params = Array.from({ length: 130 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    const tags = Array.from({ length: 110 }, (_, i) => ({ key: `t${i}`, value: `v${i}` }));
    expect(metrics.length).toBeGreaterThan(LIMITS.metricsPerBatch);
    await client.logBatch(run.runId, { metrics, params, tags });
    const [rec] = await listRuns({ client }, { runIds: [run.runId] });
    expect(Object.keys(rec.params)).toHaveLength(130);
    expect(Object.keys(rec.tags).filter((k) => k.startsWith('t'))).toHaveLength(110);
    expect(rec.metricHistory.a).toHaveLength(650);
    expect(rec.metricHistory.b).toHaveLength(650);
    expect(rec.metricHistory.a.map((p) => p.value)).toEqual(metrics.filter((_, i) => i % 2).map((m) => m.value));
  });

  it('keeps NaN, subnormals, 0.1+0.2 and 17-digit values exact through the server; documents what MLflow SQL does to Infinity and -0', async () => {
    const run = await new MlflowRestTracker(client).startRun({ experiment: 'numbers' });
    await run.logMetrics(SPECIAL.map((value, step) => ({ key: 'x', value, step, timestamp: 100 + step })));
    await run.endRun();
    // MLflow's SQL store writes +-Infinity as +-DBL_MAX and SQLite keeps a whole-number REAL as an integer (-0 -> 0).
    const stored = SPECIAL.map((v) => (v === Infinity ? SQL_STORE_INFINITY : v === -Infinity ? -SQL_STORE_INFINITY : Object.is(v, -0) ? 0 : v));
    const [raw] = await listRuns({ client }, { runIds: [run.runId], restoreInfinity: false });
    expectSameDoubles(raw.metricHistory.x.map((p) => p.value), stored);
    const [restored] = await listRuns({ client }, { runIds: [run.runId] });
    expectSameDoubles(restored.metricHistory.x.map((p) => p.value), SPECIAL.map((v) => (Object.is(v, -0) ? 0 : v)));
    // MLflow's own Python client sees exactly the same numbers.
    const [py] = await readWithPython([{ uri: server.url, experiment: 'numbers' }]);
    expectSameDoubles(values(py[run.runId].hist.x), stored);
  });

  it('retries on 503 (twice) and sends the bearer token from the environment', async () => {
    const proxy = await startProxy(server.url);
    try {
      const env = { MLFLOW_TRACKING_URI: proxy.url, MLFLOW_TRACKING_TOKEN: 'secret-token' };
      const c = new MlflowRestClient({ ...mlflowOptionsFromEnv(env), backoffMs: 20 });
      proxy.fail = 2;
      const exp = await c.getOrCreateExperiment('retry');
      expect(exp.name).toBe('retry');
      // get-by-name answers 404 for a new experiment, then it is created
      expect(proxy.requests.slice(0, 4).map((r) => r.status)).toEqual([503, 503, 404, 200]);
      expect(proxy.requests.every((r) => r.authorization === 'Bearer secret-token')).toBe(true);
      // bounded: a server that keeps failing gives up after maxRetries + 1 attempts
      const bounded = new MlflowRestClient({ uri: proxy.url, maxRetries: 2, backoffMs: 10 });
      proxy.fail = 100;
      const before = proxy.requests.length;
      await expect(bounded.getExperimentByName('retry')).rejects.toMatchObject({ name: 'EmofuseError', status: 503 });
      expect(proxy.requests.length - before).toBe(3);
      // basic auth wins over the token, as in MLflow's clients
      proxy.fail = 0;
      const basic = new MlflowRestClient(mlflowOptionsFromEnv({ ...env, MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'pw' }));
      await basic.getExperimentByName('retry');
      expect(proxy.requests.at(-1)?.authorization).toBe(`Basic ${Buffer.from('ann:pw').toString('base64')}`);
    } finally {
      await proxy.close();
    }
  });
});

describe('local store read by MLflow itself', () => {
  const store = tmpDir('store');
  const mlruns = path.join(store, 'mlruns');
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const tracker = new LocalFileTracker(mlruns);
    const parent = await tracker.startRun({ experiment: 'offline', runName: 'sweep', tags: { corpus: 'emodb' } });
    await parent.logParams({ batchSize: 32, 'model/text/lstmUnits': 64 });
    await parent.logMetrics(SPECIAL.map((value, step) => ({ key: 'x', value, step, timestamp: 500 + step })));
    await parent.logMetric('valid/ua', 0.5, 0, 900);
    await parent.logMetric('valid/ua', 0.55, 1, 901);
    const dir = tmpDir('art2');
    writeFileSync(path.join(dir, 'posteriors.csv'), 'id,ang\nu1,0.2\n');
    mkdirSync(path.join(dir, 'plots'));
    writeFileSync(path.join(dir, 'plots/curve.json'), '{}');
    await parent.logArtifact(path.join(dir, 'posteriors.csv'), 'outputs');
    await parent.logArtifactDir(dir, 'all');
    const child = await tracker.startRun({ experiment: 'offline', runName: 'seed-1', parentRunId: parent.runId });
    await child.logMetric('test/ua', 0.6, 0, 950);
    await child.endRun('FINISHED', 2_000_000);
    await parent.endRun('KILLED', 2_000_001);
    ids.parent = parent.runId;
    ids.child = child.runId;
  });

  it('tags its experiments as machine-learning ones, in the file store and on the server, as MLflow reads them (its UI then opens the classic runs view)', async () => {
    await new MlflowRestTracker(client).startRun({ experiment: 'kind-tag', runName: 'r' }).then((r) => r.endRun('FINISHED'));
    const tags = await runPythonJson<Record<string, string>[]>(`
import json
from mlflow.tracking import MlflowClient
print(json.dumps([MlflowClient(tracking_uri=u).get_experiment_by_name(n).tags for u, n in ((${JSON.stringify(pathToFileURL(mlruns).href)}, 'offline'), (${JSON.stringify(server.url)}, 'kind-tag'))]))
`);
    for (const t of tags) expect(t['mlflow.experimentKind']).toBe('custom_model_development');
  });

  it('MlflowClient reads the store bit-exactly, and mlflow migrate-filestore moves it into SQLite intact', async () => {
    const db = path.join(tmpDir('migrate'), 'm.db');
    const [py, migrated] = await readWithPython(
      [{ uri: pathToFileURL(mlruns).href, experiment: 'offline' }, { uri: `sqlite:///${db}`, experiment: 'offline' }],
      { source: mlruns, target: `sqlite:///${db}` },
    );
    const p = py[ids.parent];
    expect(p.name).toBe('sweep');
    expect(p.status).toBe('KILLED');
    expect(p.end).toBe(2_000_001);
    expect(p.params).toEqual({ batchSize: '32', 'model/text/lstmUnits': '64' });
    expect(p.tags).toMatchObject({ corpus: 'emodb', 'mlflow.runName': 'sweep' });
    expectSameDoubles(values(p.hist.x), SPECIAL);
    expect(p.hist.x.map((h) => h[0])).toEqual(SPECIAL.map((_, i) => i));
    expect(p.hist['valid/ua']).toEqual([[0, 900, '0.5'], [1, 901, '0.55']]);
    expect(p.artifacts).toEqual(['all/plots/curve.json', 'all/posteriors.csv', 'outputs/posteriors.csv']);
    expect(py[ids.child].tags['mlflow.parentRunId']).toBe(ids.parent);
    expect(py[ids.child].status).toBe('FINISHED');
    // our own reader agrees
    const recs = await listRuns({ store: mlruns }, { experiment: 'offline' });
    expect(recs.map((r) => r.runId)).toEqual([ids.parent, ids.child]);
    expectSameDoubles(recs[0].metricHistory.x.map((q) => q.value), SPECIAL);
    expect(recs[1].parentRunId).toBe(ids.parent);
    expect((await listRuns({ store: mlruns }, { tags: { corpus: 'emodb' } })).map((r) => r.runId)).toEqual([ids.parent]);
    expect(await readArtifactText({ store: mlruns }, ids.parent, 'all/plots/curve.json')).toBe('{}');
    // migrated: same runs, params, nesting, histories (SQLite then applies its own Infinity/-0 rules)
    expect(Object.keys(migrated).sort()).toEqual([ids.parent, ids.child].sort());
    expect(migrated[ids.parent].params).toEqual(p.params);
    expect(migrated[ids.parent].status).toBe('KILLED');
    expect(migrated[ids.child].tags['mlflow.parentRunId']).toBe(ids.parent);
    expect(migrated[ids.parent].hist['valid/ua']).toEqual(p.hist['valid/ua']);
    expect(migrated[ids.parent].hist.x).toHaveLength(SPECIAL.length);
  });

  it('push replays runs into the server with nesting, times and histories; a second push creates nothing', async () => {
    const first = await pushRuns({ from: mlruns, to: client, experiments: ['offline'] });
    expect(first.map((r) => r.action)).toEqual(['created', 'created']);
    const byId = Object.fromEntries(first.map((r) => [r.sourceRunId, r.targetRunId]));
    const server1 = await listRuns({ client }, { experiment: 'offline' });
    expect(server1).toHaveLength(2);
    const [sp, sc] = server1;
    expect(sp.runId).toBe(byId[ids.parent]);
    expect(sc.parentRunId).toBe(byId[ids.parent]);
    expect(sp.tags[RUN_TAGS.sourceRunId]).toBe(ids.parent);
    const local = await listRuns({ store: mlruns }, { experiment: 'offline' });
    for (const [l, s] of [[local[0], sp], [local[1], sc]]) {
      expect(s.startTime).toBe(l.startTime);
      expect(s.endTime).toBe(l.endTime);
      expect(s.status).toBe(l.status);
      expect(s.params).toEqual(l.params);
      expect(s.runName).toBe(l.runName);
    }
    expect(sp.metricHistory['valid/ua']).toEqual(local[0].metricHistory['valid/ua']);
    expect(sp.metricHistory.x.map((q) => [q.step, q.timestamp])).toEqual(local[0].metricHistory.x.map((q) => [q.step, q.timestamp]));
    expect(await readArtifactText({ client }, sp.runId, 'outputs/posteriors.csv')).toBe('id,ang\nu1,0.2\n');

    const second = await pushRuns({ from: mlruns, to: client });
    expect(second.filter((r) => r.experiment === 'offline').map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
    const server2 = await listRuns({ client }, { experiment: 'offline' });
    expect(server2.map((r) => r.runId)).toEqual(server1.map((r) => r.runId));
    expect(server2[0].metricHistory.x).toHaveLength(SPECIAL.length);
  });
});

describe('FallbackTracker', () => {
  it('keeps logging locally when the server is unreachable, warns once, and a later push delivers the run', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const mlruns = path.join(tmpDir('fb'), 'mlruns');
    const warnings: string[] = [];
    const tracker = new FallbackTracker({ remote: { uri: dead, maxRetries: 1, backoffMs: 10 }, localDir: mlruns, warn: (m) => warnings.push(m) });
    const run = await tracker.startRun({ experiment: 'fallback', runName: 'offline-run' });
    await run.logParams({ seed: 7 });
    for (let e = 0; e < 5; e++) await run.logMetric('loss', 1 / (e + 1), e, 1000 + e);
    const child = await tracker.startRun({ experiment: 'fallback', runName: 'child', parentRunId: run.runId });
    await child.endRun();
    await run.endRun();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(dead);
    expect(warnings[0]).toMatch(/Deliver them later with: pushRuns\(\{ from: ".+", to: ".+" \}\) of @emofuse\/tracking/);
    expect(tracker.offline).toBe(true);

    const local = await listRuns({ store: mlruns });
    expect(local.map((r) => r.runName)).toEqual(['offline-run', 'child']);
    expect(local[0].metricHistory.loss).toHaveLength(5);

    const pushed = await pushRuns({ from: mlruns, to: client });
    expect(pushed.map((r) => r.action)).toEqual(['created', 'created']);
    const onServer = await listRuns({ client }, { experiment: 'fallback' });
    expect(onServer[0].metricHistory.loss.map((p) => p.value)).toEqual([1, 0.5, 1 / 3, 0.25, 0.2]);
    expect(onServer[1].parentRunId).toBe(onServer[0].runId);
    expect(onServer[0].params).toEqual({ seed: '7' });
  });

  it('when the server dies mid-run, the run continues locally and push completes the same server run', async () => {
    const proxy: Proxy = await startProxy(server.url);
    try {
      const mlruns = path.join(tmpDir('fb2'), 'mlruns');
      const warnings: string[] = [];
      const tracker = new FallbackTracker({ remote: { uri: proxy.url, maxRetries: 1, backoffMs: 10 }, localDir: mlruns, warn: (m) => warnings.push(m) });
      const run = await tracker.startRun({ experiment: 'midrun', runName: 'flaky' });
      await run.logParams({ lr: 0.01 });
      await run.logMetric('loss', 3, 0, 10);
      await run.logMetric('loss', 2, 1, 11);
      proxy.down = true;
      await run.logMetric('loss', 1, 2, 12);
      await run.logMetric('loss', 0.5, 3, 13);
      await run.setTags({ phase: 'done' });
      await run.endRun('FINISHED', 99_999);
      expect(warnings).toHaveLength(1);
      proxy.down = false;

      const partial = await listRuns({ client }, { experiment: 'midrun' });
      expect(partial).toHaveLength(1);
      expect(partial[0].status).toBe('RUNNING');
      expect(partial[0].metricHistory.loss).toHaveLength(2);

      const pushed = await pushRuns({ from: mlruns, to: client, experiments: ['midrun'] });
      expect(pushed.map((r) => [r.action, r.sent.metrics, r.targetRunId])).toEqual([['updated', 2, partial[0].runId]]);
      const [done] = await listRuns({ client }, { experiment: 'midrun' });
      expect(done.status).toBe('FINISHED');
      expect(done.endTime).toBe(99_999);
      expect(done.tags.phase).toBe('done');
      expect(done.metricHistory.loss.map((p) => [p.step, p.value])).toEqual([[0, 3], [1, 2], [2, 1], [3, 0.5]]);
    } finally {
      await proxy.close();
    }
  });

  it('passes a child run of a server run to the server while it is up', async () => {
    const mlruns = path.join(tmpDir('fb3'), 'mlruns');
    const tracker = new FallbackTracker({ remote: new MlflowRestTracker(client), localDir: mlruns, warn: () => { throw new Error('no warning expected'); } });
    const parent = await tracker.startRun({ experiment: 'nested-online' });
    const child = await tracker.startRun({ experiment: 'nested-online', parentRunId: parent.runId });
    await child.endRun();
    await parent.endRun();
    const runs = await listRuns({ client }, { experiment: 'nested-online' });
    expect(runs.find((r) => r.runId === child.runId)?.parentRunId).toBe(parent.runId);
    // the journal copy nests by local ids and push recognises both runs as already there
    const again = await pushRuns({ from: mlruns, to: client });
    expect(again.map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
  });
});

describe('MLflow conventions: dataset inputs and context tags', () => {
  const dataset = {
    name: 'iemocap-6', digest: '3f2a9c1d4e5b6a70', sourceType: 'local', source: { uri: 'file:///data/iemocap' },
    schema: { mlflow_colspec: [{ name: 'text', type: 'string' }, { name: 'label', type: 'string' }] },
    profile: { num_rows: 10, splits: { train: 6, valid: 2, test: 2 } }, context: 'train',
  };

  it('logInputs reaches the server (runs/log-inputs) and the local store, and MLflow reads both; context tags and the note are set', async () => {
    const serverRun = await new MlflowRestTracker(client).startRun({ experiment: 'inputs', runName: 'srv', description: 'text LSTM,\n seed 1' });
    await serverRun.logInputs([dataset]);
    await serverRun.logInputs([dataset]); // a second log keeps one input
    await serverRun.endRun();
    const mlruns = path.join(tmpDir('inputs'), 'mlruns');
    const localRun = await new LocalFileTracker(mlruns).startRun({ experiment: 'inputs', runName: 'loc', description: 'text LSTM, seed 1' });
    await localRun.logInputs([dataset, { ...dataset, name: 'iemocap-test', digest: 'ffff0000', context: 'eval', schema: undefined, profile: undefined }]);
    await localRun.logInputs([dataset]);
    await localRun.endRun();
    expect((await client.getRun(serverRun.runId)).datasets.map((d) => [d.name, d.context])).toEqual([['iemocap-6', 'train']]);

    const [srv, loc] = await runPythonJson<{ inputs: { name: string; digest: string; source_type: string; source: string; profile: string | null; schema: string | null; tags: Record<string, string> }[]; tags: Record<string, string> }[]>(`
import json
from mlflow.tracking import MlflowClient
def read(uri, run_id):
    r = MlflowClient(tracking_uri=uri).get_run(run_id)
    return {'tags': r.data.tags, 'inputs': sorted([{'name': i.dataset.name, 'digest': i.dataset.digest, 'source_type': i.dataset.source_type, 'source': i.dataset.source,
        'profile': i.dataset.profile, 'schema': i.dataset.schema, 'tags': {t.key: t.value for t in i.tags}} for i in r.inputs.dataset_inputs], key=lambda d: d['name'])}
print(json.dumps([read(${JSON.stringify(server.url)}, ${JSON.stringify(serverRun.runId)}), read(${JSON.stringify(pathToFileURL(mlruns).href)}, ${JSON.stringify(localRun.runId)})]))
`);
    for (const got of [srv, loc]) {
      const train = got.inputs.find((i) => i.name === 'iemocap-6')!;
      expect(train).toMatchObject({ digest: '3f2a9c1d4e5b6a70', source_type: 'local', tags: { 'mlflow.data.context': 'train' } });
      expect(JSON.parse(train.source)).toEqual({ uri: 'file:///data/iemocap' });
      expect(JSON.parse(train.profile!)).toEqual(dataset.profile);
      expect(JSON.parse(train.schema!)).toEqual(dataset.schema);
      expect(got.tags['mlflow.note.content']).toBe('text LSTM, seed 1');
      expect(got.tags['mlflow.source.type']).toBe('LOCAL');
      expect(got.tags['mlflow.source.name']).toBe(path.resolve(process.argv[1]));
      expect(got.tags['mlflow.user']).toBeTruthy();
    }
    expect(srv.inputs).toHaveLength(1);
    expect(loc.inputs.map((i) => [i.name, i.tags['mlflow.data.context'], i.profile])).toEqual([['iemocap-6', 'train', expect.any(String)], ['iemocap-test', 'eval', null]]);

    // push replays the local inputs once
    const [pushed] = await pushRuns({ from: mlruns, to: client, experiments: ['inputs'] });
    expect(pushed.sent.inputs).toBe(2);
    expect((await client.getRun(pushed.targetRunId)).datasets.map((d) => d.name).sort()).toEqual(['iemocap-6', 'iemocap-test']);
    expect((await pushRuns({ from: mlruns, to: client, experiments: ['inputs'] }))[0].action).toBe('unchanged');
  });

  it('refuses a dataset digest longer than MLflow takes, before writing anything', async () => {
    const mlruns = path.join(tmpDir('inputs-bad'), 'mlruns');
    const run = await new LocalFileTracker(mlruns).startRun({ experiment: 'inputs-bad' });
    await expect(run.logInputs([{ ...dataset, digest: 'x'.repeat(64) }])).rejects.toThrow(/digest is 64 characters; MLflow takes at most 36/);
    expect(existsSync(path.join(mlruns, run.experimentId, 'datasets'))).toBe(false);
  });

  it('context tags come from the entry script\'s git repository, with credentials cut from the remote URL', () => {
    const repo = tmpDir('git');
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], { encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'study');
    git('remote', 'add', 'origin', 'https://ann:ghp_secret@example.org/lab/emo.git');
    writeFileSync(path.join(repo, 'train.ts'), '');
    git('add', 'train.ts');
    git('commit', '-q', '-m', 'x');
    const tags = runContextTags({ entry: path.join(repo, 'train.ts'), cwd: os.tmpdir() });
    expect(tags).toMatchObject({
      'mlflow.source.name': path.join(repo, 'train.ts'), 'mlflow.source.type': 'LOCAL',
      'mlflow.source.git.commit': git('rev-parse', 'HEAD'), 'mlflow.source.git.branch': 'study', 'mlflow.source.git.repoURL': 'https://example.org/lab/emo.git',
    });
    expect(JSON.stringify(tags)).not.toContain('ghp_secret');
    const outside = runContextTags({ entry: path.join(os.tmpdir(), 'nowhere.ts'), cwd: os.tmpdir() });
    expect(Object.keys(outside).filter((k) => k.startsWith('mlflow.source.git'))).toEqual([]);
  });
});
