/**
 * The one error type users see. It names where the problem is (a file, a field, a row),
 * what is wrong, and how to fix it, so the CLI can print it without a stack trace.
 */
export class EmofuseError extends Error {
  readonly where?: string;
  readonly fix?: string;
  constructor(message: string, opts: { where?: string; fix?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'EmofuseError';
    this.where = opts.where;
    this.fix = opts.fix;
  }
  /** The text the CLI prints: `where: message` then the fix on its own line. */
  describe(): string {
    const head = this.where ? `${this.where}: ${this.message}` : this.message;
    return this.fix ? `${head}\n  fix: ${this.fix}` : head;
  }
}

export function isEmofuseError(e: unknown): e is EmofuseError {
  return e instanceof EmofuseError || (e instanceof Error && e.name === 'EmofuseError');
}
