import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { unzipSync } from 'fflate';
import { InputError } from '@emofuse/core';
import { IdSet, countMissing, hashFile, listNames, selectColumns } from './common.ts';
import type { FeatureFileOptions, FeatureTable } from './common.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const CHUNK = 8 << 20;

/** Bytes to read from: a file (by descriptor) or memory (an .npz entry). */
interface Source {
  size: number;
  read(pos: number, into: Uint8Array): number;
}

export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
}

/** Parses the header of an .npy file (magic, version, then a Python dict literal). */
export function parseNpyHeader(head: Uint8Array, shown: string): NpyHeader {
  const corrupt = (what: string): never => {
    throw new InputError(`not a valid .npy file: ${what}`, { where: shown, fix: 'write it again with numpy.save' });
  };
  if (head.length < 10 || !MAGIC.every((m, i) => head[i] === m)) corrupt('it does not start with \\x93NUMPY');
  const major = head[6];
  if (major < 1 || major > 3) corrupt(`unknown format version ${major}.${head[7]}`);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const start = major === 1 ? 10 : 12;
  if (head.length < start) corrupt('the header is cut short');
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (head.length < start + hlen) corrupt('the header is cut short');
  const text = Buffer.from(head.buffer, head.byteOffset + start, hlen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined) {
    if (/'descr'\s*:\s*\[/.test(text)) {
      throw new InputError('the .npy array has a structured (record) dtype', {
        where: shown, fix: 'save a plain 2-D float array (numpy.save(path, x.astype("float32"))) and its ids separately',
      });
    }
    corrupt('its header has no descr');
  }
  if (fortran === undefined || shapeText === undefined) corrupt('its header has no fortran_order or shape');
  const shape = shapeText!.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) corrupt(`bad shape (${shapeText})`);
  return { descr: descr!, fortranOrder: fortran === 'True', shape, dataOffset: start + hlen };
}

