import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '@emofuse/core';
import { readArrowFeatures } from './arrow.ts';
import type { FeatureFileFormat, FeatureFileOptions, FeatureTable } from './common.ts';
import { readTextFeatures } from './csv.ts';
import { readNpyFeatures, readNpzFeatures } from './npy.ts';
import { readParquetFeatures } from './parquet.ts';

export type { FeatureFileFormat, FeatureFileOptions, FeatureTable } from './common.ts';

export const FEATURE_FILE_FORMATS: readonly FeatureFileFormat[] = ['csv', 'tsv', 'parquet', 'arrow', 'npy', 'npz', 'opensmile-csv'];

const BY_EXTENSION: Record<string, FeatureFileFormat> = {
  '.csv': 'csv', '.tsv': 'tsv', '.tab': 'tsv', '.parquet': 'parquet', '.pq': 'parquet',
  '.arrow': 'arrow', '.feather': 'arrow', '.ipc': 'arrow', '.npy': 'npy', '.npz': 'npz',
};

/**
 * Reads a researcher's own feature file (one row per utterance id, numeric columns) into one
 * float32 matrix, with the checks a run needs before it starts: unique ids, numbers only (missing
 * cells become NaN and are counted), one cell per column, the named columns present. Every
 * problem is an InputError naming the file, the line or row, the column, and a fix.
 */
export async function readFeatureFile(opts: FeatureFileOptions): Promise<FeatureTable> {
  const shown = opts.path;
  const file = path.resolve(opts.path);
  if (!existsSync(file)) {
    throw new InputError('the feature file does not exist', {
      where: shown, fix: `check the path (relative paths are read from ${process.cwd()})`,
    });
  }
  if (statSync(file).isDirectory()) {
    throw new InputError('the feature file is a directory', { where: shown, fix: 'name a file: .csv, .tsv, .parquet, .arrow/.feather, .npy or .npz' });
  }
  let format = opts.format ?? 'auto';
  const auto = format === 'auto';
  if (format === 'auto') {
    const ext = path.extname(file).toLowerCase();
    const byExt = BY_EXTENSION[ext];
    if (!byExt) {
      throw new InputError(`cannot tell the feature file's format from its extension "${ext}"`, {
        where: shown, fix: `set format to one of ${FEATURE_FILE_FORMATS.join(', ')}, or name the file .csv, .tsv, .parquet, .arrow, .feather, .npy or .npz`,
      });
    }
    format = byExt;
  }
  if (!FEATURE_FILE_FORMATS.includes(format)) {
    throw new InputError(`unknown feature file format "${format}"`, { where: shown, fix: `use one of auto, ${FEATURE_FILE_FORMATS.join(', ')}` });
  }
  if (format !== 'npy' && opts.ids && format !== 'npz') {
    throw new InputError(`ids names an ids file, which only .npy files take (${format} files carry their own id column)`, {
      where: shown, fix: 'leave ids out; use idColumn to name the id column',
    });
  }
  switch (format) {
    case 'csv':
    case 'tsv':
    case 'opensmile-csv':
      return readTextFeatures(file, shown, format, opts, auto);
    case 'parquet':
      return readParquetFeatures(file, shown, opts);
    case 'arrow':
      return readArrowFeatures(file, shown, opts);
    case 'npy':
      return readNpyFeatures(file, shown, opts);
    case 'npz':
      return readNpzFeatures(file, shown, opts);
  }
}
