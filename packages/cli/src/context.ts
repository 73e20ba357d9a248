import { SingleBar, Presets } from 'cli-progress';

/** A progress display for one long step; `stop()` always, even on error. */
export interface Progress {
  tick(n?: number, info?: string): void;
  stop(): void;
}

/**
 * What the CLI hands to the pipeline: where to talk, and when to stop. Keeps the pipeline free
 * of console and signal handling, and testable with a silent context.
 */
export interface RunContext {
  log(msg: string): void;
  warn(msg: string): void;
  /** A progress bar on a terminal, a few plain lines otherwise. */
  progress(label: string, total: number): Progress;
  /** Aborted on Ctrl-C: stop at the next safe point and throw; write nothing that looks complete. */
  signal: AbortSignal;
  /** Tell the CLI a run started writing (into a temp dir) and when it is saved, so an interrupt can say which. */
  onRunStart?(runId: string, dir: string): void;
  onRunSaved?(runId: string, dir: string): void;
}

/** The terminal context the CLI uses: log to stdout, warnings and progress to stderr. */
export function terminalContext(signal: AbortSignal, opts: { quiet?: boolean } = {}): RunContext & { inFlight: Map<string, string>; saved: Map<string, string> } {
  const inFlight = new Map<string, string>();
  const saved = new Map<string, string>();
  return {
    inFlight,
    saved,
    signal,
    log: (msg) => { if (!opts.quiet) process.stdout.write(`${msg}\n`); },
    warn: (msg) => process.stderr.write(`warning: ${msg}\n`),
    progress: (label, total) => (process.stderr.isTTY && !opts.quiet ? ttyProgress(label, total) : lineProgress(label, total, opts.quiet)),
    onRunStart: (runId, dir) => { inFlight.set(runId, dir); },
    onRunSaved: (runId, dir) => { inFlight.delete(runId); saved.set(runId, dir); },
  };
}

/** A context that records instead of printing (tests, library use). */
export function silentContext(signal: AbortSignal = new AbortController().signal): RunContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    signal,
    log: (m) => { lines.push(m); },
    warn: (m) => { lines.push(`warning: ${m}`); },
    progress: () => ({ tick: () => {}, stop: () => {} }),
  };
}

function ttyProgress(label: string, total: number): Progress {
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {info}`, hideCursor: true, clearOnComplete: false, stream: process.stderr }, Presets.shades_classic);
  bar.start(total, 0, { info: '' });
  return { tick: (n = 1, info = '') => bar.increment(n, { info }), stop: () => bar.stop() };
}

// Without a terminal (CI, logs): one line per 10%, so logs stay short.
function lineProgress(label: string, total: number, quiet = false): Progress {
  let done = 0;
  let lastDecile = -1;
  return {
    tick: (n = 1, info = '') => {
      done += n;
      const decile = total > 0 ? Math.floor((10 * done) / total) : 10;
      if (!quiet && decile !== lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${label}: ${done}/${total}${info ? ` ${info}` : ''}\n`);
      }
    },
    stop: () => {},
  };
}