interface Dtype {
  size: number;
  /** Converts `n` items from bytes (8-byte aligned), handing item base+i to put. */
  convert(bytes: Uint8Array, n: number, put: (k: number, v: number) => void, base: number): void;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function dtypeOf(descr: string, shown: string): Dtype {
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const unsupported = (): never => {
    throw new InputError(`the array's dtype "${descr}" is not supported`, {
      where: shown, fix: 'save the features as float32 or float64 (numpy.save(path, x.astype("<f4")))',
    });
  };
  if (!m) return unsupported();
  const [, order, kind, bytesText] = m;
  const size = Number(bytesText);
  if (order === '>' && size > 1) {
    throw new InputError(`the array is big-endian ("${descr}")`, { where: shown, fix: 'save it little-endian: numpy.save(path, x.astype("<f4"))' });
  }
  const view = <T>(make: (b: ArrayBuffer, o: number, n: number) => T) => (bytes: Uint8Array, n: number) => make(bytes.buffer as ArrayBuffer, bytes.byteOffset, n);
  const loop = (get: (bytes: Uint8Array, n: number) => ArrayLike<number | bigint>) => (bytes: Uint8Array, n: number, put: (k: number, v: number) => void, base: number) => {
    const a = get(bytes, n);
    for (let i = 0; i < n; i++) put(base + i, Number(a[i]));
  };
  const key = `${kind}${size}`;
  const table: Partial<Record<string, Dtype['convert']>> = {
    f4: loop(view((b, o, n) => new Float32Array(b, o, n))),
    f8: loop(view((b, o, n) => new Float64Array(b, o, n))),
    i1: loop(view((b, o, n) => new Int8Array(b, o, n))),
    i2: loop(view((b, o, n) => new Int16Array(b, o, n))),
    i4: loop(view((b, o, n) => new Int32Array(b, o, n))),
    i8: loop(view((b, o, n) => new BigInt64Array(b, o, n))),
    u1: loop(view((b, o, n) => new Uint8Array(b, o, n))),
    b1: loop(view((b, o, n) => new Uint8Array(b, o, n))),
    u2: loop(view((b, o, n) => new Uint16Array(b, o, n))),
    u4: loop(view((b, o, n) => new Uint32Array(b, o, n))),
    u8: loop(view((b, o, n) => new BigUint64Array(b, o, n))),
  };
  if (key === 'f2') {
    const halves = view((b, o, n) => new Uint16Array(b, o, n));
    return {
      size, convert: (bytes, n, put, base) => {
        const a = halves(bytes, n);
        for (let i = 0; i < n; i++) put(base + i, halfToFloat(a[i]));
      },
    };
  }
  const convert = table[key];
  return convert ? { size, convert } : unsupported();
}

/**
 * Decodes a 1-D or 2-D numeric .npy array into a row-major float32 matrix. Little-endian float32
 * in C order is read straight into the result (no copy); other dtypes and Fortran order go
 * through an 8 MB buffer. `onBytes` sees every byte read, in order, for the content hash.
 */
function decodeNpy(src: Source, shown: string, onBytes?: (b: Uint8Array) => void): { rows: number; cols: number; values: Float32Array } {
  const head = new Uint8Array(Math.min(src.size, 65536 + 12));
  const got = src.read(0, head);
  const h = parseNpyHeader(head.subarray(0, got), shown);
  if (h.shape.length === 0 || h.shape.length > 2) {
    throw new InputError(`the array has shape (${h.shape.join(', ')}); a feature array is 2-D (rows x features) or 1-D`, {
      where: shown, fix: 'save one row per id: x.reshape(len(ids), -1)',
    });
  }
  const rows = h.shape[0];
  const cols = h.shape.length === 2 ? h.shape[1] : 1;
  const dt = dtypeOf(h.descr, shown);
  const count = rows * cols;
  const need = h.dataOffset + count * dt.size;
  if (src.size < need) {
    throw new InputError(`the .npy file is cut short: its header says ${h.shape.join(' x ')} ${h.descr} (${need} bytes), the file has ${src.size}`, {
      where: shown, fix: 'write it again with numpy.save (was it copied while still being written?)',
    });
  }
  if (onBytes) onBytes(head.subarray(0, Math.min(got, h.dataOffset)));
  const values = new Float32Array(count);
  let pos = h.dataOffset;
  if (h.descr.slice(1) === 'f4' && (!h.fortranOrder || cols === 1)) {
    const bytes = new Uint8Array(values.buffer);
    for (let at = 0; at < bytes.length;) {
      const n = src.read(pos, bytes.subarray(at, Math.min(bytes.length, at + CHUNK)));
      if (n === 0) break;
      if (onBytes) onBytes(bytes.subarray(at, at + n));
      at += n;
      pos += n;
    }
  } else {
    const put = h.fortranOrder && cols > 1
      ? (k: number, v: number) => { values[(k % rows) * cols + Math.floor(k / rows)] = v; }
      : (k: number, v: number) => { values[k] = v; };
    const chunkItems = Math.floor(CHUNK / dt.size);
    const buf = new Uint8Array(chunkItems * dt.size);
    for (let k = 0; k < count;) {
      const items = Math.min(chunkItems, count - k);
      const n = src.read(pos, buf.subarray(0, items * dt.size));
      if (n < items * dt.size) break;
      if (onBytes) onBytes(buf.subarray(0, n));
      dt.convert(buf, items, put, k);
      k += items;
      pos += n;
    }
  }
  // Bytes past the data (a stray tail) still belong in the content hash.
  if (onBytes && pos < src.size) {
    const tail = new Uint8Array(Math.min(CHUNK, src.size - pos));
    for (let n; (n = src.read(pos, tail)) > 0; pos += n) onBytes(tail.subarray(0, n));
  }
  return { rows, cols, values };
}

function fileSource(fd: number): Source {
  return { size: fstatSync(fd).size, read: (pos, into) => readSync(fd, into, 0, into.length, pos) };
}

function memorySource(bytes: Uint8Array): Source {
  return {
    size: bytes.length,
    read(pos, into) {
      const n = Math.max(0, Math.min(into.length, bytes.length - pos));
      into.set(bytes.subarray(pos, pos + n));
      return n;
    },
  };
}

/** Checks values for infinities, keeps the chosen columns, and builds the table. */
function finishTable(
  shown: string, format: string, ids: string[], m: { rows: number; cols: number; values: Float32Array },
  opts: FeatureFileOptions, contentHash: string,
): FeatureTable {
  const names = Array.from({ length: m.cols }, (_, j) => String(j));
  const picked = selectColumns(names, opts.columns, (c) => `${shown}: column ${c}`);
  let values = m.values;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (v === Infinity || v === -Infinity) {
      const r = Math.floor(k / m.cols);
      throw new InputError(`value ${v} for id "${ids[r]}" is infinite`, {
        where: `${shown}: row ${r}, column ${k % m.cols}`, fix: 'replace infinities with finite numbers, or NaN where the value is missing',
      });
    }
  }
  const dim = picked.length;
  if (dim !== m.cols || picked.some((p, j) => p !== j)) {
    // Compacts in place: row r's kept cells land at or before where they were read from.
    for (let r = 0; r < m.rows; r++) for (let j = 0; j < dim; j++) values[r * dim + j] = values[r * m.cols + picked[j]];
    values = values.slice(0, m.rows * dim);
  }
  return {
    file: shown, format, ids, columns: picked.map((p) => names[p]), dim, values,
    ...countMissing(values, m.rows, dim), contentHash,
  };
}

