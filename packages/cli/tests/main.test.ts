import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot, tempDir, writeFile } from './helpers.ts';

const launcher = path.join(repoRoot, 'emofuse');
const dir = tempDir();

/** The real launcher, as a user runs it; from a folder outside the repo unless told otherwise. */
function emofuse(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(launcher, args, { cwd: opts.cwd ?? dir, encoding: 'utf8', env: { ...process.env, ...opts.env }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('emofuse launcher and CLI', () => {
  it('--help lists the commands with examples and exit codes', () => {
    const r = emofuse(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['run [options] [experiment]', 'sweep [options] <sweep>', 'report', 'runs', 'doctor']) expect(r.out).toContain(c);
    expect(r.out).toContain('Examples:');
    expect(r.out).toContain('130 interrupted');
  });

  it('run --help documents --set, --seed, --dry-run and path resolution', () => {
    const r = emofuse(['run', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['--set <key=value>', '--seed <n>', '--dry-run', 'repository root', 'Examples:']) expect(r.out).toContain(s);
  });

  it('run with a bad experiment file: exit 2, file, line, key and did-you-mean, no stack', () => {
    const bad = writeFile(dir, 'bad.yaml', 'experiment: bad\ntrain:\n  batchsize: 16\n');
    const r = emofuse(['run', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: .*bad\.yaml:3: train\.batchsize: unknown key\n\s+fix: did you mean `batchSize`\?\n$/);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe('');
  });

  it('run with a missing file or a wrong --set type: exit 2', () => {
    const missing = emofuse(['run', 'nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('experiment file not found');
    const type = emofuse(['run', '--set', 'train.batchSize=big', '--dry-run']);
    expect(type.code).toBe(2);
    expect(type.err).toBe("error: --set train.batchSize=big: train.batchSize: expected a number, got 'big'\n");
    expect(emofuse(['run', '--seed', 'x']).code).toBe(2);
  });

  it('run --dry-run prints the resolved config as YAML and does nothing else', () => {
    const r = emofuse(['run', path.join(repoRoot, 'experiments/iemocap/text_lstm.yaml'), '--dry-run', '--set', 'train.batchSize=16', '--seed', '3']);
    expect(r.code).toBe(0);
    const c = YAML.parse(r.out);
    expect(c.experiment).toBe('iemocap-text_lstm');
    expect(c.train.batchSize).toBe(16);
    expect(c.seeds).toEqual([3]);
    expect(c.model.text.lstmUnits).toBe(128);
    expect(r.err).toContain('dry run');
  });

  it('an unknown command gets commander\'s suggestion and exit 2', () => {
    const r = emofuse(['rnu']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command 'rnu'");
    expect(r.err).toContain('Did you mean run?');
  });

  it('a sweep on the test split is refused with exit 2', () => {
    const f = writeFile(dir, 'sweep-test.yaml', `base: ${path.join(repoRoot, 'experiments/iemocap/text_lstm.yaml')}\ngrid: { train.batchSize: [16] }\nmetric: ua\nsplit: test\n`);
    const r = emofuse(['sweep', f]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('honest protocol');
    const ok = emofuse(['sweep', path.join(repoRoot, 'experiments/sweeps/text_lstm_units.yaml'), '--dry-run', '--seed', '1']);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('6 points, 6 runs');
  });

  it('report and runs push refuse bad arguments with exit 2', () => {
    const tag = emofuse(['report', '--tag', 'novalue']);
    expect(tag.code).toBe(2);
    expect(tag.err).toContain('--tag: expected key=value');
    const url = emofuse(['runs', 'push', '--to', 'localhost:5000']);
    expect(url.code).toBe(2);
    expect(url.err).toContain('expected an http(s) URL');
    const store = emofuse(['runs', 'push', '--to', 'http://127.0.0.1:1', '--store', path.join(dir, 'no-store')]);
    expect(store.code).toBe(2);
    expect(store.err).toContain('no local run store');
    expect(emofuse(['runs', 'push']).err).toContain("required option '--to <url>' not specified");
  });

  it('runs list shows complete runs and the temp dirs of killed runs', () => {
    const out = path.join(dir, 'runs');
    mkdirSync(path.join(out, 'exp-a', '20260101-000000-s1'), { recursive: true });
    writeFileSync(path.join(out, 'exp-a', '20260101-000000-s1', 'config.resolved.yaml'), 'seeds: [1]\nsystems: [text-lstm]\nfusion: { rules: [] }\n');
    mkdirSync(path.join(out, 'exp-a', '.20260101-000100-s2.partial-123-abcd'), { recursive: true });
    mkdirSync(path.join(out, 'exp-a', 'not-a-run'), { recursive: true });
    const r = emofuse(['runs', 'list', '--dir', out, '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.out) as { runId: string; status: string; systems: string[] }[];
    expect(list.map((x) => [x.runId, x.status]).sort()).toEqual([['20260101-000000-s1', 'complete'], ['20260101-000100-s2', 'incomplete']]);
    expect(list.find((x) => x.status === 'complete')!.systems).toEqual(['text-lstm']);
    expect(emofuse(['runs', 'list', '--dir', out]).out).toMatch(/experiment\s+run-id\s+status/);
  });

  it('doctor --json parses and names the backend; an unreachable MLflow is reported', () => {
    const r = emofuse(['doctor', '--json'], { env: { MLFLOW_TRACKING_URI: 'http://127.0.0.1:9' } });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { backend: string; checks: { name: string; status: string; value: string }[] };
    expect(['tensorflow', 'wasm', 'cpu']).toContain(report.backend);
    const names = report.checks.map((c) => c.name);
    for (const n of ['node', 'tfjs backend', 'tfjs', 'arquero', 'vega-lite', 'python venv', 'mlflow', 'opensmile', 'SMILExtract', 'mlflow tracking', 'git', 'chromium']) expect(names).toContain(n);
    expect(report.checks.find((c) => c.name === 'mlflow tracking')).toMatchObject({ status: 'warn', value: 'unreachable' });
    const table = emofuse(['doctor']);
    expect(table.out.split('\n')[0]).toMatch(/^check\s+ok\?\s+value\s+detail$/);
  });
  it('models lists every registered type and rule from the registries, plugins included; a missing file is exit 2', () => {
    const r = emofuse(['models', '--json']);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.out) as { models: { type: string; context: string; tokens: boolean }[]; fusion: { name: string; fitted: boolean }[] };
    expect(c.models.map((m) => m.type)).toEqual(expect.arrayContaining(['text-lstm', 'speech-cnn', 'joint-cnn', 'bc-lstm', 'text-cnn']));
    expect(c.models.find((m) => m.type === 'bc-lstm')).toMatchObject({ context: 'dialogue', tokens: false });
    expect(c.models.find((m) => m.type === 'text-cnn')).toMatchObject({ context: 'utterance', tokens: true });
    expect(c.fusion).toEqual(expect.arrayContaining([{ name: 'weighted', summary: expect.any(String), fitted: true }]));
    expect(c.models.some((m) => m.type === 'speech-mlp')).toBe(false);
    const withPlugin = emofuse(['models', path.join(repoRoot, 'experiments/emodb/speech_mlp.yaml')]);
    expect(withPlugin.code).toBe(0);
    expect(withPlugin.out).toMatch(/speech-mlp .*example plugin/);
    expect(withPlugin.out).toContain('DIALOGUE-level');
    const missing = emofuse(['models', 'nothing.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('nothing.yaml');
  });
});
