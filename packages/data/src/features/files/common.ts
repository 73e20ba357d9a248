import { InputError, hashFile } from '@emofuse/core';
import { distance } from 'fastest-levenshtein';
export { hashFile };

export type FeatureFileFormat = 'csv' | 'tsv' | 'parquet' | 'arrow' | 'npy' | 'npz' | 'opensmile-csv';

export interface FeatureFileOptions {
  /** Absolute, or relative to the working directory. */
  path: string;
  /** `auto` (the default): by extension; a .csv whose header has file,start,end is opensmile-csv. */
  format?: 'auto' | FeatureFileFormat;
  /** Default `id`. opensmile-csv: ids are the `file` column's base names without extension. */
  idColumn?: string;
  /** null: every column but the id (and file/start/end); a list of names; or '/regex/' matched against names. */
  columns?: string[] | string | null;
  /** .npy: a file of ids (one per line, or a .csv with the id column); .npz: the ids array's name (default 'ids'). */
  ids?: string | null;
  /** .npz: the feature array's name (default: the only 2-D numeric array). */
  array?: string | null;
}

export interface FeatureTable {
  file: string;
  format: string;
  ids: string[];
  columns: string[];
  dim: number;
  /** Row-major ids.length x dim, NaN where a cell is missing. */
  values: Float32Array;
  missingPerColumn: number[];
  rowsWithMissing: number;
  /** sha256 hex of the file's bytes (then the ids file's, for .npy): a content key for caches. */
  contentHash: string;
}

/** Cells that mean "no value" in every text format (compared lower-case, trimmed). */
const MISSING_TOKENS = new Set(['', 'na', 'nan', 'null', '-nan']);
const INFINITE_TOKENS = new Set(['inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity']);
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export const CELL_OK = 0;
export const CELL_MISSING = 1;
export const CELL_INVALID = 2;
export const CELL_INFINITE = 3;

/** What the last parseCellText / scanNumber call found (one shared object, so the hot loop allocates nothing). */
export const cell = { status: CELL_OK, end: 0 };

/** One text cell as a number: NaN for a missing token; cell.status says which. */
export function parseCellText(text: string): number {
  const t = text.trim();
  if (NUMBER_RE.test(t)) {
    const v = Number(t);
    cell.status = Number.isFinite(v) ? CELL_OK : CELL_INFINITE;
    return v;
  }
  const lower = t.toLowerCase();
  if (MISSING_TOKENS.has(lower)) {
    cell.status = CELL_MISSING;
    return NaN;
  }
  cell.status = INFINITE_TOKENS.has(lower) ? CELL_INFINITE : CELL_INVALID;
  return NaN;
}

