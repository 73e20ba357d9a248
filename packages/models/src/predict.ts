import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EmofuseError, checkPosteriors, writeFileAtomic, writeJsonAtomic, type Posteriors } from '@emofuse/core';
import type { EmofuseModel, ModelInputs } from './model.ts';
import { batchTensors, hostInputs } from './tensors.ts';

/** Class posteriors for every input row, keyed by utterance id, in the model's class order. */
export function predict(model: EmofuseModel, inputs: ModelInputs, opts: { batchSize?: number } = {}): Posteriors {
  const host = hostInputs(model, inputs, `${model.type}: predict`);
  const n = host.ids.length;
  const k = model.classes.length;
  const bs = opts.batchSize ?? 256;
  const probs = new Float32Array(n * k);
  for (let start = 0; start < n; start += bs) {
    const rows = Array.from({ length: Math.min(bs, n - start) }, (_, i) => start + i);
    const out = tf.tidy(() => model.net.apply(batchTensors(host, rows), { training: false }) as tf.Tensor);
    probs.set(out.dataSync() as Float32Array, start * k);
    out.dispose();
  }
  return checkPosteriors({ ids: [...host.ids], classes: [...model.classes], probs }, model.type);
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

/** Minimal RFC 4180 line splitter (quoted fields, doubled quotes); rows never span lines here. */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') quoted = false; else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out;
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
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length === 0) throw new EmofuseError('empty file', { where: file, fix: 'expected a header id,<class>,...' });
  const header = splitCsvLine(lines[0]);
  if (header[0] !== 'id' || header.length < 3) {
    throw new EmofuseError(`header must be id,<class>,<class>,... got ${lines[0]}`, { where: `${file} line 1` });
  }
  const classes = header.slice(1);
  const k = classes.length;
  const ids: string[] = [];
  const flat = new Float32Array((lines.length - 1) * k);
  lines.slice(1).forEach((line, r) => {
    const f = splitCsvLine(line);
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
