import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { InputError } from '@emofuse/core';
import {
  CELL_INFINITE, CELL_INVALID, IdSet, RowStore, cell, listNames, parseCellText, scanNumber, selectColumns,
} from './common.ts';
import type { FeatureFileOptions, FeatureTable } from './common.ts';

const CHUNK = 16 << 20;
const OPENSMILE_INDEX = ['file', 'start', 'end'];
const ID = -2;
const SKIP = -1;

/** True when a CSV header is opensmile-python's (pandas' to_csv of its file,start,end index). */
export function isOpensmileHeader(header: string[]): boolean {
  return OPENSMILE_INDEX.every((c, i) => header[i] === c);
}

/** The id opensmile-csv rows get: the `file` cell's base name without extension. */
function opensmileId(fileCell: string): string {
  const base = path.basename(fileCell.replaceAll('\\', '/'));
  const ext = path.extname(base);
  return ext ? base.slice(0, -ext.length) : base;
}

/**
 * Reads a CSV/TSV feature file (or opensmile-python's functionals CSV). The header (and any
 * line with a quote) goes through csv-parse; plain data lines are scanned as bytes straight into
 * the float32 store, because csv-parse's strings-per-cell cost ~10x the time on a 1 GB file.
 * `format` 'csv' turns into 'opensmile-csv' when the header starts with file,start,end and `detect` is set.
 */