function checkIds(ids: string[], rows: number, shown: string, idsWhere: (i: number) => string, fix: string): void {
  if (ids.length !== rows) {
    throw new InputError(`there are ${ids.length} ids for ${rows} rows`, { where: shown, fix });
  }
  const seen = new IdSet();
  ids.forEach((id, i) => {
    if (id === '') throw new InputError('an id is empty', { where: idsWhere(i), fix: 'give every row an id' });
    const before = seen.add(id, i);
    if (before >= 0) {
      throw new InputError(`id "${id}" appears twice, at ${idsWhere(before)} and ${idsWhere(i)}`, { where: idsWhere(i), fix: 'keep one row per id' });
    }
  });
}

/** The ids of a .npy file: one per line, or the id column of a .csv/.tsv. */
function readIdsFile(file: string, shown: string, idColumn: string): { ids: string[]; where: (i: number) => string } {
  if (!existsSync(file)) throw new InputError('the ids file does not exist', { where: shown, fix: 'check the path given as ids' });
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') {
    const rows = parse(text, { delimiter: ext === '.tsv' ? '\t' : ',', relax_column_count: true, skip_empty_lines: true }) as string[][];
    const header = (rows[0] ?? []).map((h) => h.trim());
    const col = header.indexOf(idColumn);
    if (col < 0) {
      throw new InputError(`no id column "${idColumn}" in the ids file`, { where: `${shown}:1:${idColumn}`, fix: `name it with idColumn (the columns are: ${listNames(header)})` });
    }
    return { ids: rows.slice(1).map((r) => (r[col] ?? '').trim()), where: (i) => `${shown}:${i + 2}` };
  }
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  return { ids: lines.map((l) => l.trim()), where: (i) => `${shown}:${i + 1}` };
}

export function readNpyFeatures(file: string, shown: string, opts: FeatureFileOptions): FeatureTable {
  if (!opts.ids) {
    throw new InputError('a .npy file holds no ids', {
      where: shown, fix: 'pass ids: a file with one id per line in row order (or a .csv with an id column), or save an .npz with an ids array',
    });
  }
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  let m: ReturnType<typeof decodeNpy>;
  try {
    m = decodeNpy(fileSource(fd), shown, (b) => hash.update(b));
  } finally {
    closeSync(fd);
  }
  const idsFile = path.resolve(opts.ids);
  const { ids, where } = readIdsFile(idsFile, opts.ids, opts.idColumn ?? 'id');
  hashFile(idsFile, hash);
  checkIds(ids, m.rows, opts.ids, where, `write one id per row of ${shown}, in the same order`);
  return finishTable(shown, 'npy', ids, m, opts, hash.digest('hex'));
}

