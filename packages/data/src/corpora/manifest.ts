import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { EmofuseError, type Corpus, type Utterance } from '@emofuse/core';
import { checkCorpus } from './checkCorpus.ts';

/**
 * Columns of a manifest. Required: id, text, label, speaker. Optional: group (conversation or
 * recording group for whole-group splits; default: the speaker), session (for leave-one-session-out;
 * default: the speaker), wav (path relative to the manifest), split (train | valid | test: the
 * corpus's own split, used by protocol 'official').
 */
export const MANIFEST_REQUIRED = ['id', 'text', 'label', 'speaker'] as const;
export const MANIFEST_OPTIONAL = ['group', 'session', 'wav', 'split'] as const;
const SPLIT_PARTS = ['train', 'valid', 'test'] as const;

export interface ManifestOptions {
  /** Class order; default: the sorted unique labels. Labels outside it are an error. */
  classes?: string[];
  /** Corpus name; default: the manifest's file name without extension. */
  name?: string;
}

interface Row {
  line: number;
  get(col: string): string | undefined;
  /** How to name a column in a message ("column 3 (wav)" for CSV, "key wav" for JSONL). */
  col(col: string): string;
}

function csvRows(file: string, text: string): Row[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, bom: true, skip_empty_lines: true, relax_column_count: true }) as unknown as typeof records;
  } catch (e) {
    throw new EmofuseError(`not valid CSV: ${(e as Error).message}`, { where: file, fix: 'fix the quoting on the line named above' });
  }
  if (records.length === 0) throw new EmofuseError('the manifest is empty', { where: file, fix: `add a header line: ${MANIFEST_REQUIRED.join(',')}` });
  const header = records[0].record.map((h) => h.trim());
  const missing = MANIFEST_REQUIRED.filter((c) => !header.includes(c));
  if (missing.length) {
    throw new EmofuseError(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header has: ${header.join(', ')})`, {
      where: `${file}:${records[0].info.lines}`,
      fix: `the header needs ${MANIFEST_REQUIRED.join(', ')}; optional: ${MANIFEST_OPTIONAL.join(', ')}`,
    });
  }
  const index = new Map(header.map((h, i) => [h, i]));
  return records.slice(1).map(({ record, info }) => ({
    line: info.lines,
    get: (c) => {
      const i = index.get(c);
      return i === undefined ? undefined : record[i]?.trim();
    },
    col: (c) => `column ${(index.get(c) ?? -1) + 1} (${c})`,
  }));
}

function jsonlRows(file: string, text: string): Row[] {
  const rows: Row[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    const line = i + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      throw new EmofuseError(`not valid JSON: ${(e as Error).message}`, { where: `${file}:${line}`, fix: 'write one JSON object per line' });
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new EmofuseError('each line must be a JSON object', { where: `${file}:${line}`, fix: 'write one JSON object per line' });
    }
    const rec = obj as Record<string, unknown>;
    rows.push({
      line,
      get: (c) => (rec[c] === undefined || rec[c] === null ? undefined : String(rec[c]).trim()),
      col: (c) => `key ${c}`,
    });
  });
  return rows;
}

/**
 * A generic corpus from a CSV (header line) or JSONL (one object per line) manifest, so any
 * corpus can be used without code. Errors name the file, line and column.
 */
export function readManifest(file: string, opts: ManifestOptions = {}): Corpus {
  if (!existsSync(file)) throw new EmofuseError('manifest not found', { where: file, fix: 'check corpus.path' });
  const text = readFileSync(file, 'utf8');
  const isJsonl = /\.(jsonl|ndjson)$/i.test(file) || (!/\.csv$/i.test(file) && text.trimStart().startsWith('{'));
  const rows = isJsonl ? jsonlRows(file, text) : csvRows(file, text);
  if (rows.length === 0) throw new EmofuseError('the manifest has no utterances', { where: file, fix: 'add one line per utterance' });
  const base = path.dirname(path.resolve(file));
  const firstLine = new Map<string, number>();
  const utterances: Utterance[] = [];
  const split = { train: [] as string[], valid: [] as string[], test: [] as string[] };
  let splitRows = 0;
  const classSet = opts.classes ? new Set(opts.classes) : null;

  for (const row of rows) {
    const at = (c: string) => `${file}:${row.line} ${row.col(c)}`;
    const need = (c: string, allowEmpty = false): string => {
      const v = row.get(c);
      if (v === undefined || (!allowEmpty && v === '')) {
        throw new EmofuseError(`missing ${c}`, { where: at(c), fix: `give every utterance a ${c}` });
      }
      return v;
    };
    const id = need('id');
    const prev = firstLine.get(id);
    if (prev !== undefined) throw new EmofuseError(`duplicate id ${JSON.stringify(id)} (first on line ${prev})`, { where: at('id'), fix: 'make ids unique' });
    firstLine.set(id, row.line);
    const label = need('label');
    if (classSet && !classSet.has(label)) {
      throw new EmofuseError(`label ${JSON.stringify(label)} is not one of the classes ${opts.classes!.join(', ')}`, { where: at('label'), fix: 'fix the label or the classes option' });
    }
    const speaker = need('speaker');
    const u: Utterance = {
      id,
      dialogue: row.get('group') || speaker,
      session: row.get('session') || speaker,
      speaker,
      label,
      text: need('text', true),
    };
    const wav = row.get('wav');
    if (wav) {
      u.wav = path.resolve(base, wav);
      if (!existsSync(u.wav)) throw new EmofuseError(`WAV file not found: ${u.wav}`, { where: at('wav'), fix: 'wav paths are relative to the manifest\'s folder' });
    }
    const part = row.get('split');
    if (part) {
      if (!(SPLIT_PARTS as readonly string[]).includes(part)) {
        throw new EmofuseError(`split ${JSON.stringify(part)} is not one of ${SPLIT_PARTS.join(', ')}`, { where: at('split'), fix: 'use train, valid or test (or leave it empty everywhere)' });
      }
      split[part as (typeof SPLIT_PARTS)[number]].push(id);
      splitRows++;
    }
    utterances.push(u);
  }
  if (splitRows > 0 && splitRows < utterances.length) {
    const row = rows.find((r) => !r.get('split'))!;
    throw new EmofuseError('some lines have a split and some do not', { where: `${file}:${row.line} ${row.col('split')}`, fix: 'give every line a split, or none' });
  }
  const classes = opts.classes ? [...opts.classes] : [...new Set(utterances.map((u) => u.label))].sort();
  return checkCorpus({
    name: opts.name ?? path.basename(file).replace(/\.[^.]+$/, ''),
    classes,
    utterances,
    ...(splitRows > 0 ? { officialSplit: split } : {}),
    source: path.resolve(file),
  });
}
