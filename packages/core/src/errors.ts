/**
 * What kind of problem an error is. `input`: the user's data or configuration is wrong (a corrupt
 * corpus file, a typo label, a split that cannot be made); the CLI exits 2 and nothing was changed.
 * `failure`: something went wrong while working (exit 1).
 */
export type ErrorKind = 'input' | 'failure';

/**
 * The one error type users see. It names where the problem is (a file, a field, a row),
 * what is wrong, and how to fix it, so the CLI can print it without a stack trace.
 */
export class EmofuseError extends Error {
  readonly where?: string;
  readonly fix?: string;
  readonly kind: ErrorKind;
  /**
   * The option at fault, as a path into the options of the call that threw (`path`, `classes`,
   * `validFraction`; `corpus.path` for a call that takes a `corpus` block). Libraries do not know
   * how an application spells its settings, so they name the option and the application maps it.
   */
  readonly option?: string;
  constructor(message: string, opts: EmofuseErrorOptions & { kind?: ErrorKind } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'EmofuseError';
    this.where = opts.where;
    this.fix = opts.fix;
    this.kind = opts.kind ?? 'failure';
    this.option = opts.option;
  }
  /** The text the CLI prints: `where: message` then the fix on its own line. */
  describe(): string {
    const head = this.where ? `${this.where}: ${this.message}` : this.message;
    return this.fix ? `${head}\n  fix: ${this.fix}` : head;
  }
}

interface EmofuseErrorOptions {
  where?: string;
  fix?: string;
  cause?: unknown;
  option?: string;
}

/** Bad input: a corpus file, manifest line or split request the user must fix (CLI exit 2). */
export class InputError extends EmofuseError {
  constructor(message: string, opts: EmofuseErrorOptions = {}) {
    super(message, { ...opts, kind: 'input' });
  }
}

export function isEmofuseError(e: unknown): e is EmofuseError {
  return e instanceof EmofuseError || (e instanceof Error && e.name === 'EmofuseError');
}

/** True for errors that blame the user's input (checked by kind, so copies of this module agree). */
export function isInputError(e: unknown): e is EmofuseError {
  return isEmofuseError(e) && (e as EmofuseError).kind === 'input';
}

/**
 * The same error, re-kinded as bad input: for checks shared with other callers (core's
 * `checkUniqueIds`, `checkSplit`) that blame input when a reader or a split calls them.
 */
export function asInputError(e: unknown): unknown {
  if (!isEmofuseError(e) || isInputError(e)) return e;
  const err = e as EmofuseError;
  const out = new InputError(err.message, { where: err.where, fix: err.fix, cause: err.cause, option: err.option });
  if (err.stack) out.stack = err.stack;
  return out;
}

/**
 * The same error with its option path under `prefix` (or renamed by a function): for a call that
 * passes one block of its own options on to another call (`corpus` to the corpus reader), so the
 * option names the caller's.
 */
export function underOption(e: unknown, prefix: string | ((option: string) => string)): unknown {
  if (!isEmofuseError(e) || !e.option) return e;
  const option = typeof prefix === 'function' ? prefix(e.option) : `${prefix}.${e.option}`;
  const out = new EmofuseError(e.message, { where: e.where, fix: e.fix, cause: e.cause, kind: e.kind, option });
  if (e.stack) out.stack = e.stack;
  return out;
}
