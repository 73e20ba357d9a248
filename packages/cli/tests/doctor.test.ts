import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDoctor, mlflowCheck, type DoctorReport } from '../src/doctor.ts';
import { pythonPath } from '../src/env.ts';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the tracking tests' real-server helper
import { freePort, startMlflowServer, type MlflowServer } from '../../tracking/tests/helpers.ts';

const python = pythonPath();
let server: MlflowServer | undefined;
let url = '';

// A real MLflow server from the venv (slow to start on a busy machine: up to a minute).
beforeAll(async () => {
  if (!existsSync(python)) return;
  server = await startMlflowServer();
  url = server.url;
}, 180_000);

afterAll(async () => server?.stop());

describe('doctor', () => {
  it.skipIf(!existsSync(python))('finds a real MLflow server reachable', async () => {
    const c = await mlflowCheck(url);
    expect(c).toMatchObject({ status: 'ok', value: 'reachable' });
    expect(c.detail).toContain('/health -> 200');
  });

  it('reports a closed port as unreachable within the timeout, and no URI as the local store', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const c = await mlflowCheck(`http://127.0.0.1:${port}`);
    expect(c).toMatchObject({ status: 'warn', value: 'unreachable' });
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(await mlflowCheck('')).toMatchObject({ status: 'ok', value: 'local store ./mlruns' });
  });

  it('formats an aligned table', () => {
    const r: DoctorReport = { backend: 'cpu', ok: true, checks: [
      { name: 'node', status: 'ok', value: 'v20.20.2', detail: 'a' },
      { name: 'tfjs backend', status: 'warn', value: 'cpu', detail: 'b' },
    ] };
    const lines = formatDoctor(r).split('\n');
    const col = lines[0].indexOf('value');
    expect(lines[2].indexOf('v20.20.2')).toBe(col);
    expect(lines[3].indexOf('cpu')).toBe(col);
  });
});