export function readTextFeatures(
  file: string, shown: string, format: 'csv' | 'tsv' | 'opensmile-csv', opts: FeatureFileOptions, detect: boolean,
): FeatureTable {
  const delim = format === 'tsv' ? 9 : 44;
  const delimiter = format === 'tsv' ? '\t' : ',';
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    let buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)));
    let len = 0;
    let pos = 0;
    let eof = false;
    let lineNo = 0;
    let quoteAt = -1;

    /** Keeps bytes from pos on, reads more after them; false at end of file. */
    const readMore = (): boolean => {
      if (eof) return false;
      if (pos > 0) {
        buf.copy(buf, 0, pos, len);
        len -= pos;
        pos = 0;
      }
      if (len === buf.length) {
        const grown = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(grown, 0, 0, len);
        buf = grown;
      }
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) eof = true;
      else hash.update(buf.subarray(len, len + n));
      len += n;
      quoteAt = -1;
      return n > 0;
    };

    /** The next line as [start, end) in buf (end before any \r), or null at end of file. */
    let nextPos = 0;
    const nextLine = (): [number, number] | null => {
      for (;;) {
        let nl = buf.indexOf(10, pos);
        if (nl >= len) nl = -1;
        if (nl < 0 && !eof) {
          readMore();
          continue;
        }
        if (nl < 0 && pos >= len) return null;
        if (nl < 0) {
          // The last line has no newline: put one after it, so the row scanner stops there.
          if (len === buf.length) {
            const grown = Buffer.allocUnsafe(len + 1);
            buf.copy(grown, 0, 0, len);
            buf = grown;
          }
          buf[len] = 10;
        }
        const end = nl < 0 ? len : nl;
        nextPos = nl < 0 ? len : nl + 1;
        lineNo++;
        return [pos, end > pos && buf[end - 1] === 13 ? end - 1 : end];
      }
    };

    /** The record starting at the line [s, e): its line's text, plus following lines while a quote is open. */
    const quotedRecord = (s: number, e: number): string[] => {
      let text = buf.toString('utf8', s, e);
      const startLine = lineNo;
      while ((text.match(/"/g)?.length ?? 0) % 2 === 1) {
        pos = nextPos;
        const l = nextLine();
        if (!l) {
          throw new InputError('a quoted cell is never closed', {
            where: `${shown}:${startLine}`, fix: 'close the quote (") or remove it',
          });
        }
        text += '\n' + buf.toString('utf8', l[0], l[1]);
      }
      try {
        return (parse(text, { delimiter, relax_column_count: true, relax_quotes: true }) as string[][])[0] ?? [''];
      } catch (err) {
        throw new InputError(`the line cannot be read as ${format}: ${(err as Error).message}`, {
          where: `${shown}:${startLine}`, fix: 'check its quotes and delimiters',
        });
      }
    };

    const hasQuote = (s: number, e: number): boolean => {
      if (quoteAt < s) {
        quoteAt = buf.indexOf(34, s);
        if (quoteAt < 0 || quoteAt >= len) quoteAt = len;
      }
      return quoteAt < e;
    };

    // Header: the first line that is not blank.
    let first = nextLine();
    while (first && first[0] === first[1]) {
      pos = nextPos;
      first = nextLine();
    }
    if (!first) {
      throw new InputError('the feature file is empty', { where: `${shown}:1`, fix: 'write a header line of column names, then one line per id' });
    }
    if (buf[first[0]] === 0xef && buf[first[0] + 1] === 0xbb && buf[first[0] + 2] === 0xbf) first[0] += 3;
    const headerLine = lineNo;
    const header = quotedRecord(first[0], first[1]).map((h) => h.trim());
    pos = nextPos;
    if (format === 'csv' && detect && isOpensmileHeader(header)) format = 'opensmile-csv';
    const opensmile = format === 'opensmile-csv';
    const idColumn = opts.idColumn ?? (opensmile ? 'file' : 'id');
    const at = (line: number, column: string) => `${shown}:${line}:${column}`;

    const seen = new Map<string, number>();
    header.forEach((h, i) => {
      if (seen.has(h)) {
        throw new InputError(`column "${h}" appears twice in the header (columns ${seen.get(h)! + 1} and ${i + 1})`, {
          where: at(headerLine, h), fix: 'give every column its own name',
        });
      }
      seen.set(h, i);
    });
    const idIndex = seen.get(idColumn);
    if (idIndex === undefined) {
      throw new InputError(`no id column "${idColumn}" in the header`, {
        where: at(headerLine, idColumn),
        fix: `name the id column with idColumn (the columns are: ${listNames(header)}), or add a column "${idColumn}"`,
      });
    }
    const excluded = new Set([idIndex, ...(opensmile ? OPENSMILE_INDEX.map((c) => seen.get(c)!) : [])]);
    const featureIdx = header.map((_, i) => i).filter((i) => !excluded.has(i));
    const available = featureIdx.map((i) => header[i]);
    const picked = selectColumns(available, opts.columns, (c) => at(headerLine, c));
    if (picked.length === 0) {
      throw new InputError('the file has no feature columns besides the id', {
        where: at(headerLine, idColumn), fix: 'add one column per feature after the id',
      });
    }
    const columns = picked.map((i) => available[i]);
    const dim = columns.length;
    const ncols = header.length;
    const map = new Int32Array(ncols).fill(SKIP);
    map[idIndex] = ID;
    picked.forEach((p, j) => (map[featureIdx[p]] = j));

    // Room for the rows the file's size suggests (from the first lines' length); doubles if short.
    let sampleEnd = nextPos;
    let sampled = 0;
    for (; sampled < 64; sampled++) {
      const nl = buf.indexOf(10, sampleEnd);
      if (nl < 0 || nl >= len) break;
      sampleEnd = nl + 1;
    }
    const perLine = sampled > 0 ? (sampleEnd - nextPos) / sampled : Math.max(1, len - nextPos);
    const store = new RowStore(dim, Math.ceil(Math.max(0, size - nextPos) / perLine * 1.02) + 8);
    const ids: string[] = [];
    const idSet = new IdSet();

    const badCell = (status: number, text: string, column: string): never => {
      const shownText = text.length > 40 ? `${text.slice(0, 40)}...` : text;
      if (status === CELL_INFINITE) {
        throw new InputError(`cell "${shownText}" is infinite`, {
          where: at(lineNo, column), fix: 'write a finite number, or leave the cell empty (or NA) if the value is missing',
        });
      }
      throw new InputError(`cell "${shownText}" is not a number`, {
        where: at(lineNo, column),
        fix: `write a number, or leave the cell empty (or NA) if the value is missing; a column that is not a feature can be left out with columns`,
      });
    };
    const ragged = (cells: number): never => {
      const column = cells < ncols ? header[cells] : `cell ${cells}`;
      throw new InputError(`the line has ${cells} cells, the header ${ncols}`, {
        where: at(lineNo, column),
        fix: cells < ncols ? `give every line one cell per column (this one stops before "${header[cells]}")` : 'remove the extra cells, or add their column names to the header',
      });
    };
    const addId = (raw: string): void => {
      const id = opensmile ? opensmileId(raw.trim()) : raw.trim();
      if (id === '') throw new InputError('the id cell is empty', { where: at(lineNo, idColumn), fix: 'give every line an id' });
      const before = idSet.add(id, lineNo);
      if (before >= 0) {
        throw new InputError(`id "${id}" appears twice, on lines ${before} and ${lineNo}`, {
          where: at(lineNo, idColumn), fix: opensmile
            ? 'write one row per file (openSMILE functionals, not low-level descriptors; file names must differ)'
            : 'keep one line per id',
        });
      }
      ids.push(id);
    };

    /** A line with simple quoted cells, cell by cell (the slower path the row scanner hands back). */
    const generalRow = (s0: number, e: number, off: number, values: Float32Array): void => {
      let c = 0;
      let s = s0;
      for (;;) {
        if (c >= ncols) ragged(c + 1 + countDelims(buf, s, e, delim));
        const m = map[c];
        let end: number;
        if (s < e && buf[s] === 34) {
          // A quoted cell without quotes or delimiters inside (R's and pyarrow's quoted ids).
          const q = buf.indexOf(34, s + 1);
          end = q + 1;
          if (m === ID) addId(buf.toString('utf8', s + 1, q));
          else if (m >= 0) {
            const text = buf.toString('utf8', s + 1, q);
            const v = parseCellText(text);
            if (cell.status >= CELL_INVALID) badCell(cell.status, text, header[c]);
            values[off + m] = v;
          }
        } else if (m >= 0) {
          const v = scanNumber(buf, s, e, delim);
          if (cell.status >= CELL_INVALID) badCell(cell.status, buf.toString('utf8', s, cell.end), header[c]);
          values[off + m] = v;
          end = cell.end;
        } else {
          end = buf.indexOf(delim, s);
          if (end < 0 || end > e) end = e;
          if (m === ID) addId(buf.toString('utf8', s, end));
        }
        c++;
        if (end >= e) break;
        s = end + 1;
      }
      if (c !== ncols) ragged(c);
    };

    for (;;) {
      const l = nextLine();
      if (!l) break;
      const [s0, e] = l;
      if (s0 === e) {
        pos = nextPos;
        continue;
      }
      const off = store.addRow();
      const values = store.values;
      const quotes = hasQuote(s0, e);
      if (quotes && !simpleQuotes(buf, s0, e, delim)) {
        const cells = quotedRecord(s0, e);
        if (cells.length !== ncols) ragged(cells.length);
        for (let c = 0; c < ncols; c++) {
          const m = map[c];
          if (m === ID) addId(cells[c]);
          else if (m >= 0) {
            const v = parseCellText(cells[c]);
            if (cell.status >= CELL_INVALID) badCell(cell.status, cells[c], header[c]);
            values[off + m] = v;
          }
        }
      } else {
        const slowBefore = slowCells;
        const r = scanRow(buf, s0, e, delim, map, ncols, values, off);
        if (r === REDO) generalRow(s0, e, off, values);
        else if (r < 0) {
          const c = -r - 1;
          badCell(cell.status, buf.toString('utf8', span[2], span[3]), header[c]);
        } else {
          if (r !== ncols) ragged(r);
          addId(buf.toString('utf8', span[0], span[1]));
          if (slowCells === slowBefore) {
            pos = nextPos;
            continue;
          }
        }
      }
      store.countMissing(off);
      pos = nextPos;
    }
    if (store.rows === 0) {
      throw new InputError('the feature file has a header but no rows', {
        where: `${shown}:${headerLine + 1}`, fix: 'write one line per id after the header',
      });
    }
    return {
      file: shown, format, ids, columns, dim, values: store.finish(),
      missingPerColumn: store.missingPerColumn, rowsWithMissing: store.rowsWithMissing,
      contentHash: hash.digest('hex'),
    };
  } finally {
    closeSync(fd);
  }
}