/** Decodes an .npz array of ids: unicode (<U), bytes (|S) or integers; refuses pickled object arrays. */
function decodeIds(entry: Uint8Array, shown: string, name: string): string[] {
  const where = `${shown}: array ${name}`;
  const h = parseNpyHeader(entry, where);
  const m = /^([<>|=])([USiu])(\d+)$/.exec(h.descr);
  if (!m) {
    throw new InputError(`the ids array has dtype "${h.descr}"${h.descr === '|O' ? ' (Python objects, pickled)' : ''}`, {
      where, fix: 'save the ids as strings: numpy.savez(path, features=x, ids=numpy.array(ids, dtype=str))',
    });
  }
  const n = h.shape.reduce((a, b) => a * b, 1);
  const size = Number(m[3]);
  const data = entry.subarray(h.dataOffset);
  const ids: string[] = [];
  if (m[2] === 'U') {
    const item = size * 4;
    for (let i = 0; i < n; i++) {
      const dv = new DataView(data.buffer, data.byteOffset + i * item, item);
      let s = '';
      for (let k = 0; k < size; k++) {
        const cp = dv.getUint32(k * 4, m[1] !== '>');
        if (cp === 0) break;
        s += String.fromCodePoint(cp);
      }
      ids.push(s);
    }
  } else if (m[2] === 'S') {
    for (let i = 0; i < n; i++) {
      const b = data.subarray(i * size, (i + 1) * size);
      const z = b.indexOf(0);
      ids.push(Buffer.from(b.buffer, b.byteOffset, z < 0 ? size : z).toString('utf8'));
    }
  } else {
    const mm = decodeNpy(memorySource(entry), where);
    for (let i = 0; i < mm.values.length; i++) ids.push(String(mm.values[i]));
  }
  return ids;
}

export function readNpzFeatures(file: string, shown: string, opts: FeatureFileOptions): FeatureTable {
  const bytes = readFileSync(file);
  const contentHash = createHash('sha256').update(bytes).digest('hex');
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new InputError(`not a valid .npz file (it cannot be unzipped: ${(e as Error).message})`, {
      where: shown, fix: 'write it again with numpy.savez or numpy.savez_compressed',
    });
  }
  const names = Object.keys(entries).filter((n) => n.endsWith('.npy')).map((n) => n.slice(0, -4));
  const idsName = opts.ids ?? 'ids';
  if (!names.includes(idsName)) {
    throw new InputError(`no ids array "${idsName}" in the .npz file`, {
      where: shown, fix: `name the ids array with ids (the arrays are: ${listNames(names)}), or save one: numpy.savez(path, features=x, ids=numpy.array(ids, dtype=str))`,
    });
  }
  let arrayName = opts.array ?? undefined;
  if (arrayName === undefined) {
    const candidates = names.filter((n) => {
      if (n === idsName) return false;
      try {
        const h = parseNpyHeader(entries[`${n}.npy`], `${shown}: array ${n}`);
        return h.shape.length === 2 && /^[<|=][fiu]\d+$/.test(h.descr);
      } catch {
        return false;
      }
    });
    if (candidates.length !== 1) {
      throw new InputError(candidates.length === 0 ? 'the .npz file has no 2-D numeric array' : `the .npz file has ${candidates.length} 2-D numeric arrays (${candidates.join(', ')})`, {
        where: shown, fix: `name the feature array with array (the arrays are: ${listNames(names)})`,
      });
    }
    arrayName = candidates[0];
  } else if (!names.includes(arrayName)) {
    throw new InputError(`no array "${arrayName}" in the .npz file`, { where: shown, fix: `name one of: ${listNames(names)}` });
  }
  const ids = decodeIds(entries[`${idsName}.npy`], shown, idsName);
  const m = decodeNpy(memorySource(entries[`${arrayName}.npy`]), `${shown}: array ${arrayName}`);
  checkIds(ids, m.rows, `${shown}: array ${idsName}`, (i) => `${shown}: array ${idsName}, row ${i}`, `save one id per row of ${arrayName}, in the same order`);
  return finishTable(shown, 'npz', ids, m, opts, contentHash);
}
