import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { InputError, isEmofuseError } from '@emofuse/core';
import { IdSet, countMissing, hashFile, listNames, selectColumns } from './common.ts';
import type { FeatureFileOptions, FeatureTable } from './common.ts';

/** Compressed bytes of feature columns decoded per parquetRead call, to bound memory on wide files. */
const BATCH_BYTES = 64 << 20;

/** Byte ranges read with positioned reads on one descriptor (hyparquet's own opens a stream per slice). */
function fileBuffer(fd: number): AsyncBuffer {
  return {
    byteLength: fstatSync(fd).size,
    slice(start: number, end?: number): ArrayBuffer {
      const stop = end ?? this.byteLength;
      const out = new Uint8Array(Math.max(0, stop - start));
      let at = 0;
      while (at < out.length) {
        const n = readSync(fd, out, at, out.length - at, start + at);
        if (n === 0) break;
        at += n;
      }
      return out.buffer;
    },
  };
}

function corrupt(shown: string, e: unknown): InputError {
  return new InputError(`not a valid Parquet file: ${(e as Error).message}`, {
    where: shown, fix: 'write it again (pandas: df.to_parquet(path); pyarrow: pyarrow.parquet.write_table)', cause: e,
  });
}

export async function readParquetFeatures(file: string, shown: string, opts: FeatureFileOptions): Promise<FeatureTable> {
  const fd = openSync(file, 'r');
  try {
    const buffer = fileBuffer(fd);
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(buffer);
    } catch (e) {
      throw corrupt(shown, e);
    }
    const schema = parquetSchema(metadata);
    const names = schema.children.map((c) => c.element.name);
    const idColumn = opts.idColumn ?? 'id';
    if (!names.includes(idColumn)) {
      throw new InputError(`no id column "${idColumn}" in the Parquet file`, {
        where: `${shown}: column ${idColumn}`,
        fix: `name the id column with idColumn (the columns are: ${listNames(names)}); pandas writes a named index as a column (df.set_index("${idColumn}").to_parquet(path))`,
      });
    }
    // pandas keeps an unnamed non-default index as __index_level_N__: not a feature.
    const available = names.filter((n) => n !== idColumn && !/^__index_level_\d+__$/.test(n));
    const picked = selectColumns(available, opts.columns, (c) => `${shown}: column ${c}`);
    const columns = picked.map((i) => available[i]);
    if (columns.length === 0) {
      throw new InputError('the file has no feature columns besides the id', { where: shown, fix: 'add one column per feature' });
    }
    for (const c of columns) {
      const node = schema.children.find((n) => n.element.name === c)!;
      if (node.children.length > 0) {
        throw new InputError(`column "${c}" is nested (a list or struct), not one number per row`, {
          where: `${shown}: column ${c}`, fix: 'write one plain numeric column per feature',
        });
      }
    }
    const rows = Number(metadata.num_rows);
    if (rows === 0) throw new InputError('the Parquet file has no rows', { where: shown, fix: 'write one row per id' });
    const dim = columns.length;
    const values = new Float32Array(rows * dim);
    const ids = new Array<string>(rows);
    const colIndex = new Map(columns.map((c, j) => [c, j]));

    const badValue = (row: number, column: string, v: unknown, what: string): never => {
      throw new InputError(`value ${typeof v === 'string' ? JSON.stringify(v) : String(v)} ${what}`, {
        where: `${shown}: row ${row}, column ${column}`,
        fix: what === 'is infinite' ? 'replace infinities with finite numbers, or null/NaN where the value is missing'
          : 'keep only numeric feature columns (leave others out with columns)',
      });
    };
    // hyparquet calls onChunk from promises it does not await: keep the first error and throw it after the read.
    let failure: unknown;
    const onChunk = (chunk: { columnName: string; columnData: ArrayLike<unknown>; rowStart: number }) => {
      if (failure !== undefined) return;
      try {
        fill(chunk);
      } catch (e) {
        failure = e;
      }
    };
    const fill = ({ columnName, columnData, rowStart }: { columnName: string; columnData: ArrayLike<unknown>; rowStart: number }) => {
      if (columnName === idColumn) {
        for (let i = 0; i < columnData.length; i++) {
          const v = columnData[i];
          if (v === null || v === undefined || v === '') {
            throw new InputError('the id is empty (null)', { where: `${shown}: row ${rowStart + i}, column ${idColumn}`, fix: 'give every row an id' });
          }
          ids[rowStart + i] = String(v);
        }
        return;
      }
      const j = colIndex.get(columnName);
      if (j === undefined) return;
      const n = columnData.length;
      // Typed arrays (no nulls) take the fast loop; plain arrays may hold null, bigint or strings.
      if (ArrayBuffer.isView(columnData) && !(columnData instanceof BigInt64Array) && !(columnData instanceof BigUint64Array)) {
        const a = columnData as unknown as Float64Array;
        for (let i = 0, k = rowStart * dim + j; i < n; i++, k += dim) {
          const v = a[i];
          if (v === Infinity || v === -Infinity) badValue(rowStart + i, columnName, v, 'is infinite');
          values[k] = v;
        }
        return;
      }
      for (let i = 0, k = rowStart * dim + j; i < n; i++, k += dim) {
        const v = columnData[i];
        let x: number;
        if (typeof v === 'number') x = v;
        else if (v === null || v === undefined) x = NaN;
        else if (typeof v === 'bigint') x = Number(v);
        else if (typeof v === 'boolean') x = v ? 1 : 0;
        else return badValue(rowStart + i, columnName, v, 'is not a number');
        if (x === Infinity || x === -Infinity) badValue(rowStart + i, columnName, v, 'is infinite');
        values[k] = x;
      }
    };
    const read = async (cols: string[]) => {
      try {
        await parquetRead({ file: buffer, metadata, columns: cols, compressors, onChunk });
      } catch (e) {
        failure ??= isEmofuseError(e) ? e : corrupt(shown, e);
      }
      if (failure !== undefined) throw failure;
    };

    // Column chunks' compressed sizes, summed over row groups, to batch columns by bytes.
    const bytesOf = new Map<string, number>();
    for (const g of metadata.row_groups) {
      for (const c of g.columns) {
        const name = c.meta_data?.path_in_schema[0];
        if (name) bytesOf.set(name, (bytesOf.get(name) ?? 0) + Number(c.meta_data?.total_compressed_size ?? 0));
      }
    }
    await read([idColumn]);
    for (let s = 0; s < columns.length;) {
      let e = s;
      let bytes = 0;
      while (e < columns.length && (e === s || bytes + (bytesOf.get(columns[e]) ?? 0) <= BATCH_BYTES)) bytes += bytesOf.get(columns[e++]) ?? 0;
      await read(columns.slice(s, e));
      s = e;
    }

    const seen = new IdSet();
    for (let r = 0; r < rows; r++) {
      if (ids[r] === undefined) throw corrupt(shown, new Error(`row ${r} has no id`));
      const before = seen.add(ids[r], r);
      if (before >= 0) {
        throw new InputError(`id "${ids[r]}" appears twice, in rows ${before} and ${r}`, {
          where: `${shown}: row ${r}, column ${idColumn}`, fix: 'keep one row per id',
        });
      }
    }
    const contentHash = hashFile(file).digest('hex');
    return { file: shown, format: 'parquet', ids, columns, dim, values, ...countMissing(values, rows, dim), contentHash };
  } finally {
    closeSync(fd);
  }
}
