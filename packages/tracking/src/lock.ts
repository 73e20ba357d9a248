import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmofuseError, pidAlive, processStart } from '@emofuse/core';

/** Who holds a lock file: written into it when it is taken. */
export interface LockOwner {
  pid: number;
  host: string;
  /** Epoch ms when it was taken. */
  start: number;
}

export interface Lock {
  file: string;
  release(): void;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.start === 'number' ? (o as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/** A lock left by a process that has ended on this host (a younger process with its pid is another one). */
function ownerGone(o: LockOwner): boolean {
  if (o.host !== os.hostname()) return false;
  if (!pidAlive(o.pid)) return true;
  const began = processStart(o.pid);
  return began !== undefined && began > o.start + 2000;
}

/**
 * Take the exclusive lock `<dir>/<name>` (a file made with O_EXCL, holding its owner), waiting while
 * a live process holds it. A lock whose owner ended on this host (killed, crashed) is taken over. An
 * aborted `signal` stops the wait. Locks of another host are waited for: their owner cannot be checked.
 */
export async function takeLock(dir: string, name: string, opts: { signal?: AbortSignal; onWait?: (owner: LockOwner | undefined, file: string) => void; pollMs?: number } = {}): Promise<Lock> {
  const file = path.join(dir, name);
  let told = false;
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new EmofuseError(`stopped waiting for ${file}`);
    let fd: number | undefined;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new EmofuseError(`cannot take the lock ${file}: ${(e as Error).message}`, { where: file, fix: 'check that the folder exists and is writable', cause: e });
      }
    }
    if (fd !== undefined) {
      const owner: LockOwner = { pid: process.pid, host: os.hostname(), start: Date.now() };
      try {
        writeSync(fd, JSON.stringify(owner));
      } finally {
        closeSync(fd);
      }
      let held = true;
      return {
        file,
        release() {
          if (!held) return;
          held = false;
          if (readOwner(file)?.pid === process.pid) rmSync(file, { force: true });
        },
      };
    }
    const owner = readOwner(file);
    if (owner && ownerGone(owner)) {
      // Rename first so two waiters cannot both remove it and then both take a fresh one.
      const stale = `${file}.stale-${process.pid}`;
      try {
        renameSync(file, stale);
        // Another waiter took it over in between: put its fresh lock back.
        if (readOwner(stale)?.pid === owner.pid) rmSync(stale, { force: true });
        else renameSync(stale, file);
      } catch {
        // another waiter took it over first
      }
      continue;
    }
    // (no owner yet: its writer is between open and write; wait like for a live one)
    if (!told) {
      told = true;
      opts.onWait?.(owner, file);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, opts.pollMs ?? 250);
      opts.signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
  }
}
