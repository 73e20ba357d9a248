import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** JSON with object keys sorted, so equal values always serialise (and hash) the same. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
    return v;
  });
}

/** Short sha256 fingerprint of any JSON-able value (configs, id lists, splits). */
export function fingerprint(value: unknown, length = 16): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, length);
}

/**
 * sha256 of a file's bytes, read in 8 MB pieces (a 4 GB embeddings file never sits in memory);
 * pass `into` to hash several files as one.
 */
export function hashFile(file: string, into = createHash('sha256')): ReturnType<typeof createHash> {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(8 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      into.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return into;
}

/** A file's sha256 as hex: what caches and resume key a file by, never its path or time stamp. */
export function contentHash(file: string): string {
  return hashFile(file).digest('hex');
}
