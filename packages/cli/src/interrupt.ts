import { EmofuseError, pidAlive } from '@emofuse/core';
import { terminalContext, type RunContext } from './context.ts';
import { EXIT, codeFor, printError } from './errors.ts';

/** Set by a `--jobs` pool for its workers: the pid each worker checks is still alive. */
export const PARENT_PID_ENV = 'EMOFUSE_PARENT_PID';

/**
 * Run `work` with a terminal context whose signal aborts on Ctrl-C (or SIGTERM, as batch schedulers
 * send before killing a job). A second signal quits at once.
 * On interrupt: says which runs were not saved (the pipeline builds runs in temp dirs) and returns 130.
 */
export async function interruptible(label: string, work: (ctx: RunContext) => Promise<void>): Promise<number> {
  const ac = new AbortController();
  const ctx = terminalContext(ac.signal);
  let hits = 0;
  const onSigint = () => {
    hits += 1;
    if (hits > 1) {
      process.stderr.write('interrupted again: quitting now\n');
      process.exit(EXIT.interrupted);
    }
    process.stderr.write('\ninterrupting: stopping at the next safe point (Ctrl-C again to quit at once)\n');
    ac.abort(new EmofuseError('interrupted by Ctrl-C'));
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  // A closed terminal: stop like Ctrl-C (the default would kill us and orphan --jobs workers).
  process.on('SIGHUP', onSigint);
  // A --jobs worker: its coordinator may die without a word (kill -9); a worker never trains on alone.
  const parent = Number(process.env[PARENT_PID_ENV]);
  const watch = Number.isSafeInteger(parent) && parent > 1 ? setInterval(() => {
    // (reparented, or gone: a pid alone could be reused by another process)
    if ((process.ppid !== parent || !pidAlive(parent)) && !ac.signal.aborted) {
      process.stderr.write(`\nthe coordinating process ${parent} has ended: stopping this worker\n`);
      ac.abort(new EmofuseError(`coordinator ${parent} ended`));
    }
  }, 1000) : undefined;
  watch?.unref();
  try {
    await work(ctx);
    if (!ac.signal.aborted) return EXIT.ok;
  } catch (e) {
    if (!ac.signal.aborted) {
      printError(e);
      return codeFor(e);
    }
  } finally {
    if (watch) clearInterval(watch);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    process.off('SIGHUP', onSigint);
  }
  const unsaved = [...ctx.inFlight.keys()];
  if (unsaved.length === 0) process.stderr.write(`interrupted: nothing was saved for ${label}\n`);
  for (const id of unsaved) process.stderr.write(`interrupted: nothing was saved for run ${id}\n`);
  for (const [id, dir] of ctx.saved) process.stderr.write(`  (run ${id} had finished and is saved in ${dir})\n`);
  return EXIT.interrupted;
}

