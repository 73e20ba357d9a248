/**
 * How a task runs: the CLI itself in a child process, `emofuse run <task.yaml> --seed N`, so a
 * worker, a Slurm array task and a user at a shell all run the same thing.
 */
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RUN_TAGS } from '@emofuse/tracking';
import { repoRoot } from '../config/paths.ts';
import type { PlanTask } from './plan.ts';

/**
 * node and its arguments for running this CLI: the built dist/main.js when this code is the built
 * package (an install), else the sources through tsx (as the clone's `emofuse` launcher does).
 */
export function cliInvocation(): { node: string; args: string[]; env: Record<string, string> } {
  if (import.meta.filename.endsWith('.js')) return { node: process.execPath, args: [path.resolve(import.meta.dirname, '..', 'main.js')], env: {} };
  return {
    node: process.execPath,
    args: ['--import', pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href, path.join(repoRoot, 'packages/cli/src/main.ts')],
    env: { TSX_TSCONFIG_PATH: process.env.TSX_TSCONFIG_PATH ?? path.join(repoRoot, 'tsconfig.json') },
  };
}

/** The `run` arguments of one task; the thread count is recorded as a tag (it changes the floats). */
export function taskArgs(task: Pick<PlanTask, 'config' | 'seed'>, threads: string): string[] {
  return ['run', task.config, '--seed', String(task.seed), '--set', 'report.enabled=false', '--set', `tags.${RUN_TAGS.tfThreads}="${threads}"`];
}

/**
 * TensorFlow intra-op threads per task so that `jobs` workers share the cores without
 * oversubscribing them: --threads, else TF_NUM_INTRAOP_THREADS if the user set it, else
 * cores / jobs (at least 1). tfjs-node's libtensorflow reads TF_NUM_INTRAOP_THREADS and
 * TF_NUM_INTEROP_THREADS when it starts (measured: its thread pools grow and shrink with them).
 */
export function threadsPerTask(jobs: number, override?: number): number {
  if (override) return override;
  const env = Number(process.env.TF_NUM_INTRAOP_THREADS);
  if (Number.isInteger(env) && env > 0) return env;
  return Math.max(1, Math.floor(os.availableParallelism() / jobs));
}

/** Environment for a task with `threads` intra-op threads and one inter-op thread. */
export function threadEnv(threads: number): Record<string, string> {
  return { TF_NUM_INTRAOP_THREADS: String(threads), TF_NUM_INTEROP_THREADS: '1' };
}
