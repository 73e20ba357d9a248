import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  Field, FixedSizeList, Float32, Int32, RecordBatch, Schema, Struct, Table, Utf8,
  makeData, tableFromIPC, tableToIPC, vectorFromArray,
} from 'apache-arrow';
import { EmofuseError, fingerprint, writeFileAtomic } from '@emofuse/core';
import type { FeatureMatrix, SequenceMatrix } from '@emofuse/core';

/** Bumped whenever the stored layout or an extractor's meaning changes, so old entries miss. */
export const FEATURE_CACHE_VERSION = 1;

export type CachedValue = FeatureMatrix | SequenceMatrix;

/** What identifies a file's content cheaply: path, size and modification time. */
export interface FileStamp {
  path: string;
  size: number;
  mtimeMs: number;
}

export function fileStamp(file: string): FileStamp {
  const st = statSync(file);
  return { path: path.resolve(file), size: st.size, mtimeMs: Math.round(st.mtimeMs) };
}

// The cache keys a file by its content hash (core's contentHash), so a clone in another folder,
// or a copy of the data, finds the features already made, and an edited file never does.
export { contentHash } from '@emofuse/core';

/**
 * The cache key: a fingerprint of everything the features depend on. Pass the utterance ids, the
 * input files' stamps (fileStamp) or content hashes, the extractor and its config, and versions
 * (opensmile's, the tokenizer's, the embeddings file stamp); FEATURE_CACHE_VERSION is added here.
 */
export function featureCacheKey(inputs: Record<string, unknown>): string {
  return fingerprint({ cache: FEATURE_CACHE_VERSION, ...inputs }, 32);
}

function isSequence(v: CachedValue): v is SequenceMatrix {
  return (v as SequenceMatrix).steps !== undefined;
}

function digest(ids: string[], values: Float32Array, lengths?: Int32Array): string {
  const h = createHash('sha256');
  h.update(ids.join('\u0000'));
  h.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  if (lengths) h.update(new Uint8Array(lengths.buffer, lengths.byteOffset, lengths.byteLength));
  return h.digest('hex');
}

interface Meta {
  kind: 'matrix' | 'sequence';
  rows: number;
  dim: number;
  steps?: number;
  sha256: string;
  version: number;
}

/** Arrow IPC file: column `id` (utf8), `values` (fixed-size list of float32 per row), `length` for sequences. */
export function encodeArrow(value: CachedValue): Uint8Array {
  const n = value.ids.length;
  const seq = isSequence(value);
  const width = seq ? value.steps * value.dim : value.dim;
  if (value.values.length !== n * width) {
    throw new EmofuseError(`values has ${value.values.length} numbers, expected ${n} x ${width}`, { where: 'feature cache' });
  }
  const meta: Meta = {
    kind: seq ? 'sequence' : 'matrix',
    rows: n,
    dim: value.dim,
    steps: seq ? value.steps : undefined,
    sha256: digest(value.ids, value.values, seq ? value.lengths : undefined),
    version: FEATURE_CACHE_VERSION,
  };
  const listType = new FixedSizeList(width, new Field('x', new Float32(), false));
  const valuesData = makeData({
    type: listType,
    length: n,
    nullCount: 0,
    child: makeData({ type: new Float32(), length: n * width, nullCount: 0, data: value.values }),
  });
  // Typed loosely: the columns differ in type, which Arrow's generics cannot express as one array.
  const fields: Field[] = [new Field('id', new Utf8(), false), new Field('values', listType, false)];
  const children: ReturnType<typeof makeData>[] = [vectorFromArray(value.ids, new Utf8()).data[0], valuesData];
  if (seq) {
    fields.push(new Field('length', new Int32(), false));
    children.push(makeData({ type: new Int32(), length: n, nullCount: 0, data: value.lengths }));
  }
  const schema = new Schema(fields, new Map([['emofuse', JSON.stringify(meta)]]));
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children }));
  return tableToIPC(new Table(schema, batch), 'file');
}

