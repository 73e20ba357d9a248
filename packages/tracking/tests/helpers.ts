import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const python = process.env.EMOFUSE_PYTHON ?? path.join(repoRoot, '.venv/bin/python');

const made: string[] = [];

export function tmpDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `emofuse-tracking-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Remove every directory tmpDir made in this test file (call from afterAll). */
export function removeTmpDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface MlflowServer {
  url: string;
  dir: string;
  /** What the server printed so far (its request log), for a failing test to show. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * A real `mlflow server` on a free port with a fresh SQLite store and proxied artifacts. With
 * `basicAuth`, MLflow's own basic-auth app (`--app-name basic-auth`, needs `mlflow[auth]`) with
 * these admin credentials; anonymous requests get 401.
 */
export async function startMlflowServer(opts: { basicAuth?: { username: string; password: string } } = {}): Promise<MlflowServer> {
  if (!existsSync(python)) throw new Error(`no Python at ${python}: run scripts/setup.sh (or set EMOFUSE_PYTHON)`);
  const dir = tmpDir('server');
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  const auth: string[] = [];
  if (opts.basicAuth) {
    const ini = path.join(dir, 'basic_auth.ini');
    writeFileSync(ini, [
      '[mlflow]', 'default_permission = READ', `database_uri = sqlite:///${dir}/auth.db`,
      `admin_username = ${opts.basicAuth.username}`, `admin_password = ${opts.basicAuth.password}`,
      'authorization_function = mlflow.server.auth:authenticate_request_basic_auth', '',
    ].join('\n'));
    Object.assign(env, { MLFLOW_AUTH_CONFIG_PATH: ini, MLFLOW_FLASK_SERVER_SECRET_KEY: 'emofuse-tests' });
    auth.push('--app-name', 'basic-auth');
  }
  const logFile = path.join(dir, 'server.log');
  const logFd = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    python,
    ['-m', 'mlflow', 'server', '--host', '127.0.0.1', '--port', String(port), '--workers', '1', ...auth,
      '--backend-store-uri', `sqlite:///${dir}/mlflow.db`, '--artifacts-destination', `${dir}/artifacts`, '--serve-artifacts'],
    // Its output goes to a file, not a pipe: a test blocked in spawnSync drains no pipe, and a server
    // whose request log filled one (64 KB) would stop answering.
    { cwd: dir, detached: true, stdio: ['ignore', logFd, logFd], env },
  );
  closeSync(logFd);
  const log = { join: (_sep: string) => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 150_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mlflow server exited ${child.exitCode}:\n${log.join('').slice(-3000)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get(`${url}/health`, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.setTimeout(2000, () => req.destroy());
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`mlflow server did not answer /health:\n${log.join('').slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    dir,
    log: () => log.join(''),
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      const exited = new Promise((r) => child.once('exit', r));
      // The server forks uvicorn workers: end the whole process group it leads.
      process.kill(-child.pid, 'SIGTERM');
      const t = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Run a Python snippet with the project's venv; returns its stdout parsed as JSON. */
export async function runPythonJson<T>(code: string, env: Record<string, string> = {}): Promise<T> {
  const dir = tmpDir('py');
  const file = path.join(dir, 'script.py');
  writeFileSync(file, code);
  const { stdout } = await promisify(execFile)(python, [file], {
    env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

export async function runMlflowCli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(python, ['-m', 'mlflow', ...args], { env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' }, maxBuffer: 16 * 1024 * 1024 });
}

/**
 * A real HTTP server in front of MLflow: it forwards requests, but can answer 503 for the next
 * `fail` requests or drop every connection (`down`), and it records each request's headers.
 */
export interface Proxy {
  url: string;
  fail: number;
  down: boolean;
  /** Forward a matching request to the server, drop the server's reply and answer 502 (a lost reply). */
  lose?: (method: string, url: string) => boolean;
  /** Hold every request this long before forwarding it (a slow server); a request its client gives up on is never forwarded. */
  delayMs: number;
  requests: { method: string; url: string; status: number; authorization?: string }[];
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<Proxy> {
  const t = new URL(target);
  const state: Proxy = { url: '', fail: 0, down: false, delayMs: 0, requests: [], close: async () => {} };
  const server = http.createServer(async (req, res) => {
    if (state.delayMs > 0) {
      let gone = false;
      res.once('close', () => { gone = true; });
      await new Promise((r) => setTimeout(r, state.delayMs));
      if (gone) return;
    }
    if (state.down) {
      req.socket.destroy();
      return;
    }
    const rec = { method: req.method ?? '', url: req.url ?? '', status: 0, authorization: req.headers.authorization };
    state.requests.push(rec);
    if (state.fail > 0) {
      state.fail--;
      rec.status = 503;
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain' }).end('temporarily unavailable');
      return;
    }
    const lose = state.lose?.(rec.method, rec.url) ?? false;
    const up = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } },
      (upRes) => {
        if (lose) {
          upRes.resume();
          upRes.once('end', () => {
            rec.status = 502;
            res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
          });
          return;
        }
        rec.status = upRes.statusCode ?? 0;
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
