import { BufferReader, NameRegistry, Parser } from 'pickleparser';
import { InputError } from '@emofuse/core';
import { readInputFile } from './files.ts';

/**
 * Reading Python pickles (no Python involved) with the numpy support the community's IEMOCAP
 * files need: `ndarray` via `numpy.core.multiarray._reconstruct` (numpy 1.x) or
 * `numpy._core.multiarray._reconstruct` (numpy 2), `numpy.dtype`, array bytes as
 * `_codecs.encode(str, 'latin1')` (protocol 2 from Python 3) or as raw Python 2 strings,
 * `_frombuffer` (protocol 5), numpy scalars, and `set` under both builtin module names.
 */

/** A numpy array rebuilt from a pickle: its shape and data as float32/float64/int/... values. */
export class NdArray {
  shape: number[] = [];
  dtype: DType | null = null;
  fortran = false;
  data: ArrayLike<number> | unknown[] = [];

  /** numpy's ndarray.__setstate__: (version, shape, dtype, is_fortran, rawdata). */
  __setstate__(state: unknown[]): void {
    const s = state.length === 5 ? state.slice(1) : state;
    const [shape, dtype, fortran, raw] = s as [number[], DType, boolean, unknown];
    this.shape = shape.map(Number);
    this.dtype = dtype;
    this.fortran = Boolean(fortran);
    this.data = dtype.kind === 'O' ? (raw as unknown[]) : decodeArrayBytes(toBytes(raw), dtype);
    if (this.fortran && this.shape.length === 2) this.data = transpose2d(this.data as ArrayLike<number>, this.shape);
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Rows of a 1-D (one row) or 2-D array as Float32Arrays. */
  rows(): Float32Array[] {
    const data = this.data as ArrayLike<number>;
    if (this.shape.length <= 1) return [Float32Array.from(data)];
    if (this.shape.length !== 2) throw new Error(`expected a 1-D or 2-D array, got shape (${this.shape.join(', ')})`);
    const [n, d] = this.shape;
    const flat = data instanceof Float32Array ? data : Float32Array.from(data);
    const out: Float32Array[] = [];
    for (let r = 0; r < n; r++) out.push(flat.slice(r * d, (r + 1) * d));
    return out;
  }

  /** The value of a 0-d or 1-element array. */
  item(): number {
    return Number((this.data as ArrayLike<number>)[0]);
  }
}

/** numpy.dtype as pickled: dtype(('f4', False, True)) then BUILD with (version, byteorder, ...). */
export class DType {
  str: string;
  byteorder = '|';
  constructor(spec?: unknown) {
    this.str = typeof spec === 'string' ? spec : spec instanceof Uint8Array ? latin1(spec) : String(spec);
  }
  __setstate__(state: unknown[]): void {
    if (Array.isArray(state) && typeof state[1] === 'string') this.byteorder = state[1];
  }
  get kind(): string {
    return this.str[0];
  }
  get itemsize(): number {
    return this.kind === 'O' ? 0 : Number(this.str.slice(1));
  }
  get littleEndian(): boolean {
    return this.byteorder !== '>';
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Array bytes arrive as bytes (protocol 3+, `_codecs.encode`) or as a latin1 string (Python 2 str). */
function toBytes(raw: unknown): Uint8Array {
  if (raw instanceof Uint8Array) return raw;
  if (typeof raw === 'string') return Buffer.from(raw, 'latin1');
  throw new Error(`unsupported numpy array payload of type ${typeof raw}`);
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
type TypedCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayLike<number>;
const TYPED: Record<string, TypedCtor> = {
  f4: Float32Array, f8: Float64Array, i1: Int8Array, u1: Uint8Array, b1: Uint8Array,
  i2: Int16Array, u2: Uint16Array, i4: Int32Array, u4: Uint32Array,
};

function decodeArrayBytes(bytes: Uint8Array, dtype: DType): ArrayLike<number> {
  const size = dtype.itemsize;
  const n = Math.floor(bytes.byteLength / size);
  if (n * size !== bytes.byteLength) throw new Error(`array byte length ${bytes.byteLength} is not a multiple of itemsize ${size} (dtype ${dtype.str})`);
  const le = dtype.littleEndian;
  const key = dtype.kind + size;
  // Fast path: a typed-array view over an aligned copy (this host and the data are little-endian).
  const Typed = le && HOST_LE ? TYPED[key] : undefined;
  if (Typed) {
    const view = new Typed(new Uint8Array(bytes).buffer, 0, n); // a copy: Buffers share a pool
    return view instanceof Float32Array || view instanceof Float64Array ? view : Float64Array.from(view as ArrayLike<number>);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read: Record<string, (o: number) => number> = {
    f4: (o) => view.getFloat32(o, le),
    f8: (o) => view.getFloat64(o, le),
    i1: (o) => view.getInt8(o),
    u1: (o) => view.getUint8(o),
    b1: (o) => view.getUint8(o),
    i2: (o) => view.getInt16(o, le),
    u2: (o) => view.getUint16(o, le),
    i4: (o) => view.getInt32(o, le),
    u4: (o) => view.getUint32(o, le),
    i8: (o) => Number(view.getBigInt64(o, le)),
    u8: (o) => Number(view.getBigUint64(o, le)),
  };
  const get = read[key];
  if (!get) throw new Error(`unsupported numpy dtype ${dtype.str}`);
  const out = key === 'f4' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = get(i * size);
  return out;
}

function transpose2d(data: ArrayLike<number>, shape: number[]): Float64Array {
  const [n, d] = shape;
  const out = new Float64Array(n * d);
  for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) out[r * d + c] = data[c * n + r];
  return out;
}

function frombuffer(buf: unknown, dtype: DType, shape: number[], order: string): NdArray {
  const a = new NdArray();
  a.__setstate__([1, shape, dtype, order === 'F', buf]);
  return a;
}

function scalar(dtype: DType, raw?: unknown): number | unknown {
  if (dtype.kind === 'O') return raw;
  return decodeArrayBytes(toBytes(raw), dtype)[0];
}

function makeRegistry(): NameRegistry {
  const reg = new NameRegistry();
  for (const mod of ['numpy.core.multiarray', 'numpy._core.multiarray']) {
    reg.register(mod, '_reconstruct', () => new NdArray());
    reg.register(mod, 'scalar', scalar);
  }
  for (const mod of ['numpy.core.numeric', 'numpy._core.numeric']) reg.register(mod, '_frombuffer', frombuffer);
  reg.register('numpy', 'ndarray', function ndarray() {});
  reg.register('numpy', 'dtype', (spec: unknown) => new DType(spec));
  reg.register('_codecs', 'encode', (s: string, enc = 'utf-8') => Buffer.from(s, /latin|8859/i.test(enc) ? 'latin1' : 'utf8'));
  for (const mod of ['__builtin__', 'builtins']) {
    reg.register(mod, 'set', (items: unknown[] = []) => new Set(items));
    reg.register(mod, 'frozenset', (items: unknown[] = []) => new Set(items));
    reg.register(mod, 'bytearray', (x: unknown = []) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Uint8Array.from(x as number[])));
  }
  return reg;
}

/**
 * pickleparser decodes Python 2 `str` (BINSTRING/SHORT_BINSTRING) with TextDecoder('ascii'), which
 * is really windows-1252 and not reversible into the original bytes. Decoding them as latin1
 * keeps every byte, so array payloads survive and text can be re-decoded as UTF-8 later.
 */
class Latin1Reader extends BufferReader {
  private readonly buf: Uint8Array;
  constructor(buf: Uint8Array) {
    super(buf);
    this.buf = buf;
  }
  override string(size: number, encoding: 'ascii' | 'utf-8'): string {
    const bytes = this.bytes(size) as Uint8Array;
    // Buffer's decoders are several times faster than TextDecoder on many short strings.
    return encoding === 'utf-8' ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : latin1(bytes);
  }
  /**
   * Protocol 0 (Python 2's default) writes str as `S'<repr>'` and unicode as `V<raw-unicode-escape>`;
   * pickleparser only strips the quotes. The byte before a line is its opcode for these two
   * (the second line of GLOBAL follows a newline), so decode the escapes here.
   */
  override line(): string {
    const op = this.position > 0 ? this.buf[this.position - 1] : -1;
    const text = super.line();
    if (op === 0x53 && text.length >= 2) return text[0] + unescapePy2(text.slice(1, -1)) + text[text.length - 1];
    if (op === 0x56) return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4, u8) => String.fromCodePoint(parseInt(u4 ?? u8, 16)));
    return text;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' };

/** Python's string-escape decoding (the inverse of repr for a Python 2 str), as latin1 chars. */
function unescapePy2(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|[\s\S])/g, (m, e: string) => {
    if (e[0] === 'x' && e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    return SIMPLE_ESCAPES[e] ?? m;
  });
}

/**
 * Parse a pickle file into JS values: dicts as plain objects (the DICT opcode of protocols 0-1 only
 * works with those in pickleparser), sets as Sets, tuples and lists as arrays.
 */
export function loadPickle(file: string): unknown {
  const buf = readInputFile(file, 'pickle file', 'check the corpus path');
  const parser = new Parser({ nameResolver: makeRegistry(), unpicklingTypeOfDictionary: 'object', unpicklingTypeOfSet: 'Set' });
  try {
    return parser.read(new Latin1Reader(buf));
  } catch (e) {
    const why = notAPickle(buf, (e as Error).message);
    throw new InputError(why, {
      where: file,
      fix: /truncated|ends early/.test(why)
        ? 'copy the file again from its source (compare its size with the original)'
        : /CSV/.test(why)
          ? 'give the .pkl file as the corpus path, or read this file as corpus type manifest'
          : 'pass the original .pkl file (Python pickle protocol 0-5)',
      cause: e,
    });
  }
}

/** Why bytes that failed to unpickle are not a pickle, in words a user can act on. */
function notAPickle(buf: Buffer, parserMessage: string): string {
  if (buf.length === 0) return 'the file is empty, not a pickle';
  if (buf[0] === 0x1f && buf[1] === 0x8b) return 'this is a gzip file, not a pickle: gunzip it first';
  if (buf[0] === 0x50 && buf[1] === 0x4b) return 'this is a zip archive, not a pickle: unpack it first';
  const ended = /end of (file|buffer|data)|out of range|beyond/i.test(parserMessage);
  if (buf[0] === 0x80) {
    return ended
      ? `the pickle (protocol ${buf[1]}) ends early at byte ${buf.length}: the file is truncated`
      : `the pickle (protocol ${buf[1]}) is corrupt: ${parserMessage}`;
  }
  const head = buf.subarray(0, 1024);
  const printable = head.filter((b) => b === 9 || b === 10 || b === 13 || (b >= 0x20 && b !== 0x7f)).length;
  if (!head.includes(0) && printable / head.length > 0.95) {
    const first = head.toString('utf8').split(/\r?\n/)[0].slice(0, 60);
    return `this is a text file, not a pickle (it begins ${JSON.stringify(first)})${/[,\t]/.test(first) ? '; a CSV corpus is read as corpus type manifest' : ''}`;
  }
  return ended ? `the file ends early at byte ${buf.length}: truncated or not a pickle` : `not a readable pickle (${parserMessage})`;
}

/**
 * Text that came from a Python 2 byte string: we hold it as latin1; if its bytes are valid UTF-8,
 * that is what the writer meant (IEMOCAP's files were written on UTF-8 systems).
 */
export function py2Text(value: unknown): string {
  if (value instanceof Uint8Array) return new TextDecoder('utf-8').decode(value);
  const s = String(value);
  // Pure ASCII needs nothing; a char above U+00FF means it was decoded as unicode already.
  if (!/[\u0080-\uffff]/.test(s) || /[\u0100-\uffff]/.test(s)) return s;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(s, 'latin1'));
  } catch {
    return s;
  }
}
