/**
 * A feature file as the source of one modality: read it (readFeatureFile), line its rows up with
 * the corpus's utterances, and apply the missing-value policy. Missing values never shrink the
 * test set silently: `impute` keeps every utterance (the fold's training median fills the cells
 * later, a fitted transform), `drop` names the utterances that leave every system of the run, and
 * `refuse` stops with the file, the id and the fix.
 */
import { InputError, type FeatureMatrix, type Split } from '@emofuse/core';
import { readFeatureFile, type FeatureFileOptions, type FeatureTable } from '../files/index.ts';

export type MissingPolicy = 'impute' | 'drop' | 'refuse';

/** `features.<modality>.file` of a run config. */
export interface FeatureFileConfig {
  path: string | null;
  format: NonNullable<FeatureFileOptions['format']>;
  id: string;
  columns: string[] | string | null;
  ids: string | null;
  array: string | null;
  missing: MissingPolicy;
}

export interface FileFeatures {
  /** One row per corpus utterance kept, in corpus order; NaN where a cell (or the whole row) is missing. */
  matrix: FeatureMatrix;
  file: string;
  format: string;
  contentHash: string;
  columns: string[];
  /** Ids in the file that the corpus does not have (ignored). */
  unknownIds: string[];
  /** Corpus utterances with no row in the file. */
  noRow: string[];
  /** Corpus utterances whose row has at least one missing cell. */
  withMissing: string[];
  missingPerColumn: number[];
  /** Columns with one value over every row that has it (they carry nothing). */
  constantColumns: string[];
  /** Utterances that leave the run under `drop`, with the reason. */
  dropped: { id: string; reason: string }[];
  policy: MissingPolicy;
}

/** Read `cfg.path` and align it with the corpus ids under the missing-value policy. */
export async function fileFeatures(corpusIds: readonly string[], cfg: FeatureFileConfig, where: string): Promise<FileFeatures> {
  if (!cfg.path) throw new InputError('source is file but no file is named', { where: `${where}.path`, fix: `set ${where}.path` });
  const table = await readFeatureFile({
    // 'id' (the config's default) is the reader's default too: left unset, an openSMILE CSV keys
    // its rows by the `file` column as documented, instead of asking for a column named id.
    path: cfg.path, format: cfg.format, idColumn: cfg.id === 'id' ? undefined : cfg.id, columns: cfg.columns, ids: cfg.ids, array: cfg.array,
  });
  return alignTable(table, corpusIds, cfg.missing, where);
}

export function alignTable(table: FeatureTable, corpusIds: readonly string[], policy: MissingPolicy, where: string): FileFeatures {
  const row = new Map<string, number>();
  table.ids.forEach((id, i) => row.set(id, i));
  const known = new Set(corpusIds);
  const unknownIds = table.ids.filter((id) => !known.has(id));
  const noRow = corpusIds.filter((id) => !row.has(id));
  const dim = table.dim;
  const withMissing: string[] = [];
  const missingPerColumn = new Array<number>(dim).fill(0);
  for (const id of corpusIds) {
    const r = row.get(id);
    if (r === undefined) continue;
    let any = false;
    for (let c = 0; c < dim; c++) {
      if (Number.isNaN(table.values[r * dim + c])) { missingPerColumn[c]++; any = true; }
    }
    if (any) withMissing.push(id);
  }
  if (policy === 'refuse' && (noRow.length || withMissing.length)) {
    const [what, ids] = noRow.length ? ['have no row in the file', noRow] : ['have missing cells', withMissing];
    const cols = table.columns.filter((_, c) => missingPerColumn[c] > 0);
    throw new InputError(`${ids.length} corpus utterance(s) ${what} (e.g. ${examples(ids)})${noRow.length ? '' : `; columns ${cols.slice(0, 5).join(', ')}${cols.length > 5 ? ', ...' : ''}`}`, {
      where: `${table.file} (${where}.missing: refuse)`,
      fix: `add the rows or values, or set ${where}.missing: impute (training median per column, fitted per fold) or drop (those utterances leave every system of the run)`,
    });
  }
  const dropped = policy === 'drop'
    ? [...noRow.map((id) => ({ id, reason: `no row in ${table.file}` })), ...withMissing.map((id) => ({ id, reason: `missing cells in ${table.file}` }))]
    : [];
  const gone = new Set(dropped.map((d) => d.id));
  const ids = corpusIds.filter((id) => !gone.has(id));
  const values = new Float32Array(ids.length * dim).fill(Number.NaN);
  ids.forEach((id, i) => {
    const r = row.get(id);
    if (r !== undefined) values.set(table.values.subarray(r * dim, (r + 1) * dim), i * dim);
  });
  const constantColumns = table.columns.filter((_, c) => {
    let first = Number.NaN;
    for (let i = 0; i < ids.length; i++) {
      const v = values[i * dim + c];
      if (Number.isNaN(v)) continue;
      if (Number.isNaN(first)) first = v;
      else if (v !== first) return false;
    }
    return true;
  });
  return {
    matrix: { ids, dim, values }, file: table.file, format: table.format, contentHash: table.contentHash, columns: table.columns,
    unknownIds, noRow, withMissing, missingPerColumn, constantColumns, dropped, policy,
  };
}

/** Per split part: utterances matched, without a row, with missing cells (what the log, meta.json and params record). */
export function fileCoverage(f: FileFeatures, split: Pick<Split, 'train' | 'valid' | 'test'>): Record<'train' | 'valid' | 'test', { utterances: number; noRow: number; withMissing: number }> {
  const noRow = new Set(f.noRow);
  const missing = new Set(f.withMissing);
  const count = (ids: string[]) => ({ utterances: ids.length, noRow: ids.filter((id) => noRow.has(id)).length, withMissing: ids.filter((id) => missing.has(id)).length });
  return { train: count(split.train), valid: count(split.valid), test: count(split.test) };
}

/** What `run --dry-run` prints about a feature file. */
export function formatFileReport(f: FileFeatures, split: Pick<Split, 'train' | 'valid' | 'test'>, label: string): string {
  const cov = fileCoverage(f, split);
  const action = { impute: 'filled with the training median (fitted per fold)', drop: 'dropped from every system', refuse: 'refused' }[f.policy];
  const lines = [
    `${label}: ${f.file} (${f.format}, ${f.columns.length} columns, sha256 ${f.contentHash.slice(0, 12)})`,
    ...(['train', 'valid', 'test'] as const).map((p) => `  ${p.padEnd(5)} ${cov[p].utterances - cov[p].noRow} of ${cov[p].utterances} utterances matched, ${cov[p].withMissing} with missing cells${cov[p].noRow ? `, ${cov[p].noRow} without a row` : ''}`),
    `  ids in the file unknown to the corpus: ${f.unknownIds.length}${f.unknownIds.length ? ` (e.g. ${examples(f.unknownIds)})` : ''}`,
    `  missing values: ${f.withMissing.length + f.noRow.length} utterance(s), ${action}`,
  ];
  const perColumn = f.columns.map((c, i) => ({ c, n: f.missingPerColumn[i] })).filter((x) => x.n > 0);
  if (perColumn.length) lines.push(`  missing per column: ${perColumn.map((x) => `${x.c} ${x.n}`).join(', ')}`);
  lines.push(`  constant columns: ${f.constantColumns.length}${f.constantColumns.length ? ` (${f.constantColumns.slice(0, 5).join(', ')}${f.constantColumns.length > 5 ? ', ...' : ''})` : ''}`);
  return lines.join('\n');
}

function examples(ids: readonly string[]): string {
  return ids.slice(0, 3).join(', ');
}