/** What scanRow leaves behind: the id cell's [start, end), then a failed cell's [start, end). */
const span = new Int32Array(4);
/** scanRow's answer for a line it hands back to the cell-by-cell loop (a quoted number). */
const REDO = -1 << 30;
/** Cells scanRow sent to scanNumber: only those can be NaN, so a row without any needs no missing count. */
let slowCells = 0;

/**
 * Fills one data line's feature cells into values[off..]: returns the number of cells (ncols when
 * the line is whole), -(c + 1) when cell c is not a finite number (cell.status says why), or REDO.
 * The line must be followed by a byte that is not a digit (its newline), so the digit loops need
 * no bounds check. Plain decimals of up to 15 digits with an exponent within 1e±22 are exact in
 * doubles, so mantissa * 10^e (or / 10^-e) is the correctly rounded value, as Number() gives;
 * anything else goes through scanNumber.
 */
function scanRow(b: Buffer, s: number, e: number, delim: number, map: Int32Array, ncols: number, values: Float32Array, off: number): number {
  let c = 0;
  for (;;) {
    if (c >= ncols) return c + 1 + countDelims(b, s, e, delim);
    const m = map[c];
    let end = e;
    if (m >= 0) {
      let i = s;
      let ch = b[i];
      let neg = false;
      if (ch === 45) {
        neg = true;
        ch = b[++i];
      }
      let mant = 0;
      let nd = 0;
      let exp = 0;
      while (ch >= 48 && ch <= 57) {
        mant = mant * 10 + (ch - 48);
        nd++;
        ch = b[++i];
      }
      if (ch === 46) {
        ch = b[++i];
        while (ch >= 48 && ch <= 57) {
          mant = mant * 10 + (ch - 48);
          nd++;
          exp--;
          ch = b[++i];
        }
      }
      if ((ch === 101 || ch === 69) && nd > 0) {
        ch = b[++i];
        let eneg = false;
        if (ch === 45 || ch === 43) {
          eneg = ch === 45;
          ch = b[++i];
        }
        let ex = 0;
        let ed = 0;
        while (ch >= 48 && ch <= 57 && ed < 6) {
          ex = ex * 10 + (ch - 48);
          ed++;
          ch = b[++i];
        }
        exp += eneg ? -ex : ex;
        if (ed === 0) nd = 0;
      }
      let v = NaN;
      if (nd > 0 && nd <= 19 && exp >= -22 && exp <= 22 && (i === e || ch === delim)) {
        v = exp < 0 ? mant / POW10[-exp] : mant * POW10[exp];
        if (neg) v = -v;
        // 16-19 digits (float64 written in full): v is within a few ulps, which decides the
        // float32 unless v lies next to the midpoint between two float32s.
        if (nd > 15 && nearFloat32Midpoint(v)) v = NaN;
        end = i;
      }
      if (v !== v) {
        if (b[s] === 34) return REDO;
        slowCells++;
        v = scanNumber(b, s, e, delim);
        if (cell.status >= CELL_INVALID) {
          span[2] = s;
          span[3] = cell.end;
          return -(c + 1);
        }
        end = cell.end;
      }
      values[off + m] = v;
    } else if (b[s] === 34 && s < e) {
      // A quoted cell; simpleQuotes made sure it has no quote or delimiter inside.
      end = b.indexOf(34, s + 1) + 1;
      if (m === ID) {
        span[0] = s + 1;
        span[1] = end - 1;
      }
    } else {
      end = b.indexOf(delim, s);
      if (end < 0 || end > e) end = e;
      if (m === ID) {
        span[0] = s;
        span[1] = end;
      }
    }
    c++;
    if (end >= e) return c;
    s = end + 1;
  }
}

