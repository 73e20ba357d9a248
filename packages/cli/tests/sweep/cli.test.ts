import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSweep } from '../../src/config/index.ts';
import { expandRange } from '../../src/sweep/slurm.ts';
import { configError, repoRoot, tempDir, writeFile } from '../helpers.ts';

const dir = tempDir();
const launcher = path.join(repoRoot, 'emofuse');
function emofuse(args: string[]) {
  const r = spawnSync(launcher, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const base = path.join(repoRoot, 'experiments/emodb/speech_cnn.yaml');

describe('sweep launch options', () => {
  it('reads a slurm block from the sweep file and refuses a bad one, naming the key', () => {
    const ok = writeFile(dir, 'ok.yaml', `base: ${base}\ngrid: { train.batchSize: [16] }\nmetric: ua\nsplit: valid\nslurm: { partition: cpu, cpusPerTask: 2, mem: 4G, time: '1:00:00', extra: ['--qos=short'] }\n`);
    expect(loadSweep(ok).slurm).toEqual({ partition: 'cpu', cpusPerTask: 2, mem: '4G', time: '1:00:00', extra: ['--qos=short'] });
    const bad = writeFile(dir, 'bad.yaml', `base: ${base}\ngrid: { train.batchSize: [16] }\nmetric: ua\nsplit: valid\nslurm: { partiton: cpu, mem: lots }\n`);
    const e = configError(() => loadSweep(bad));
    expect(e.issues.map((i) => i.key).sort()).toEqual(['slurm.mem', 'slurm.partiton']);
    expect(e.describe()).toContain('valid keys: partition');
  });

  it('refuses bad launch flags with exit 2 and writes nothing', () => {
    const out = path.join(dir, 'runs');
    const set = ['--set', `output.dir=${out}`];
    const unknown = emofuse(['run', base, ...set, '--launcher', 'kubernetes']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown launcher 'kubernetes'");
    expect(unknown.err).toContain('inline, local, slurm');
    const stray = emofuse(['run', base, ...set, '--jobs', '2', '--partition', 'gpu']);
    expect(stray.code).toBe(2);
    expect(stray.err).toMatch(/--partition.*Slurm options given without --launcher slurm/s);
    const zero = emofuse(['run', base, ...set, '--jobs', '0']);
    expect(zero.code).toBe(2);
    expect(zero.err).toContain('expected a positive integer');
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    const status = emofuse(['sweep', 'status', dir]);
    expect(status.code).toBe(2);
    expect(status.err).toContain('not a sweep directory');
  });

  it('expands Slurm array ranges as scontrol prints them', () => {
    expect(expandRange('0-3')).toEqual([0, 1, 2, 3]);
    expect(expandRange('2,5-6%2')).toEqual([2, 5, 6]);
    expect(expandRange('0-6:3')).toEqual([0, 3, 6]);
  });
});
