// Issue 26, items 8-9: a password in MLFLOW_TRACKING_URI (http://user:secret@host) is used as basic
// auth, as MLflow's own client does, and is never shown or stored. A real MLflow server with its
// basic-auth app, the real CLI: a run (with its report) and a run --jobs 2 (plan.json, worker logs),
// then every file they wrote and everything they printed is searched for the secret.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowRestClient, redactUri } from '@emofuse/tracking';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the tracking tests' real-server helper
import { startMlflowServer, type MlflowServer } from '../../../tracking/tests/helpers.ts';
import { mlflowCheck } from '../../src/doctor.ts';
import { repoRoot, tempDir } from '../helpers.ts';

const launcher = path.join(repoRoot, 'emofuse');
const cafe = path.join(repoRoot, 'experiments/manifest-example/cafe.yaml');
const SECRET = 'Pw-5ecret-q7Zr';
const admin = { username: 'admin', password: SECRET };

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('credentials in MLFLOW_TRACKING_URI', () => {
  let server: MlflowServer;
  let secretUri = '';
  beforeAll(async () => {
    server = await startMlflowServer({ basicAuth: admin });
    secretUri = server.url.replace('http://', `http://admin:${SECRET}@`);
  }, 180_000);
  afterAll(async () => server?.stop());

  it('redactUri hides user info in URIs and in messages that hold them', () => {
    expect(redactUri(`http://admin:${SECRET}@h:5000/x`)).toBe('http://***@h:5000/x');
    expect(redactUri(`server https://tok3n@h/ said 'no' (http://h:1)`)).toBe(`server https://***@h/ said 'no' (http://h:1)`);
    expect(redactUri('/data/a@b/mlruns')).toBe('/data/a@b/mlruns');
  });

  it('the client logs in with them, as MLflow does; without them the server answers 401', async () => {
    const anon = new MlflowRestClient({ uri: server.url, maxRetries: 0 });
    await expect(anon.getExperimentByName('Default')).rejects.toThrow(/401/);
    const c = new MlflowRestClient({ uri: secretUri, maxRetries: 0 });
    expect((await c.getOrCreateExperiment('creds-client')).name).toBe('creds-client');
    expect(c.uri).not.toContain(SECRET);
    // a URI without them (a printed push command, plan.json) borrows those of MLFLOW_TRACKING_URI for that server
    const { mlflowOptionsFromEnv } = await import('@emofuse/tracking');
    const borrowed = new MlflowRestClient({ ...mlflowOptionsFromEnv({ MLFLOW_TRACKING_URI: secretUri }, redactUri(secretUri)), maxRetries: 0 });
    expect((await borrowed.getExperimentByName('creds-client'))?.name).toBe('creds-client');
  });

  it('doctor logs in with URI credentials or MLFLOW_TRACKING_USERNAME/PASSWORD, says when the login is refused, and shows no secret', async () => {
    const saved = { ...process.env };
    try {
      const viaUri = await mlflowCheck(secretUri);
      expect(viaUri.status, JSON.stringify(viaUri)).toBe('ok');
      expect(JSON.stringify(viaUri)).not.toContain(SECRET);
      Object.assign(process.env, { MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: SECRET });
      const viaEnv = await mlflowCheck(server.url);
      expect(viaEnv.status, JSON.stringify(viaEnv)).toBe('ok');
      process.env.MLFLOW_TRACKING_PASSWORD = 'wrong';
      const refused = await mlflowCheck(server.url);
      expect(refused.status, JSON.stringify(refused)).toBe('warn');
      expect(refused.detail).toMatch(/401/);
    } finally {
      for (const k of ['MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it('a run and a run --jobs 2 reach the server, and no file they write nor anything they print holds the secret', async () => {
    const work = tempDir();
    const env = { ...process.env, MLFLOW_TRACKING_URI: secretUri, EMOFUSE_MLRUNS: path.join(work, 'mlruns') };
    const cli = (...args: string[]) => {
      const r = spawnSync(launcher, args, { cwd: work, env, encoding: 'utf8', timeout: 290_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const common = ['--set', 'train.epochs=1', '--set', `output.dir=${path.join(work, 'runs')}`];
    // The first run has them in its config (tracking.uri) instead: config.resolved.yaml and the params must not keep them.
    const { MLFLOW_TRACKING_URI: _fromEnv, ...envWithout } = env;
    const r1 = spawnSync(launcher, ['run', cafe, ...common, '--set', `tracking.uri=${secretUri}`], { cwd: work, env: envWithout, encoding: 'utf8', timeout: 290_000 });
    const single = { code: r1.status, out: r1.stdout, err: r1.stderr };
    expect(single.code, single.err).toBe(0);
    const pool = cli('run', cafe, ...common, '--set', 'seeds=[2,3]', '--set', 'report.enabled=false', '--jobs', '2', '--threads', '1');
    expect(pool.code, pool.err).toBe(0);
    for (const r of [single, pool]) {
      expect(r.out + r.err).not.toContain(SECRET);
      // (the basic-auth app checks a password hash per request: a busy machine may leave calls to `runs push`)
      expect(r.err).not.toMatch(/401|Unauthorized|refused/);
    }
    expect(single.out).toMatch(/tracking: http:\/\/127\.0\.0\.1:\d+/);

    const files = filesUnder(work);
    expect(files.some((f) => f.endsWith('plan.json'))).toBe(true);
    expect(files.some((f) => /logs\/task-\d+\.out$/.test(f))).toBe(true);
    expect(files.some((f) => f.endsWith('report.html'))).toBe(true);
    // the report's footer names the server the runs were tracked to, not the local copy it was read from
    const html = readFileSync(files.find((f) => f.endsWith('report.html'))!, 'utf8');
    expect(html).toMatch(new RegExp(`from http://(\\*\\*\\*@)?127\\.0\\.0\\.1:${new URL(server.url).port} \\(read back from its local copy `));
    expect(files.some((f) => f.endsWith('report.json'))).toBe(true);
    const leaking = files.filter((f) => readFileSync(f).includes(SECRET));
    expect(leaking).toEqual([]);

    // runs push with a bare --to borrows the credentials of MLFLOW_TRACKING_URI and delivers what was left
    const push = cli('runs', 'push', '--to', server.url, '--store', path.join(work, 'mlruns'));
    expect(push.code, push.err).toBe(0);
    expect(push.out + push.err).not.toContain(SECRET);

    // every seed's runs are on the server, finished
    const c = new MlflowRestClient({ uri: secretUri });
    const exp = await c.getExperimentByName('manifest-example');
    const runs = await c.searchRuns({ experimentIds: [exp!.experimentId], filter: "tags.`emofuse.system` = 'text-lstm'" });
    expect(runs.map((r) => r.tags['emofuse.seed']).sort()).toEqual(['1', '2', '3']);
    expect(runs.every((r) => r.info.status === 'FINISHED')).toBe(true);
    for (const r of runs) expect(JSON.stringify(r)).not.toContain(SECRET);
  }, 600_000);
});