const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/**
 * True when a double computed with a few ulps of error (a 16-19 digit mantissa times a power of
 * ten) may round to another float32 than the exact decimal does: within 32 ulps of the midpoint
 * between its two nearest float32s (about 1 number in 2^23), or outside float32's normal range.
 */
function nearFloat32Midpoint(v: number): boolean {
  const a = Math.abs(v);
  if (!(a >= 1.2e-38 && a <= 3.4e38)) return v !== 0;
  f32[0] = v;
  const f = f32[0];
  if (f === v) return false;
  // The float32 on the other side of v: one step away from f, towards v.
  i32[0] += (v > f) === (f > 0) ? 1 : -1;
  const mid = (f + f32[0]) / 2;
  return Math.abs(v - mid) <= a * 2 ** -47;
}

/** True when every quote on the line [s, e) wraps a whole cell with no quote or delimiter inside. */
function simpleQuotes(b: Buffer, s: number, e: number, delim: number): boolean {
  let p = b.indexOf(34, s);
  while (p >= 0 && p < e) {
    if (p !== s && b[p - 1] !== delim) return false;
    const q = b.indexOf(34, p + 1);
    if (q < 0 || q >= e || (q + 1 !== e && b[q + 1] !== delim)) return false;
    const d = b.indexOf(delim, p + 1);
    if (d >= 0 && d < q) return false;
    p = b.indexOf(34, q + 1);
  }
  return true;
}

function countDelims(b: Uint8Array, s: number, e: number, delim: number): number {
  let n = 0;
  for (let i = s; i < e; i++) if (b[i] === delim) n++;
  return n;
}
