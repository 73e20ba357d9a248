import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FallbackTracker } from '@emofuse/tracking';
import { buildProgram } from '../src/main.ts';
import { pushCommand } from '../src/pipeline/tracking.ts';
import { gcPartials, listRunDirs } from '../src/runs.ts';
import { repoRoot, tempDir } from './helpers.ts';

async function deadUrl(): Promise<string> {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  return `http://127.0.0.1:${port}`;
}

/** Split a printed command line as a POSIX shell would (plain and single-quoted words). */
function shellSplit(line: string): string[] {
  const words: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m; (m = re.exec(line)); ) words.push(m[1] !== undefined ? m[1].replaceAll("'\\''", "'") : m[2]);
  return words;
}

describe('the fallback warning', () => {
  it('prints a push command that the real CLI parses and runs (exit 1 for the still-dead server, not 2 for bad usage)', async () => {
    const store = path.join(tempDir(), 'my runs', 'mlruns');
    const dead = await deadUrl();
    const warnings: string[] = [];
    // the hint the CLI's trackers carry (pipeline/tracking.ts makeTracker)
    const tracker = new FallbackTracker({ remote: { uri: dead, maxRetries: 0 }, localDir: store, warn: (m) => warnings.push(m), pushHint: pushCommand });
    const run = await tracker.startRun({ experiment: 'offline' });
    await run.endRun();
    expect(warnings).toHaveLength(1);
    const command = /Deliver them later with: (.*)$/.exec(warnings[0])?.[1];
    expect(command).toBeDefined();
    const [bin, ...argv] = shellSplit(command!);
    expect(bin).toBe('emofuse');

    // parsed by the real program: the options it names exist and carry the right values
    let code = -1;
    const program = buildProgram((c) => { code = c; });
    let seen: Record<string, unknown> | undefined;
    program.commands.find((c) => c.name() === 'runs')!.commands.find((c) => c.name() === 'push')!.action((opts) => { seen = opts; });
    await program.parseAsync(argv, { from: 'user' });
    expect(seen).toEqual({ store, to: dead });

    // and run for real: past every usage check, it fails only at the network
    const real = buildProgram((c) => { code = c; });
    await real.parseAsync(argv, { from: 'user' });
    expect(code).toBe(1);
  }, 60_000);
});

describe('runs gc', () => {
  it('removes the partial of a killed run, never a live one, and leaves what it cannot check', async () => {
    const out = tempDir();
    const exp = path.join(out, 'demo');
    mkdirSync(exp, { recursive: true });
    // A real run killed with SIGKILL inside buildDirAtomic (it saves run-1, then waits in run-2).
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/interrupted-run.ts'), exp], {
      cwd: repoRoot, env: { ...process.env, TSX_TSCONFIG_PATH: path.join(repoRoot, 'tsconfig.json') }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => { if (String(d).includes('waiting')) resolve(); });
      child.once('exit', (c) => reject(new Error(`exited early (${c})`)));
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const killed = readdirSync(exp).find((n) => n.startsWith('.run-2.partial-') && !n.endsWith('.owner'))!;
    expect(existsSync(path.join(exp, `${killed}.owner`))).toBe(true);

    const partial = (name: string, owner?: object) => {
      mkdirSync(path.join(exp, name));
      if (owner) writeFileSync(path.join(exp, `${name}.owner`), JSON.stringify(owner));
    };
    const host = os.hostname();
    partial('.live.partial-1-aa', { pid: process.pid, host, start: Date.now() - 1000 });
    // this pid belongs to a process younger than the partial: the partial's owner is gone
    partial('.reused.partial-1-bb', { pid: process.pid, host, start: Date.now() - 30 * 24 * 3600 * 1000 });
    partial('.elsewhere.partial-1-cc', { pid: 1, host: 'node-17', start: Date.now() });
    partial('.legacy.partial-999999-dd');

    const status = () => Object.fromEntries(listRunDirs(out).map((r) => [r.runId, r.status]));
    expect(status()).toEqual({ 'run-1': 'complete', 'run-2': 'stale', live: 'running', reused: 'stale', elsewhere: 'incomplete', legacy: 'incomplete' });

    const dry = gcPartials(out, { dryRun: true });
    expect(dry.removed).toHaveLength(2);
    expect(status()['run-2']).toBe('stale');

    let code = -1;
    await buildProgram((c) => { code = c; }).parseAsync(['runs', 'gc', '--dir', out, '--json'], { from: 'user' });
    expect(code).toBe(0);
    expect(status()).toEqual({ 'run-1': 'complete', live: 'running', elsewhere: 'incomplete', legacy: 'incomplete' });
    expect(readdirSync(exp).filter((n) => n.startsWith('.run-2') || n.startsWith('.reused'))).toEqual([]);
    const again = gcPartials(out);
    expect(again.removed).toEqual([]);
    expect(again.kept.map((k) => path.basename(k.dir)).sort()).toEqual(['.elsewhere.partial-1-cc', '.legacy.partial-999999-dd', '.live.partial-1-aa']);
  }, 60_000);
});
