// `plugins:` through the real CLI: the shipped example plugin registers a model type that the
// config then accepts; a missing or broken plugin is bad input (exit 2, nothing done).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir, writeFile } from './helpers.ts';

const cli = path.join(repoRoot, 'emofuse');
const run = (args: string[]) => spawnSync(cli, args, { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, EMOFUSE_MLRUNS: path.join(dir, 'mlruns') } });
const dir = tempDir();

describe('plugins', () => {
  it('a plugin named by the experiment registers its model type and config slice', () => {
    const out = execFileSync(cli, ['run', 'experiments/emodb/speech_mlp.yaml', '--set', 'model.mlp.hidden=64', '--dry-run'], { encoding: 'utf8', cwd: repoRoot });
    expect(out).toMatch(/systems:\n {2}- speech-mlp/);
    expect(out).toMatch(/mlp:\n {4}hidden: 64\n {4}dropout: 0.3/);
    expect(out).toContain(path.join(repoRoot, 'experiments/plugins/speech_mlp.ts'));
  });

  it('without the plugin the type is unknown, and the error lists what is known', () => {
    const r = run(['run', 'experiments/emodb/speech_mlp.yaml', '--set', 'plugins=[]', '--dry-run']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/systems\[0\]: expected one of 'text-lstm', 'speech-cnn', 'joint-cnn'.*got 'speech-mlp'/);
  });

  it('a missing or broken plugin file exits 2 and names the file', () => {
    const missing = run(['run', 'experiments/emodb/speech_mlp.yaml', '--set', `plugins=[${path.join(dir, 'nope.ts')}]`, '--dry-run']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`no such file: ${path.join(dir, 'nope.ts')}`);
    const broken = writeFile(dir, 'broken.ts', "throw new Error('my model file has a bug');\n");
    const r = run(['run', 'experiments/emodb/speech_mlp.yaml', '--set', `plugins=[${broken}]`, '--dry-run']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot load .*broken\.ts: my model file has a bug/);
  });

  it("a plugin registers a feature source: its features are computed from EmoDB's WAVs and trained on; its options are its own", () => {
    const out = path.join(dir, 'wav-stats');
    const r = run(['run', 'experiments/emodb/wav_stats.yaml', '--set', 'seeds=[1]', '--set', `output.dir=${out}`, '--set', 'report.enabled=false']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/speech: 535 utterances x 5 wav-stats features \(frames of 25 ms, loud above -40 dBFS\)/);
    const runDir = path.join(out, 'emodb-wav_stats', readdirSync(path.join(out, 'emodb-wav_stats')).find((n) => !n.startsWith('.'))!);
    const ua = JSON.parse(readFileSync(path.join(runDir, 'metrics.json'), 'utf8')).linear.test.ua as number;
    expect(ua).toBeGreaterThan(1 / 7); // five loudness and duration figures carry something about emotion
    expect(readFileSync(path.join(runDir, 'config.resolved.yaml'), 'utf8')).toMatch(/source: wav-stats\n\s+options:\n\s+frameMs: 25/);
    // the source checks its own options
    const bad = run(['run', 'experiments/emodb/wav_stats.yaml', '--set', 'seeds=[1]', '--set', `output.dir=${out}`, '--set', 'features.speech.options.loudDb=3']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/wav-stats options: loudDb: .*0/);
  }, 240_000);

  it('an unknown feature source is refused before any work, with the registered ones', () => {
    const r = run(['run', 'experiments/emodb/linear.yaml', '--set', 'features.speech.source=wav-stat', '--dry-run']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/features\.speech\.source.*no feature source "wav-stat" for speech/s);
    expect(r.stderr).toMatch(/choose one of: pkl, opensmile, file/);
  });
});
