import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statfsSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmofuseError } from './errors.ts';

/** Whether `e` says the file system is full (or the user's quota is). */
export function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * A full disk as an error that names the file, the bytes it needed and the space left, in place
 * of a raw ENOSPC stack. Other errors pass through unchanged.
 */
export function diskFullError(e: unknown, file: string, bytes: number): unknown {
  if (!isDiskFull(e)) return e;
  let free = '';
  try {
    const s = statfsSync(path.dirname(file));
    free = `, ${formatBytes(Number(s.bavail) * Number(s.bsize))} free of ${formatBytes(Number(s.blocks) * Number(s.bsize))}`;
  } catch {
    // the figure is a courtesy
  }
  return new EmofuseError(`no space left on the device: ${formatBytes(bytes)} could not be written${free}`, {
    where: file,
    fix: `free space on that file system (df -h ${path.dirname(file)}) or point the output or store elsewhere, then run again; nothing half-written was kept`,
    cause: e,
  });
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/**
 * Write a file so that readers see either the old content or the whole new one, never a part:
 * write a temporary file, then rename it over the target (atomic on one filesystem). The temporary
 * file sits beside the target unless `tmpDir` (same filesystem) says where a stray one would be harmless.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: { tmpDir?: string } = {}): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(opts.tmpDir ?? path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw diskFullError(e, file, typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Build a directory under a temporary name and rename it into place only when `fill` succeeds,
 * so an interrupted or failed run never leaves a directory that looks complete.
 */
export async function buildDirAtomic<T>(dir: string, fill: (tmpDir: string) => Promise<T>): Promise<T> {
  const parent = path.dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(dir)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  // Who builds it (before it exists), so `emofuse runs gc` removes a dead process's partial, never a live one.
  writeFileSync(`${tmp}.owner`, JSON.stringify({ pid: process.pid, host: os.hostname(), start: Date.now() }));
  mkdirSync(tmp, { recursive: true });
  try {
    const out = await fill(tmp);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return out;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    rmSync(`${tmp}.owner`, { force: true });
  }
}
