import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importPlugins, loadExperiment, loadSweep } from '../src/config/index.ts';
import { UsageError } from '../src/errors.ts';
import { initProject, projectCopy } from '../src/init.ts';
import { main } from '../src/main.ts';
import { repoRoot, tempDir } from './helpers.ts';

function files(dir: string, ext = ''): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p, ext) : n.endsWith(ext) ? [p] : [];
  });
}

const shipped = path.join(repoRoot, 'experiments');
const savedData = process.env.EMOFUSE_DATA;
afterEach(() => {
  if (savedData === undefined) delete process.env.EMOFUSE_DATA;
  else process.env.EMOFUSE_DATA = savedData;
});

describe('emofuse init', () => {
  const tmp = tempDir();

  it('writes every shipped example, a README and a .gitignore for runs, tracking and cache', () => {
    const r = initProject(path.join(tmp, 'p1'));
    const rel = (d: string, f: string) => path.relative(d, f);
    expect(files(path.join(r.dir, 'experiments')).map((f) => rel(path.join(r.dir, 'experiments'), f)).sort())
      .toEqual(files(shipped).map((f) => rel(shipped, f)).sort());
    expect(readFileSync(path.join(r.dir, '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['runs/', 'mlruns/', '.cache/']));
    expect(readFileSync(path.join(r.dir, 'README.md'), 'utf8')).toContain('emofuse run experiments/');
    expect(r.gitignore).toBe('written');
    expect(JSON.parse(readFileSync(path.join(r.dir, 'package.json'), 'utf8'))).toMatchObject({ name: 'p1', private: true });
  });

  it('refuses to overwrite an earlier init (exit 2, nothing changed) unless --force', async () => {
    const dir = path.join(tmp, 'p2');
    initProject(dir);
    const file = path.join(dir, 'experiments', 'iemocap', 'text_lstm.yaml');
    writeFileSync(file, 'mine: true\n');
    expect(() => initProject(dir)).toThrow(UsageError);
    expect(await main(['init', dir])).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('mine: true\n');
    expect(await main(['init', dir, '--force'])).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toBe('mine: true\n');
  });

  it('adds only the missing lines to an existing .gitignore', () => {
    // an existing folder with its own .gitignore that already ignores runs
    const dir = path.join(tmp, 'p3');
    const own = 'node_modules/\nruns\n';
    mkdirSync(dir);
    writeFileSync(path.join(dir, '.gitignore'), own);
    expect(initProject(dir).gitignore).toBe('updated');
    const text = readFileSync(path.join(dir, '.gitignore'), 'utf8');
    expect(text.startsWith(own)).toBe(true);
    expect(text).toContain('mlruns/\n.cache/\n');
    expect(text.split('\n').filter((l) => l === 'runs/')).toEqual([]); // `runs` is there already
    expect(initProject(dir, { force: true }).gitignore).toBe('unchanged');
  });

  it('rewrites clone-root paths: experiments/x from the file, ../shared/data as $EMOFUSE_DATA, comments left as CLI lines', () => {
    const text = [
      '#   ./emofuse run experiments/manifest-example/cafe.yaml --dry-run',
      'base: experiments/iemocap/text_lstm.yaml',
      'plugins: [experiments/plugins/speech_mlp.ts]',
      "corpus: { type: emodb, path: '../shared/data/emodb' }",
      '  path: experiments/manifest-example/cafe.csv   # relative to the repository root (this file is inside it)',
    ].join('\n');
    expect(projectCopy(text, 'sweeps/x.yaml').split('\n')).toEqual([
      '#   emofuse run experiments/manifest-example/cafe.yaml --dry-run',
      'base: ../iemocap/text_lstm.yaml',
      'plugins: [../plugins/speech_mlp.ts]',
      "corpus: { type: emodb, path: '$EMOFUSE_DATA/emodb' }",
      '  path: ../manifest-example/cafe.csv   # relative to this file',
    ]);
    expect(projectCopy('x: experiments/a.csv', 'a.csv')).toBe('x: experiments/a.csv'); // data files are copied as they are
    const notes = projectCopy('See `./emofuse run x.yaml --dry-run`.', 'README.md');
    expect(notes).toMatch(/^> Copied by `emofuse init`.*own folder/);
    expect(notes.endsWith('See `emofuse run x.yaml --dry-run`.')).toBe(true);
  });

  // The proof that the rewrite is right: each copy resolves to the same configuration as the
  // shipped file in the clone (with the data folder the clone would use), file paths aside.
  const project = initProject(path.join(tmp, 'same'));
  const experiments = files(shipped, '.yaml').filter((f) => !f.includes(`${path.sep}sweeps${path.sep}`));
  it.each(experiments.map((f) => [path.relative(shipped, f)]))('%s resolves in the project as in the clone', async (rel) => {
    await importPlugins(path.join(shipped, rel)); // the plugin's model type, registered once
    const inClone = loadExperiment(path.join(shipped, rel), { checkFiles: false });
    process.env.EMOFUSE_DATA = path.resolve(repoRoot, '../shared/data');
    const inProject = loadExperiment(path.join(project.dir, 'experiments', rel), { checkFiles: false });
    // plugins are imported by path: compare them by the file they name
    const moved = JSON.parse(JSON.stringify(inClone).replaceAll(JSON.stringify(shipped).slice(1, -1), JSON.stringify(path.join(project.dir, 'experiments')).slice(1, -1))
      // files a script writes under the root (.cache/feature-files/...): the project's root, not the clone's
      .replaceAll(JSON.stringify(path.join(repoRoot, '.cache', 'feature-files')).slice(1, -1), JSON.stringify(path.join(project.dir, '.cache', 'feature-files')).slice(1, -1)));
    expect(inProject).toEqual(moved);
    for (const p of inProject.plugins) expect(existsSync(p)).toBe(true);
  });

  it.each(files(path.join(shipped, 'sweeps'), '.yaml').map((f) => [path.relative(shipped, f)]))('%s names the project copy of its base', (rel) => {
    const inClone = loadSweep(path.join(shipped, rel));
    const inProject = loadSweep(path.join(project.dir, 'experiments', rel));
    expect(inProject.base).toBe(path.join(project.dir, 'experiments', path.relative(shipped, inClone.base)));
    expect(existsSync(inProject.base)).toBe(true);
  });

  it('a $EMOFUSE_DATA path with no data folder is refused naming the variable and how to set it', () => {
    // Inside the clone the data folder defaults to ../shared/data; an install has none. Simulate by a path the clone cannot satisfy.
    process.env.EMOFUSE_DATA = path.join(tmp, 'no-data-here');
    expect(() => loadExperiment(undefined)).toThrow(/no such file: .*no-data-here\/iemocap\/iemocap\.pkl/);
  });
});