/** Inverse of encodeArrow; throws when the bytes are not a complete, self-consistent entry. */
export function decodeArrow(bytes: Uint8Array): CachedValue {
  const table = tableFromIPC(bytes);
  const raw = table.schema.metadata.get('emofuse');
  if (!raw) throw new Error('no emofuse metadata in the Arrow schema');
  const meta = JSON.parse(raw) as Meta;
  if (table.numRows !== meta.rows) throw new Error(`${table.numRows} rows, the metadata says ${meta.rows}`);
  const ids = (table.getChild('id')?.toArray() ?? []) as string[];
  const valuesCol = table.getChild('values');
  if (!valuesCol) throw new Error('no values column');
  const width = meta.kind === 'sequence' ? meta.steps! * meta.dim : meta.dim;
  const values = new Float32Array(meta.rows * width);
  let off = 0;
  for (const d of valuesCol.data) {
    const child = d.children[0];
    const part = (child.values as Float32Array).subarray(child.offset + d.offset * width, child.offset + (d.offset + d.length) * width);
    values.set(part, off);
    off += part.length;
  }
  if (off !== values.length) throw new Error(`${off} values, expected ${values.length}`);
  let lengths: Int32Array | undefined;
  if (meta.kind === 'sequence') {
    const col = table.getChild('length');
    if (!col) throw new Error('no length column');
    lengths = Int32Array.from(col.toArray() as Int32Array);
  }
  if (digest(ids, values, lengths) !== meta.sha256) throw new Error('content checksum mismatch');
  return meta.kind === 'sequence'
    ? { ids, steps: meta.steps!, dim: meta.dim, values, lengths: lengths! }
    : { ids, dim: meta.dim, values };
}

/**
 * Feature matrices and sequences on disk, one Arrow IPC file per key (`<dir>/<key>.arrow`).
 * Writes go to a temporary sibling and are renamed into place, so a crash mid-write leaves at most
 * a stray `.<key>.arrow.tmp-*` file that reads never look at (removeStrayTemps cleans them).
 * An entry that does not decode (truncated, corrupted, checksum mismatch) is reported through
 * `onWarning`, deleted and recomputed.
 */
export class FeatureCache {
  private readonly warn: (msg: string) => void;
  constructor(
    readonly dir: string,
    opts: { onWarning?: (msg: string) => void } = {},
  ) {
    this.warn = opts.onWarning ?? ((msg) => process.emitWarning(msg, 'EmofuseCacheWarning'));
  }

  pathFor(key: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(key)) {
      throw new EmofuseError(`invalid cache key ${JSON.stringify(key)}`, { where: this.dir, fix: 'build keys with featureCacheKey(...)' });
    }
    return path.join(this.dir, `${key}.arrow`);
  }

  /** The stored value, or undefined when absent or unreadable (then the entry is removed). */
  get<T extends CachedValue = CachedValue>(key: string): T | undefined {
    const file = this.pathFor(key);
    if (!existsSync(file)) return undefined;
    try {
      return decodeArrow(readFileSync(file)) as T;
    } catch (e) {
      this.warn(`feature cache entry ${file} is corrupt (${(e as Error).message}); recomputing it`);
      rmSync(file, { force: true });
      return undefined;
    }
  }

  put(key: string, value: CachedValue): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.pathFor(key), encodeArrow(value));
  }

  async getOrCompute<T extends CachedValue>(key: string, compute: () => T | Promise<T>): Promise<{ value: T; hit: boolean }> {
    const cached = this.get<T>(key);
    if (cached) return { value: cached, hit: true };
    const value = await compute();
    this.put(key, value);
    return { value, hit: false };
  }

  /** Deletes temporary files left by interrupted writes; returns how many. */
  removeStrayTemps(): number {
    if (!existsSync(this.dir)) return 0;
    let n = 0;
    for (const f of readdirSync(this.dir)) {
      if (/^\..+\.arrow\.tmp-/.test(f)) {
        rmSync(path.join(this.dir, f), { force: true });
        n++;
      }
    }
    return n;
  }
}
