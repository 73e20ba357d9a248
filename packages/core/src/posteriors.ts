/**
 * Posterior algebra (rows by id, concatenation) and the one file format every package reads and
 * writes posteriors in: JSON `{ ids, classes, probs: number[][] }` or CSV `id,<class>...`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { checkPosteriors, type Posteriors } from './contracts.ts';
import { EmofuseError } from './errors.ts';
import { writeFileAtomic, writeJsonAtomic } from './fs.ts';
import { indexOfIds } from './rows.ts';

/** The rows of `ids`, in that order (each must be present). */
export function subsetPosteriors(p: Posteriors, ids: readonly string[], where = 'posteriors'): Posteriors {
  const k = p.classes.length;
  const rows = indexOfIds(p.ids, ids, where);
  const probs = new Float64Array(ids.length * k);
  rows.forEach((i, r) => {
    for (let c = 0; c < k; c++) probs[r * k + c] = p.probs[i * k + c];
  });
  return { ids: [...ids], classes: p.classes, probs };
}

/** Parts stacked in order (same classes; e.g. the test posteriors of every fold). */
export function concatPosteriors(parts: readonly Posteriors[]): Posteriors {
  if (parts.length === 0) throw new EmofuseError('nothing to concatenate', { where: 'posteriors' });
  const k = parts[0].classes.length;
  for (const p of parts) {
    if (p.classes.join('\u0000') !== parts[0].classes.join('\u0000')) {
      throw new EmofuseError(`classes differ (${p.classes.join(', ')} vs ${parts[0].classes.join(', ')})`, { where: 'posteriors' });
    }
  }
  const probs = new Float64Array(parts.reduce((n, p) => n + p.ids.length, 0) * k);
  let off = 0;
  for (const p of parts) {
    probs.set(p.probs, off);
    off += p.probs.length;
  }
  return { ids: parts.flatMap((p) => p.ids), classes: parts[0].classes, probs };
}

type Format = 'json' | 'csv';

function formatOf(file: string): Format {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  throw new EmofuseError(`unknown posteriors format ${JSON.stringify(ext || '(none)')}`, { where: file, fix: 'name the file *.json or *.csv' });
}

/**
 * Writes posteriors atomically. JSON: `{ ids, classes, probs: number[][] }`. CSV: a header
 * `id,<class>...` and one row per utterance (ids are quoted when they need it).
 */
export function savePosteriors(p: Posteriors, file: string): void {
  checkPosteriors(p, file);
  const k = p.classes.length;
  const row = (r: number) => Array.from(p.probs.subarray(r * k, (r + 1) * k));
  if (formatOf(file) === 'json') {
    writeJsonAtomic(file, { ids: p.ids, classes: p.classes, probs: p.ids.map((_, r) => row(r)) });
    return;
  }
  const lines = [['id', ...p.classes].map(csvField).join(',')];
  p.ids.forEach((id, r) => lines.push([csvField(id), ...row(r).map(String)].join(',')));
  writeFileAtomic(file, lines.join('\n') + '\n');
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function loadPosteriors(file: string): Posteriors {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EmofuseError(`cannot read posteriors: ${(e as Error).message}`, { where: file, cause: e });
  }
  if (formatOf(file) === 'json') {
    let raw: { ids?: unknown; classes?: unknown; probs?: unknown };
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new EmofuseError(`not valid JSON: ${(e as Error).message}`, { where: file, cause: e });
    }
    const { ids, classes, probs } = raw;
    if (!Array.isArray(ids) || !Array.isArray(classes) || !Array.isArray(probs) || probs.length !== ids.length) {
      throw new EmofuseError('expected { ids: string[], classes: string[], probs: number[][] } with one probs row per id', { where: file });
    }
    const k = classes.length;
    const flat = new Float32Array(ids.length * k);
    probs.forEach((row: unknown, r: number) => {
      if (!Array.isArray(row) || row.length !== k || row.some((v) => typeof v !== 'number')) {
        throw new EmofuseError(`probs row ${r} (id ${ids[r]}) must be ${k} numbers`, { where: file });
      }
      flat.set(row as number[], r * k);
    });
    return checkPosteriors({ ids: ids.map(String), classes: classes.map(String), probs: flat }, file);
  }
  let lines: string[][];
  try {
    lines = parseCsv(text, { skipEmptyLines: true, relaxColumnCount: true }) as string[][];
  } catch (e) {
    throw new EmofuseError(`not valid CSV: ${(e as Error).message}`, { where: file, cause: e });
  }
  if (lines.length === 0) throw new EmofuseError('empty file', { where: file, fix: 'expected a header id,<class>,...' });
  const header = lines[0];
  if (header[0] !== 'id' || header.length < 3) {
    throw new EmofuseError(`header must be id,<class>,<class>,... got ${header.join(',')}`, { where: `${file} line 1` });
  }
  const classes = header.slice(1);
  const k = classes.length;
  const ids: string[] = [];
  const flat = new Float32Array((lines.length - 1) * k);
  lines.slice(1).forEach((f, r) => {
    if (f.length !== k + 1) throw new EmofuseError(`has ${f.length} fields, expected ${k + 1}`, { where: `${file} line ${r + 2}` });
    ids.push(f[0]);
    for (let c = 0; c < k; c++) {
      const v = Number(f[c + 1]);
      if (f[c + 1].trim() === '' || Number.isNaN(v)) {
        throw new EmofuseError(`column ${classes[c]} is not a number: ${JSON.stringify(f[c + 1])}`, { where: `${file} line ${r + 2}` });
      }
      flat[r * k + c] = v;
    }
  });
  return checkPosteriors({ ids, classes, probs: flat }, file);
}
