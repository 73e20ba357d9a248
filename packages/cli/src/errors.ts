import { EmofuseError, InputError, isEmofuseError, isInputError } from '@emofuse/core';

/**
 * The exit codes, by what happened: 0 ok, 1 failure while working, 2 bad input (configuration,
 * usage or data the user must fix), 130 interrupted (Ctrl-C). Every command returns one of these.
 */
export const EXIT = { ok: 0, failure: 1, input: 2, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Bad command-line input that commander cannot see (a malformed --tag, a missing store): kind `input`. */
export class UsageError extends InputError {}

export function printError(e: unknown): void {
  if (isEmofuseError(e)) {
    const text = typeof e.describe === 'function' ? e.describe() : e.message;
    process.stderr.write(`error: ${text}\n`);
  } else {
    // Not an EmofuseError: a bug, so the stack is worth showing.
    process.stderr.write(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  }
}

/**
 * The exit code of an error, decided by its kind alone: an error of kind `input` (a config or usage
 * error, a corrupt corpus, a typo label, a split that cannot be made) is 2 wherever it is thrown;
 * anything else is 1.
 */
export function codeFor(e: unknown): ExitCode {
  return isInputError(e) ? EXIT.input : EXIT.failure;
}

/**
 * A library error seen from the config. Libraries do not know the CLI's keys, so the CLI names the
 * key that chose the failing input (and may add a fix of its own); the kind, so the exit code, is kept.
 */
export function atConfigKey(e: unknown, key: string, fix?: string): unknown {
  if (!isEmofuseError(e)) return e;
  const out = new EmofuseError(e.message, { where: e.where ? `${key} (${e.where})` : key, fix: [e.fix, fix].filter(Boolean).join('; ') || undefined, cause: e, kind: e.kind });
  if (e.stack) out.stack = e.stack;
  return out;
}

/**
 * A library error that names its option (`e.option`) as a path into the config it was given
 * (data's corpusFromConfig, foldsFromConfig, previewInputs): that path is the key to edit.
 */
export function atConfigOption(e: unknown): unknown {
  return isEmofuseError(e) && e.option ? atConfigKey(e, e.option) : e;
}
