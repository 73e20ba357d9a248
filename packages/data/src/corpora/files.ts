import { readFileSync, statSync } from 'node:fs';
import { InputError, asInputError } from '@emofuse/core';

/**
 * Read a corpus file as bytes, refusing a missing path, a folder or an unreadable file with a
 * message that names the file (never a raw EISDIR/EACCES stack).
 */
export function readInputFile(file: string, what: string, fix: string): Buffer {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (e) {
    throw new InputError(`${what} not found (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { where: file, fix, cause: e });
  }
  if (!isFile) throw new InputError(`${what} is a folder, not a file`, { where: file, fix });
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code ?? String(e);
    throw new InputError(`cannot read the ${what} (${why})`, { where: file, fix: code === 'EACCES' || code === 'EPERM' ? 'make the file readable (chmod +r)' : fix, cause: e });
  }
}

/** 1-based line of a byte offset. */
function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that breaks UTF-8, or -1. Overlong forms and surrogates count as broken. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) { i++; continue; }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) { n = 1; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { n = 2; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; min = 0x10000; }
    else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

/**
 * Decode a text corpus file as UTF-8, refusing invalid bytes (they would silently become U+FFFD)
 * with the file, line and byte, and the fix.
 */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const bad = Math.max(0, firstInvalidUtf8(bytes));
    const hex = Array.from(bytes.subarray(bad, bad + 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
    throw new InputError(`not valid UTF-8: byte ${bad} (0x${hex.slice(0, 2)}; bytes from there: ${hex}) is not part of a UTF-8 character, and reading on would turn it into U+FFFD`, {
      where: `${file}:${lineOf(bytes, bad)}`,
      fix: 'save the file as UTF-8, e.g. iconv -f latin1 -t utf-8 old.csv > new.csv (with the encoding it was written in)',
    });
  }
}

/** Run a check shared with other callers (core's checkUniqueIds, checkSplit) so it blames the input. */
export function asInput<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asInputError(e);
  }
}
