/**
 * Executors run a plan's pending tasks. Each lives in one file that registers itself here, and
 * `--launcher <name>` picks one: `inline` (this process, one task after another), `local` (a pool
 * of `--jobs N` worker processes), `slurm` (an sbatch job array and a dependent aggregation job).
 */
import type { RunContext } from '../context.ts';
import type { Plan, PlanTask, SlurmResources } from './plan.ts';

export interface LaunchOptions {
  /** Worker processes (local). */
  jobs: number;
  /** TensorFlow intra-op threads per task; default: the cores divided among the workers. */
  threads?: number;
  slurm: SlurmResources;
}

export interface Executor {
  name: string;
  /** One line for --help. */
  summary: string;
  /** Whether the plan needs a sweep directory with task files (inline runs without one). */
  needsDir: boolean;
  /**
   * Run (or submit) `pending`; the rest of the plan is already complete. Resolves with the exit
   * code. Local executors also aggregate at the end; slurm leaves that to its dependent job.
   */
  launch(plan: Plan, pending: PlanTask[], opts: LaunchOptions, ctx: RunContext): Promise<number>;
}

const executors = new Map<string, Executor>();

export function registerExecutor(e: Executor): void {
  executors.set(e.name, e);
}

export function executorNames(): string[] {
  return [...executors.keys()];
}

export function getExecutor(name: string): Executor | undefined {
  return executors.get(name);
}
