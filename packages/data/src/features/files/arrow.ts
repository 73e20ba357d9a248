import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DataType, makeVector, tableFromIPC } from 'apache-arrow';
import type { Table } from 'apache-arrow';
import { InputError } from '@emofuse/core';
import { IdSet, countMissing, fillByColumns, listNames, selectColumns } from './common.ts';
import type { FeatureFileOptions, FeatureTable } from './common.ts';

const FILE_MAGIC = Buffer.from('ARROW1');
const EOS = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** A cut-short IPC file or stream can still parse (with fewer batches), so check how it ends. */
function checkComplete(bytes: Buffer, shown: string): void {
  const fileFormat = bytes.subarray(0, 6).equals(FILE_MAGIC);
  const ok = fileFormat ? bytes.length >= 12 && bytes.subarray(bytes.length - 6).equals(FILE_MAGIC)
    : bytes.length >= 8 && (bytes.subarray(bytes.length - 8).equals(EOS) || bytes.subarray(bytes.length - 4).equals(EOS.subarray(4)));
  if (!ok) {
    throw new InputError(fileFormat ? 'the Arrow file is cut short (no footer)' : 'not a valid Arrow IPC file or stream (bad magic, or cut short)', {
      where: shown, fix: 'write it again (pyarrow.feather.write_feather(table, path) or pyarrow.ipc.new_file), and copy it whole',
    });
  }
}

/** Reads an Arrow IPC file or stream (.arrow, .feather v2, .ipc): an id column and numeric columns. */
export function readArrowFeatures(file: string, shown: string, opts: FeatureFileOptions): FeatureTable {
  const bytes = readFileSync(file);
  const contentHash = createHash('sha256').update(bytes).digest('hex');
  checkComplete(bytes, shown);
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    const msg = (e as Error).message;
    if (/compress|codec/i.test(msg)) {
      throw new InputError(`the Arrow file's record batches are compressed (${msg}), which this reader cannot decode`, {
        where: shown, fix: "write it uncompressed (pyarrow.feather.write_feather(table, path, compression='uncompressed')), or as Parquet", cause: e,
      });
    }
    throw new InputError(`not a valid Arrow IPC file: ${msg}`, {
      where: shown, fix: 'write it again (pyarrow.feather.write_feather(table, path) or pyarrow.ipc.new_file)', cause: e,
    });
  }
  const names = table.schema.fields.map((f) => f.name);
  if (names.length === 0) {
    throw new InputError('not a valid Arrow IPC file: it has no schema', { where: shown, fix: 'write it again with pyarrow' });
  }
  const idColumn = opts.idColumn ?? 'id';
  if (!names.includes(idColumn)) {
    throw new InputError(`no id column "${idColumn}" in the Arrow file`, {
      where: `${shown}: column ${idColumn}`, fix: `name the id column with idColumn (the columns are: ${listNames(names)})`,
    });
  }
  const available = names.filter((n) => n !== idColumn && !/^__index_level_\d+__$/.test(n));
  const picked = selectColumns(available, opts.columns, (c) => `${shown}: column ${c}`);
  const columns = picked.map((i) => available[i]);
  if (columns.length === 0) throw new InputError('the file has no feature columns besides the id', { where: shown, fix: 'add one column per feature' });
  const rows = table.numRows;
  if (rows === 0) throw new InputError('the Arrow file has no rows', { where: shown, fix: 'write one row per id' });
  const dim = columns.length;

  const idVector = table.getChild(idColumn)!;
  const ids = new Array<string>(rows);
  const seen = new IdSet();
  for (let r = 0; r < rows; r++) {
    const v = idVector.get(r);
    if (v === null || v === undefined || v === '') {
      throw new InputError('the id is empty (null)', { where: `${shown}: row ${r}, column ${idColumn}`, fix: 'give every row an id' });
    }
    ids[r] = String(v);
    const before = seen.add(ids[r], r);
    if (before >= 0) {
      throw new InputError(`id "${ids[r]}" appears twice, in rows ${before} and ${r}`, {
        where: `${shown}: row ${r}, column ${idColumn}`, fix: 'keep one row per id',
      });
    }
  }

  const values = new Float32Array(rows * dim);
  fillByColumns(values, rows, dim, columns.map((_, j) => j), (j, out) => {
    const name = columns[j];
    const where = (r: number) => `${shown}: row ${r}, column ${name}`;
    let r0 = 0;
    for (const d of table.getChild(name)!.data) {
      const plain = DataType.isFloat(d.type) ? d.type.precision !== 0 : DataType.isInt(d.type) && d.type.bitWidth <= 32;
      const nulls = d.nullCount > 0;
      if (plain) {
        const a = d.values as Float64Array;
        for (let i = 0, k = r0; i < d.length; i++, k++) {
          const v = nulls && !d.getValid(i) ? NaN : a[i];
          if (v === Infinity || v === -Infinity) {
            throw new InputError(`value ${v} is infinite`, { where: where(r0 + i), fix: 'replace infinities with finite numbers, or null/NaN where the value is missing' });
          }
          out[k] = v;
        }
      } else {
        const vec = makeVector(d);
        for (let i = 0, k = r0; i < d.length; i++, k++) {
          const v: unknown = vec.get(i);
          let x: number;
          if (v === null || v === undefined) x = NaN;
          else if (typeof v === 'number') x = v;
          else if (typeof v === 'bigint') x = Number(v);
          else if (typeof v === 'boolean') x = v ? 1 : 0;
          else {
            throw new InputError(`value ${JSON.stringify(String(v))} is not a number (the column is ${String(d.type)})`, {
              where: where(r0 + i), fix: 'keep only numeric feature columns (leave others out with columns)',
            });
          }
          if (x === Infinity || x === -Infinity) {
            throw new InputError(`value ${x} is infinite`, { where: where(r0 + i), fix: 'replace infinities with finite numbers, or null/NaN where the value is missing' });
          }
          out[k] = x;
        }
      }
      r0 += d.length;
    }
  });
  return { file: shown, format: 'arrow', ids, columns, dim, values, ...countMissing(values, rows, dim), contentHash };
}
