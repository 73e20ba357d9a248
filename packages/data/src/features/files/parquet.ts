import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, DecodedArray, FileMetaData, SchemaTree } from 'hyparquet';
// hyparquet's page-level readers (public files of the package: "./src/*.js" in its exports).
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { readPlain } from 'hyparquet/src/plain.js';
import { getMaxDefinitionLevel, getMaxRepetitionLevel } from 'hyparquet/src/schema.js';
import { compressors } from 'hyparquet-compressors';
import { InputError, isEmofuseError } from '@emofuse/core';
import { IdSet, countMissing, fillByColumns, hashFile, listNames, selectColumns } from './common.ts';
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

/**
 * Decodes one flat FLOAT or DOUBLE column page by page into `out` (one float per row).
 * hyparquet's own column read assembles every value of a nullable column into a JS array
 * (Dremel assembly), which took two thirds of the time on a 100k x 1024 file; a flat column
 * needs only its definition levels to place the nulls.
 */
function readFloatColumn(
  buffer: AsyncBuffer, metadata: FileMetaData, schemaPath: SchemaTree[], out: Float32Array,
  onInfinite: (row: number, v: number) => never,
): void {
  const name = schemaPath[1].element.name;
  const element = schemaPath[schemaPath.length - 1].element;
  const maxDef = getMaxDefinitionLevel(schemaPath);
  let groupStart = 0;
  for (const rg of metadata.row_groups) {
    const groupRows = Number(rg.num_rows);
    const md = rg.columns.find((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === name)?.meta_data;
    if (!md) throw new Error(`row group has no column chunk for ${name}`);
    const dictOffset = md.dictionary_page_offset === undefined ? 0 : Number(md.dictionary_page_offset);
    const start = dictOffset > 0 ? Math.min(dictOffset, Number(md.data_page_offset)) : Number(md.data_page_offset);
    const bytes = new Uint8Array(buffer.slice(start, start + Number(md.total_compressed_size)) as ArrayBuffer);
    const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
    const decoder = {
      pathInSchema: [name], type: md.type, element, schemaPath, codec: md.codec, compressors, parsers: undefined as never,
    };
    let dict: DecodedArray | undefined;
    let levels = new Uint8Array(0);
    const noNulls = md.statistics?.null_count !== undefined && Number(md.statistics.null_count) === 0;
    let row = 0;
    while (row < groupRows) {
      if (reader.offset >= bytes.length) throw new Error(`column ${name} ends after ${row} of ${groupRows} rows`);
      const header = parquetHeader(reader);
      const pageBytes = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
      reader.offset += header.compressed_page_size;
      let def: ArrayLike<number> | undefined;
      let data: DecodedArray;
      let encoding: string;
      let n: number;
      if (header.type === 'DICTIONARY_PAGE') {
        const page = decompressPage(pageBytes, header.uncompressed_page_size, md.codec, compressors);
        dict = readPlain({ view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 }, md.type, header.dictionary_page_header!.num_values, undefined);
        continue;
      } else if (header.type === 'DATA_PAGE') {
        const daph = header.data_page_header!;
        const page = decompressPage(pageBytes, header.uncompressed_page_size, md.codec, compressors);
        encoding = daph.encoding;
        n = daph.num_values;
        const dictEncoded = encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY';
        if ((encoding === 'PLAIN' || dictEncoded) && (maxDef === 0 || daph.definition_level_encoding === 'RLE')) {
          // pyarrow's pages: RLE definition levels (bit width 1) into a byte array, then plain
          // floats or dictionary indices (hyparquet's readDataPage builds JS arrays of both).
          const r = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
          let nulls = 0;
          def = undefined;
          if (maxDef > 0 && noNulls) {
            // The chunk's statistics say no nulls: skip the levels (pyarrow bit-packs them, slow to decode).
            r.offset += 4 + r.view.getUint32(0, true);
          } else if (maxDef > 0) {
            if (levels.length < n) levels = new Uint8Array(n);
            const lv = levels.subarray(0, n);
            readRleBitPackedHybrid(r, 1, lv);
            for (let i = 0; i < n; i++) nulls += lv[i] ^ 1;
            if (nulls > 0) def = lv;
          }
          const count = n - nulls;
          if (dictEncoded) {
            const width = r.view.getUint8(r.offset++);
            const idx = new Int32Array(count);
            if (width) readRleBitPackedHybrid(r, width, idx, page.byteLength - r.offset);
            data = idx;
          } else {
            data = readPlain(r, md.type, count, undefined);
          }
        } else {
          ({ definitionLevels: def, dataPage: data } = readDataPage(page, daph, decoder));
        }
      } else if (header.type === 'DATA_PAGE_V2') {
        const daph2 = header.data_page_header_v2!;
        ({ definitionLevels: def, dataPage: data } = readDataPageV2(pageBytes, header, decoder));
        encoding = daph2.encoding;
        n = daph2.num_values;
      } else {
        continue;
      }
      const dictionary = encoding.endsWith('_DICTIONARY') ? dict : undefined;
      if (encoding.endsWith('_DICTIONARY') && !dict) throw new Error(`column ${name} has a dictionary-encoded page but no dictionary`);
      const nulls = def !== undefined && def.length > 0;
      let k = 0;
      for (let i = 0, at = groupStart + row; i < n; i++, at++) {
        let v: number;
        if (nulls && def![i] !== maxDef) v = NaN;
        else v = (dictionary ? dictionary[data[k++] as number] : data[k++]) as number;
        if (v === Infinity || v === -Infinity) onInfinite(groupStart + row + i, v);
        out[at] = v;
      }
      row += n;
    }
    groupStart += groupRows;
  }
}

/** Columns the page-level reader takes: plain FLOAT or DOUBLE, not nested. */
function isFlatFloat(schemaPath: SchemaTree[]): boolean {
  const el = schemaPath[schemaPath.length - 1].element;
  return schemaPath.length === 2 && getMaxRepetitionLevel(schemaPath) === 0 && getMaxDefinitionLevel(schemaPath) <= 1
    && (el.type === 'FLOAT' || el.type === 'DOUBLE') && !el.logical_type && !el.converted_type;
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
    // Float columns are decoded into column buffers and copied into the rows a block at a time.
    const other: string[] = [];
    // The schema path of a top-level column: [root, column] (hyparquet's getSchemaPath rebuilds the tree per call).
    const pathOf = new Map(schema.children.map((n) => [n.element.name, [schema, n]]));
    const floats = columns.map((c, j) => [c, j] as const).filter(([c]) => isFlatFloat(pathOf.get(c)!) || (other.push(c), false));
    fillByColumns(values, rows, dim, floats.map(([, j]) => j), (k, out) => {
      const c = floats[k][0];
      try {
        readFloatColumn(buffer, metadata, pathOf.get(c)!, out, (row, v) => badValue(row, c, v, 'is infinite'));
      } catch (e) {
        throw isEmofuseError(e) ? e : corrupt(shown, e);
      }
    });
    for (let s = 0; s < other.length;) {
      let e = s;
      let bytes = 0;
      while (e < other.length && (e === s || bytes + (bytesOf.get(other[e]) ?? 0) <= BATCH_BYTES)) bytes += bytesOf.get(other[e++]) ?? 0;
      await read(other.slice(s, e));
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
