import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { NOTE_TAG, USER_TAG, type StartRunOptions } from './types.ts';
import { safeUser } from './filestore.ts';
import { withoutCredentials } from './uri.ts';

/**
 * The tags MLflow's own client sets on every run from its "context providers" (source name and type,
 * user, git commit/branch/remote), so the UI's Source, Version and User columns fill in. Read once
 * per process; a missing git or a folder outside a repository just leaves the git tags out.
 */
export interface RunContext {
  'mlflow.source.name'?: string;
  'mlflow.source.type': string;
  'mlflow.user': string;
  'mlflow.source.git.commit'?: string;
  'mlflow.source.git.branch'?: string;
  'mlflow.source.git.repoURL'?: string;
}

const cache = new Map<string, Record<string, string>>();

function git(dir: string, args: string[]): string | undefined {
  try {
    const out = execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

/** A remote URL without credentials (https://user:token@host/... would leak a token into the run). */
export const redactUrl = withoutCredentials;

/** The entry script, as MLflow takes `sys.argv[0]`; its folder decides which repository's commit is recorded. */
function entryPoint(): string | undefined {
  const main = process.argv[1];
  return main ? path.resolve(main) : undefined;
}

/**
 * Context tags for runs started from this process: the entry script's repository decides the git
 * tags, else the working folder's (`entry` and `cwd` default to this process's).
 */
export function runContextTags(opts: { entry?: string; cwd?: string } = {}): Record<string, string> {
  const entry = opts.entry ?? entryPoint();
  const cwd = opts.cwd ?? process.cwd();
  const key = `${entry ?? ''}\0${cwd}`;
  const hit = cache.get(key);
  if (hit) return { ...hit };
  const tags: Record<string, string> = { 'mlflow.source.type': 'LOCAL', [USER_TAG]: safeUser() };
  if (entry) tags['mlflow.source.name'] = entry;
  const dirs = [entry && existsSync(entry) ? (statSync(entry).isDirectory() ? entry : path.dirname(entry)) : undefined, cwd].filter((d): d is string => !!d);
  for (const dir of dirs) {
    const commit = git(dir, ['rev-parse', 'HEAD']);
    if (!commit) continue;
    tags['mlflow.source.git.commit'] = commit;
    const branch = git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']);
    if (branch && branch !== 'HEAD') tags['mlflow.source.git.branch'] = branch;
    const upstream = git(dir, ['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}'])?.split('/')[0];
    const remote = git(dir, ['config', '--get', `remote.${upstream ?? 'origin'}.url`]) ?? git(dir, ['config', '--get', 'remote.origin.url']);
    if (remote) tags['mlflow.source.git.repoURL'] = redactUrl(remote);
    break;
  }
  cache.set(key, tags);
  return { ...tags };
}

/**
 * Tags a tracker gives a new run: the context, then the caller's tags (which win), then the note.
 * `context: false` turns the providers off (a caller that sets its own).
 */
export function startTags(opts: StartRunOptions, context: boolean | Record<string, string>): Record<string, string> {
  const ctx = context === false ? { [USER_TAG]: safeUser() } : context === true ? runContextTags() : { [USER_TAG]: safeUser(), ...context };
  const tags: Record<string, string> = { ...ctx, ...(opts.tags ?? {}) };
  if (opts.description !== undefined) tags[NOTE_TAG] = opts.description.replace(/\s*\n\s*/g, ' ').trim();
  return tags;
}
