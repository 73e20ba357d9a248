import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FallbackTracker, LocalFileTracker, LocalStore, MlflowRestTracker, createTracker } from '../src/index.ts';
import { removeTmpDirs, repoRoot, tmpDir } from './helpers.ts';

afterAll(() => removeTmpDirs());

describe('createTracker', () => {
  it('follows tracking.uri, then MLFLOW_TRACKING_URI, then the local store', () => {
    const dir = tmpDir('create');
    expect(createTracker({ env: {}, localDir: dir })).toBeInstanceOf(LocalFileTracker);
    expect(createTracker({ uri: dir, env: {} }).location).toBe(new LocalStore(dir).uri);
    expect(createTracker({ uri: `file://${dir}`, env: {} })).toBeInstanceOf(LocalFileTracker);
    const fromEnv = createTracker({ env: { MLFLOW_TRACKING_URI: 'http://127.0.0.1:1' }, localDir: dir });
    expect(fromEnv).toBeInstanceOf(FallbackTracker);
    expect(fromEnv.location).toBe('http://127.0.0.1:1');
    expect(createTracker({ uri: 'https://mlflow.example/prefix', fallback: false, env: {} })).toBeInstanceOf(MlflowRestTracker);
    expect(() => createTracker({ uri: 'sqlite:///x.db', env: {} })).toThrow(/unsupported tracking URI/);
  });
});

describe('LocalStore experiment lock', () => {
  it('parallel processes starting runs in a new experiment create it once', async () => {
    const mlruns = path.join(tmpDir('lock'), 'mlruns');
    const script = `
      import { LocalFileTracker } from ${JSON.stringify(path.join(repoRoot, 'packages/tracking/src/index.ts'))};
      const r = await new LocalFileTracker(${JSON.stringify(mlruns)}).startRun({ experiment: 'same' });
      await r.endRun();
    `;
    const run = () => promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot });
    await Promise.all([run(), run(), run()]);
    const store = new LocalStore(mlruns);
    const same = store.experiments().filter((e) => e.name === 'same');
    expect(same).toHaveLength(1);
    expect(store.runs(same[0])).toHaveLength(3);
  });
});
