import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RUN_TAGS, type StartRunOptions } from './types.ts';
import { withoutCredentials } from './uri.ts';

/** Where a process's runs start from: its entry script (as MLflow takes `sys.argv[0]`) and working folder. */
export interface ContextSource {
  entry?: string;
  cwd: string;
}

/**
 * One source of context tags, as in MLflow's own client (its "run context providers"): each says
 * whether it applies to this process and, when it does, which tags it sets. Later providers win.
 */
export interface RunContextProvider {
  readonly name: string;
  inContext(source: ContextSource): boolean;
  tags(source: ContextSource): Record<string, string>;
}

/** The user running this process (MLflow's `mlflow.user`), `unknown` where the OS does not say. */
export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Source name and type and the user: always in context (MLflow's DefaultRunContext). */
export const defaultContext: RunContextProvider = {
  name: 'default',
  inContext: () => true,
  tags: (source) => ({
    [RUN_TAGS.sourceType]: 'LOCAL',
    [RUN_TAGS.user]: currentUser(),
    ...(source.entry ? { [RUN_TAGS.sourceName]: source.entry } : {}),
  }),
};

function git(dir: string, args: string[]): string | undefined {
  try {
    const out = execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

/** The folders whose repository is looked for: the entry script's first, then the working folder. */
function candidateDirs(source: ContextSource): string[] {
  const { entry, cwd } = source;
  const entryDir = entry && existsSync(entry) ? (statSync(entry).isDirectory() ? entry : path.dirname(entry)) : undefined;
  return [entryDir, cwd].filter((d): d is string => !!d);
}

const repoDirs = new Map<string, string | undefined>();

/** The first candidate folder inside a git work tree (looked up once per source). */
function repoDir(source: ContextSource): string | undefined {
  const key = `${source.entry ?? ''}\0${source.cwd}`;
  if (!repoDirs.has(key)) repoDirs.set(key, candidateDirs(source).find((d) => git(d, ['rev-parse', 'HEAD']) !== undefined));
  return repoDirs.get(key);
}

/**
 * Git commit, branch and remote (MLflow's GitRunContext): in context when the entry script's folder,
 * else the working folder, is in a repository. The remote URL loses its credentials
 * (https://user:token@host/... would leak a token into the run).
 */
export const gitContext: RunContextProvider = {
  name: 'git',
  inContext: (source) => repoDir(source) !== undefined,
  tags: (source) => {
    const dir = repoDir(source);
    const commit = dir && git(dir, ['rev-parse', 'HEAD']);
    if (!dir || !commit) return {};
    const tags: Record<string, string> = { [RUN_TAGS.gitCommit]: commit };
    const branch = git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']);
    if (branch && branch !== 'HEAD') tags[RUN_TAGS.gitBranch] = branch;
    const upstream = git(dir, ['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}'])?.split('/')[0];
    const remote = git(dir, ['config', '--get', `remote.${upstream ?? 'origin'}.url`]) ?? git(dir, ['config', '--get', 'remote.origin.url']);
    if (remote) tags[RUN_TAGS.gitRepoUrl] = withoutCredentials(remote);
    return tags;
  },
};

/** The providers every run consults, in order. */
export const RUN_CONTEXT_PROVIDERS: readonly RunContextProvider[] = [defaultContext, gitContext];

const cache = new Map<string, Record<string, string>>();

/**
 * Context tags for runs started from this process, so the MLflow UI's Source, Version and User columns
 * fill in: the tags of every provider in context, read once per process (`entry` and `cwd` default to
 * this process's). A missing git or a folder outside a repository just leaves the git tags out.
 */
export function runContextTags(opts: { entry?: string; cwd?: string; providers?: readonly RunContextProvider[] } = {}): Record<string, string> {
  const main = process.argv[1];
  const source: ContextSource = { entry: opts.entry ?? (main ? path.resolve(main) : undefined), cwd: opts.cwd ?? process.cwd() };
  const providers = opts.providers ?? RUN_CONTEXT_PROVIDERS;
  const key = `${providers.map((p) => p.name).join(',')}\0${source.entry ?? ''}\0${source.cwd}`;
  const hit = cache.get(key);
  if (hit) return { ...hit };
  const tags: Record<string, string> = {};
  for (const p of providers) if (p.inContext(source)) Object.assign(tags, p.tags(source));
  cache.set(key, tags);
  return { ...tags };
}

/**
 * Tags a tracker gives a new run: the context, then the caller's tags (which win), then the note.
 * `context: false` turns the providers off (a caller that sets its own); the user is always set.
 */
export function startTags(opts: StartRunOptions, context: boolean | Record<string, string>): Record<string, string> {
  const ctx = context === true ? runContextTags() : { [RUN_TAGS.user]: currentUser(), ...(context === false ? {} : context) };
  const tags: Record<string, string> = { ...ctx, ...(opts.tags ?? {}) };
  if (opts.description !== undefined) tags[RUN_TAGS.note] = opts.description.replace(/\s*\n\s*/g, ' ').trim();
  return tags;
}
