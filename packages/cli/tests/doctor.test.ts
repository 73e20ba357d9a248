import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDoctor, mlflowCheck, type DoctorReport } from '../src/doctor.ts';
import { pythonPath } from '../src/env.ts';
import { tempDir } from './helpers.ts';

const python = pythonPath();
const dir = tempDir();
let server: ChildProcess | undefined;
let url = '';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

// A real MLflow server from the venv (slow to start on a busy machine: up to a minute).
beforeAll(async () => {
  if (!existsSync(python)) return;
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawn(python, ['-m', 'mlflow', 'server', '--host', '127.0.0.1', '--port', String(port), '--workers', '1', '--backend-store-uri', `sqlite:///${path.join(dir, 'mlflow.db')}`],
    { cwd: dir, detached: true, stdio: 'ignore' });
  const deadline = Date.now() + 170_000;
  while (Date.now() < deadline && server.exitCode === null) {
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`mlflow server did not start (exit ${server.exitCode})`);
}, 180_000);

afterAll(async () => {
  if (!server?.pid || server.exitCode !== null) return;
  const exited = new Promise((r) => server!.once('exit', r));
  process.kill(-server.pid, 'SIGTERM'); // its process group: mlflow forks uvicorn
  const t = setTimeout(() => server?.pid && process.kill(-server.pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
});

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