const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The number in bytes b[s..) up to the next `delim` or `lineEnd`, sets cell.end to that position.
 * Plain decimals of up to 15 significant digits and a power of ten within 1e±22 are exact in
 * doubles, so mantissa * 10^e is the correctly rounded value (Clinger's fast path), the same as
 * Number(); anything else (longer numbers, NA, spaces) goes through parseCellText.
 */
export function scanNumber(b: Uint8Array, s: number, lineEnd: number, delim: number): number {
  let i = s;
  let neg = false;
  let c = i < lineEnd ? b[i] : -1;
  if (c === 45) {
    neg = true;
    i++;
  } else if (c === 43) i++;
  let mant = 0;
  let sig = 0;
  let exp = 0;
  let digits = 0;
  let slow = false;
  while (i < lineEnd) {
    c = b[i] - 48;
    if (c < 0 || c > 9) break;
    digits++;
    if (mant !== 0 || c !== 0) {
      if (sig < 15) {
        mant = mant * 10 + c;
        sig++;
      } else {
        slow = true;
      }
    }
    i++;
  }
  if (i < lineEnd && b[i] === 46) {
    i++;
    while (i < lineEnd) {
      c = b[i] - 48;
      if (c < 0 || c > 9) break;
      digits++;
      if (mant !== 0 || c !== 0) {
        if (sig < 15) {
          mant = mant * 10 + c;
          sig++;
          exp--;
        } else if (c !== 0) {
          slow = true;
        }
      } else {
        exp--;
      }
      i++;
    }
  }
  if (digits > 0 && i < lineEnd && (b[i] === 101 || b[i] === 69)) {
    i++;
    let eneg = false;
    if (i < lineEnd && (b[i] === 45 || b[i] === 43)) {
      eneg = b[i] === 45;
      i++;
    }
    let ex = 0;
    let edigits = 0;
    while (i < lineEnd) {
      c = b[i] - 48;
      if (c < 0 || c > 9) break;
      if (ex < 100000) ex = ex * 10 + c;
      edigits++;
      i++;
    }
    if (edigits === 0) slow = true;
    exp += eneg ? -ex : ex;
  }
  if (digits > 0 && !slow && (i === lineEnd || b[i] === delim)) {
    cell.end = i;
    if (mant === 0) {
      cell.status = CELL_OK;
      return neg ? -0 : 0;
    }
    if (exp >= -22 && exp <= 22) {
      cell.status = CELL_OK;
      const v = exp < 0 ? mant / POW10[-exp] : mant * POW10[exp];
      return neg ? -v : v;
    }
  }
  // Slow path: find the cell's end, then parse its text.
  while (i < lineEnd && b[i] !== delim) i++;
  cell.end = i;
  return parseCellText(latin1(b, s, i));
}

export function latin1(b: Uint8Array, s: number, e: number): string {
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1');
}

/** Row-major float32 storage that grows by doubling when the row count is not known up front. */
export class RowStore {
  values: Float32Array;
  rows = 0;
  readonly missingPerColumn: number[];
  rowsWithMissing = 0;
  constructor(readonly dim: number, capacityRows: number) {
    this.values = new Float32Array(Math.max(1, capacityRows) * dim);
    this.missingPerColumn = new Array<number>(dim).fill(0);
  }
  /** Makes room for one more row and returns its offset into values. */
  addRow(): number {
    const need = (this.rows + 1) * this.dim;
    if (need > this.values.length) {
      const grown = new Float32Array(Math.max(need, this.values.length * 2));
      grown.set(this.values.subarray(0, this.rows * this.dim));
      this.values = grown;
    }
    return this.rows++ * this.dim;
  }
  /** Counts the NaN cells of the row at `off` (call once the row is filled). */
  countMissing(off: number): void {
    const v = this.values;
    let any = false;
    for (let j = 0; j < this.dim; j++) {
      if (v[off + j] !== v[off + j]) {
        this.missingPerColumn[j]++;
        any = true;
      }
    }
    if (any) this.rowsWithMissing++;
  }
  /** The filled rows; copied to an exact-size array only when more than 1/8 of the space is unused. */
  finish(): Float32Array {
    const used = this.rows * this.dim;
    if (used === this.values.length) return this.values;
    return this.values.length - used > used / 8 ? this.values.slice(0, used) : this.values.subarray(0, used);
  }
}

/**
 * Fills row-major values column by column without writing one column straight into the rows
 * (a new cache line per value, ~80 ns each on 100k x 1024): `fill` writes column j into a
 * contiguous buffer, and BLOCK columns at a time are copied into the rows.
 */
export function fillByColumns(
  values: Float32Array, rows: number, dim: number, targets: number[], fill: (k: number, out: Float32Array) => void,
): void {
  const BLOCK = 32;
  const block = Array.from({ length: Math.min(BLOCK, targets.length) }, () => new Float32Array(rows));
  for (let k0 = 0; k0 < targets.length; k0 += BLOCK) {
    const n = Math.min(BLOCK, targets.length - k0);
    for (let b = 0; b < n; b++) fill(k0 + b, block[b]);
    const js = targets.slice(k0, k0 + n);
    const contiguous = js.every((j, b) => j === js[0] + b);
    for (let r = 0; r < rows; r++) {
      const base = r * dim;
      if (contiguous) for (let b = 0, at = base + js[0]; b < n; b++, at++) values[at] = block[b][r];
      else for (let b = 0; b < n; b++) values[base + js[b]] = block[b][r];
    }
  }
}

/** Counts missing cells column by column over a filled row-major matrix. */
export function countMissing(values: Float32Array, rows: number, dim: number): { missingPerColumn: number[]; rowsWithMissing: number } {
  const missingPerColumn = new Array<number>(dim).fill(0);
  let rowsWithMissing = 0;
  for (let r = 0, off = 0; r < rows; r++, off += dim) {
    let any = false;
    for (let j = 0; j < dim; j++) {
      if (values[off + j] !== values[off + j]) {
        missingPerColumn[j]++;
        any = true;
      }
    }
    if (any) rowsWithMissing++;
  }
  return { missingPerColumn, rowsWithMissing };
}



/** The available name a mistyped one most likely meant (same up to case, or a few edits). */
export function didYouMean(name: string, available: string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: { n: string; d: number } | undefined;
  for (const n of available) {
    const d = n.toLowerCase() === lower ? 0 : distance(lower, n.toLowerCase());
    if (d <= Math.max(2, Math.floor(name.length / 4)) && (!best || d < best.d)) best = { n, d };
  }
  return best?.n;
}

/** A short list of names for an error message: the first few and how many more. */
export function listNames(names: string[], max = 12): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown}, ... (${names.length} in all)` : shown;
}

/**
 * The columns to read: indices into `available` (the file's columns minus the id and other
 * excluded ones), in the order asked for. Throws InputError naming an unknown column.
 */
export function selectColumns(
  available: string[], columns: FeatureFileOptions['columns'], where: (column: string) => string,
): number[] {
  if (columns === null || columns === undefined) return available.map((_, i) => i);
  if (typeof columns === 'string') {
    const m = /^\/(.*)\/([a-z]*)$/s.exec(columns);
    if (!m) {
      return selectColumns(available, [columns], where);
    }
    let re: RegExp;
    try {
      re = new RegExp(m[1], m[2]);
    } catch (e) {
      throw new InputError(`columns pattern ${columns} is not a valid regular expression: ${(e as Error).message}`, {
        where: where(columns), fix: 'write a JavaScript regular expression between slashes, e.g. /^praat_/',
      });
    }
    const picked = available.map((_, i) => i).filter((i) => re.test(available[i]));
    if (picked.length === 0) {
      throw new InputError(`columns pattern ${columns} matches none of the file's feature columns`, {
        where: where(columns), fix: `the columns are: ${listNames(available)}`,
      });
    }
    return picked;
  }
  if (columns.length === 0) {
    throw new InputError('columns is an empty list', { where: where(''), fix: 'name at least one column, or leave columns out to read them all' });
  }
  const index = new Map(available.map((c, i) => [c, i]));
  const seen = new Set<string>();
  return columns.map((c) => {
    const i = index.get(c);
    if (i === undefined) {
      const near = didYouMean(c, available);
      throw new InputError(`no column "${c}" in the file${near ? ` (did you mean "${near}"?)` : ''}`, {
        where: where(c), fix: `name one of the file's columns: ${listNames(available)}`,
      });
    }
    if (seen.has(c)) throw new InputError(`column "${c}" is named twice in columns`, { where: where(c), fix: 'name each column once' });
    seen.add(c);
    return i;
  });
}

/** A duplicate-id check that remembers where each id was first seen. */
export class IdSet {
  private readonly firstAt = new Map<string, number>();
  /** Returns where the id was seen before, or -1 (and records it at `at`). */
  add(id: string, at: number): number {
    const before = this.firstAt.get(id);
    if (before !== undefined) return before;
    this.firstAt.set(id, at);
    return -1;
  }
}
