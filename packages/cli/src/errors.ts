import { EmofuseError, isEmofuseError, isInputError } from '@emofuse/core';
import { ConfigError } from './config/load.ts';

/** 0 ok, 1 failure, 2 bad input (configuration or usage: nothing was done), 130 interrupted (Ctrl-C). */
export const EXIT = { ok: 0, failure: 1, badInput: 2, interrupted: 130 } as const;

/** Bad command-line input that commander cannot see (a malformed --tag, a missing store). */
export class UsageError extends EmofuseError {}

export function printError(e: unknown): void {
  if (isEmofuseError(e)) {
    const text = typeof (e as EmofuseError).describe === 'function' ? (e as EmofuseError).describe() : e.message;
    process.stderr.write(`error: ${text}\n`);
  } else {
    // Not an EmofuseError: a bug, so the stack is worth showing.
    process.stderr.write(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  }
}

/**
 * Exit code for an error thrown while reading input (before any work) or while working. Bad input
 * (an InputError: a corrupt corpus, a typo label, a split that cannot be made) is 2 in either phase,
 * since the pipeline reads the corpus after the config.
 */
export function codeFor(e: unknown, phase: 'input' | 'work'): number {
  if (e instanceof ConfigError || e instanceof UsageError || isInputError(e)) return EXIT.badInput;
  if (phase === 'input' && isEmofuseError(e)) return EXIT.badInput;
  return EXIT.failure;
}

