import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from './helpers.ts';

describe('Ctrl-C', () => {
  it('aborts the work, keeps finished runs, leaves nothing of the interrupted one, exits 130', async () => {
    const out = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/interrupted-run.ts'), out], {
      cwd: repoRoot,
      env: { ...process.env, TSX_TSCONFIG_PATH: path.join(repoRoot, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += String(d); });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => { if (String(d).includes('waiting')) resolve(); });
      child.once('exit', (code) => reject(new Error(`exited early (${code}): ${stderr}`)));
    });
    expect(readdirSync(out).some((n) => n.startsWith('.run-2.partial-'))).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(130);
    expect(stderr).toContain('interrupted: nothing was saved for run run-2');
    expect(stderr).toContain(`run run-1 had finished and is saved in ${path.join(out, 'run-1')}`);
    expect(readdirSync(out)).toEqual(['run-1']);
  });
});
