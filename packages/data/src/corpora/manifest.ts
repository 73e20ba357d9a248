import { existsSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { InputError, type Corpus, type Utterance } from '@emofuse/core';
import { checkCorpus } from './checkCorpus.ts';
import { decodeUtf8, readInputFile } from './files.ts';
import { distance } from 'fastest-levenshtein';

/**
 * Columns of a manifest (docs/manifest.md has the full account). Required: id, text, label,
 * speaker. Optional: group (conversation or recording group for whole-group splits and the unit
 * `order` counts within; default: the speaker), session (the unit leave-one-session-out and
 * holdout name; default: the speaker), wav (path relative to the manifest), split (train | valid |
 * test: the corpus's own split, used by protocols official and manifest), order (position within
 * the group: a number that sorts the group's utterances; default: file order within the group).
 */
export const MANIFEST_REQUIRED = ['id', 'text', 'label', 'speaker'] as const;
export const MANIFEST_OPTIONAL = ['group', 'session', 'wav', 'split', 'order'] as const;
const SPLIT_PARTS = ['train', 'valid', 'test'] as const;

/**
 * Without `classes`, a label seen on fewer than MIN_CLASS_COUNT lines, or on fewer than
 * MIN_CLASS_SHARE times the lines of the most frequent label, is refused as a likely typo: the
 * class set would otherwise be whatever the file happens to contain. Declaring `classes` accepts
 * rare classes as real.
 */
export const MIN_CLASS_COUNT = 2;
export const MIN_CLASS_SHARE = 0.01;

export interface ManifestOptions {
  /**
   * Class order (the order of posteriors, confusion matrices and per-class tables). Every label
   * must be one of them and every one of them must occur. Default: the sorted unique labels, with
   * rare labels refused as likely typos (MIN_CLASS_COUNT, MIN_CLASS_SHARE).
   */
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

/** The 1-based line each record starts on, from the byte offsets where records end (csv-parse's info.bytes). */
function startLines(text: string, ends: number[]): number[] {
  const buf = Buffer.from(text, 'utf8');
  const lineStarts = [0];
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0d) {
      if (buf[i + 1] === 0x0a) i++;
      lineStarts.push(i + 1);
    } else if (buf[i] === 0x0a) lineStarts.push(i + 1);
  }
  const lineAt = (off: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  let prev = 0;
  return ends.map((end) => {
    let off = prev;
    while (off < buf.length && (buf[off] === 0x0d || buf[off] === 0x0a)) off++; // skipped empty lines
    prev = end;
    return lineAt(off);
  });
}

function csvRows(file: string, text: string): Row[] {
  let records: { record: string[]; info: { lines: number; bytes: number } }[];
  try {
    records = parse(text, { info: true, bom: true, skip_empty_lines: true, relax_column_count: true }) as unknown as typeof records;
  } catch (e) {
    throw new InputError(`not valid CSV: ${(e as Error).message}`, { where: file, fix: 'fix the quoting on the line named above' });
  }
  if (records.length === 0) throw new InputError('the manifest is empty', { where: file, fix: `add a header line: ${MANIFEST_REQUIRED.join(',')}` });
  // csv-parse's info.lines counts \r and \n apart inside quotes and names a record's last line:
  // number lines here (\r\n, \r or \n is one break) and name the line a record starts on.
  const starts = startLines(text, records.map((r) => r.info.bytes));
  records.forEach((r, i) => { r.info.lines = starts[i]; });
  const header = records[0].record.map((h) => h.trim());
  const missing = MANIFEST_REQUIRED.filter((c) => !header.includes(c));
  if (missing.length) {
    throw new InputError(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header has: ${header.join(', ')})`, {
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
      throw new InputError(`not valid JSON: ${(e as Error).message}`, { where: `${file}:${line}`, fix: 'write one JSON object per line' });
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new InputError('each line must be a JSON object', { where: `${file}:${line}`, fix: 'write one JSON object per line' });
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


/** The frequent label a rare one most likely meant: same letters up to case, or 1-2 edits, or a prefix. */
function nearestLabel(label: string, frequent: string[]): string | undefined {
  const lower = label.toLowerCase();
  let best: { l: string; d: number } | undefined;
  for (const l of frequent) {
    const o = l.toLowerCase();
    const d = o === lower ? 0 : o.startsWith(lower) || lower.startsWith(o) ? 1 : distance(lower, o);
    if (d <= 2 && (!best || d < best.d)) best = { l, d };
  }
  return best?.l;
}

interface LabelUse { count: number; lines: number[]; first: string }

/**
 * Without a declared class list, refuse labels that look like mistakes: rare ones (a typo such as
 * "bored" among "bor") and labels that differ only in case ("Sad" beside "sad").
 */
function checkInferredClasses(file: string, uses: Map<string, LabelUse>): void {
  const labels = [...uses.keys()].sort();
  const counts = labels.map((l) => `${l} ${uses.get(l)!.count}`).join(', ');
  const byLower = new Map<string, string[]>();
  for (const l of labels) byLower.set(l.toLowerCase(), [...(byLower.get(l.toLowerCase()) ?? []), l]);
  for (const same of byLower.values()) {
    if (same.length > 1) {
      const [a, b] = same;
      throw new InputError(`labels ${JSON.stringify(a)} and ${JSON.stringify(b)} differ only in case; they would be two classes (labels: ${counts})`, {
        where: uses.get(b)!.first,
        fix: `write one spelling on every line, or declare the classes (the corpus's classes option) if they really differ`,
      });
    }
  }
  const max = Math.max(...labels.map((l) => uses.get(l)!.count));
  const floor = Math.max(MIN_CLASS_COUNT, Math.ceil(MIN_CLASS_SHARE * max));
  const rare = labels.filter((l) => uses.get(l)!.count < floor);
  if (rare.length === 0) return;
  const frequent = labels.filter((l) => !rare.includes(l));
  const l = rare[0];
  const use = uses.get(l)!;
  const guess = nearestLabel(l, frequent);
  const lines = use.lines.slice(0, 5).join(', ') + (use.lines.length > 5 ? ', ...' : '');
  throw new InputError(
    `label ${JSON.stringify(l)} is on only ${use.count} line${use.count > 1 ? 's' : ''} (${lines}), fewer than ${floor} ` +
      `(at least ${MIN_CLASS_COUNT}, and ${MIN_CLASS_SHARE * 100}% of the largest class's ${max}): a likely typo${guess ? ` of ${JSON.stringify(guess)}` : ''} ` +
      `that would become a class of its own (labels: ${counts})`,
    {
      where: use.first,
      fix: `${guess ? `if it means ${JSON.stringify(guess)}, fix the label on ${use.count > 1 ? 'those lines' : 'that line'}; ` : 'fix the label if it is a typo; '}` +
        `if it is a real class, declare the corpus's class list: classes: [${labels.map((x) => JSON.stringify(x)).join(', ')}]`,
    },
  );
}

/**
 * A generic corpus from a CSV (header line) or JSONL (one object per line) manifest, so any
 * corpus can be used without code. The file must be UTF-8. Errors name the file, line and column.
 */
export function readManifest(file: string, opts: ManifestOptions = {}): Corpus {
  const text = decodeUtf8(readInputFile(file, 'manifest', 'give a CSV or JSONL manifest file as the corpus path'), file);
  const isJsonl = /\.(jsonl|ndjson)$/i.test(file) || (!/\.csv$/i.test(file) && text.trimStart().startsWith('{'));
  const rows = isJsonl ? jsonlRows(file, text) : csvRows(file, text);
  if (rows.length === 0) throw new InputError('the manifest has no utterances', { where: file, fix: 'add one line per utterance' });
  if (opts.classes && new Set(opts.classes).size !== opts.classes.length) {
    throw new InputError(`the class list names a class twice: [${opts.classes.join(', ')}]`, { option: 'classes', fix: 'list each class once' });
  }
  const base = path.dirname(path.resolve(file));
  const firstLine = new Map<string, number>();
  const utterances: Utterance[] = [];
  const split = { train: [] as string[], valid: [] as string[], test: [] as string[] };
  let splitRows = 0;
  let orderRows = 0;
  const classSet = opts.classes ? new Set(opts.classes) : null;
  const labelUses = new Map<string, LabelUse>();
  const emptyText: Row[] = [];
  const groupSize = new Map<string, number>();
  const orderLine = new Map<string, number>(); // group + order -> line

  for (const row of rows) {
    const at = (c: string) => `${file}:${row.line} ${row.col(c)}`;
    const need = (c: string, allowEmpty = false): string => {
      const v = row.get(c);
      if (v === undefined || (!allowEmpty && v === '')) {
        throw new InputError(`missing ${c}`, { where: at(c), fix: `give every utterance a ${c}` });
      }
      return opt(c) ?? v;
    };
    const opt = (c: string): string | undefined => {
      const v = row.get(c);
      if (v?.includes('\uFFFD')) {
        throw new InputError(`${c} contains U+FFFD (the replacement character): the text was damaged by a wrong decoding before this file was written`, {
          where: at(c),
          fix: 'rebuild the manifest from the original files, decoding them with their real encoding',
        });
      }
      return v;
    };
    const id = need('id');
    const prev = firstLine.get(id);
    if (prev !== undefined) throw new InputError(`duplicate id ${JSON.stringify(id)} (first on line ${prev})`, { where: at('id'), fix: 'make ids unique' });
    firstLine.set(id, row.line);
    const label = need('label');
    if (classSet && !classSet.has(label)) {
      throw new InputError(`label ${JSON.stringify(label)} is not one of the classes ${opts.classes!.join(', ')}`, { where: at('label'), fix: "fix the label, or add it to the corpus's classes" });
    }
    const use = labelUses.get(label) ?? { count: 0, lines: [], first: at('label') };
    use.count++;
    use.lines.push(row.line);
    labelUses.set(label, use);
    const speaker = need('speaker');
    const dialogue = opt('group') || speaker;
    const u: Utterance = {
      id,
      dialogue,
      session: opt('session') || speaker,
      speaker,
      label,
      text: need('text', true),
    };
    if (u.text === '') emptyText.push(row);
    const wav = opt('wav');
    if (wav) {
      u.wav = path.resolve(base, wav);
      if (!existsSync(u.wav)) throw new InputError(`WAV file not found: ${u.wav}`, { where: at('wav'), fix: 'wav paths are relative to the manifest\'s folder' });
    }
    const part = row.get('split');
    if (part) {
      if (!(SPLIT_PARTS as readonly string[]).includes(part)) {
        const alias: Record<string, string> = { dev: 'valid', validation: 'valid', val: 'valid', training: 'train', eval: 'test' };
        throw new InputError(`split ${JSON.stringify(part)} is not one of ${SPLIT_PARTS.join(', ')}`, {
          where: at('split'),
          fix: `${alias[part.toLowerCase()] ? `write ${alias[part.toLowerCase()]} for ${part}; ` : ''}use train, valid or test (or leave the column empty everywhere)`,
        });
      }
      split[part as (typeof SPLIT_PARTS)[number]].push(id);
      splitRows++;
    }
    const position = groupSize.get(dialogue) ?? 0;
    groupSize.set(dialogue, position + 1);
    const order = row.get('order');
    if (order) {
      const n = Number(order);
      if (!Number.isFinite(n)) throw new InputError(`order ${JSON.stringify(order)} is not a number`, { where: at('order'), fix: 'write the utterance\'s position in its group (0, 1, 2 ...) or its start time in seconds' });
      const key = `${dialogue}\u0000${n}`;
      const other = orderLine.get(key);
      if (other !== undefined) throw new InputError(`order ${n} is already used in group ${dialogue} (line ${other})`, { where: at('order'), fix: 'give the utterances of one group distinct positions' });
      orderLine.set(key, row.line);
      u.order = n;
      orderRows++;
    } else {
      u.order = position;
    }
    utterances.push(u);
  }
  const partial = (col: string, count: number) => {
    if (count > 0 && count < utterances.length) {
      const row = rows.find((r) => !r.get(col))!;
      throw new InputError(`some lines have ${col === 'order' ? 'an order' : 'a split'} and some do not`, { where: `${file}:${row.line} ${row.col(col)}`, fix: `give every line ${col === 'order' ? 'an order' : 'a split'}, or none` });
    }
  };
  partial('split', splitRows);
  partial('order', orderRows);
  // All empty is a speech-only corpus; some empty is a transcript lost on the way.
  if (emptyText.length > 0 && emptyText.length < utterances.length) {
    const row = emptyText[0];
    throw new InputError(`empty text (${emptyText.length} of ${utterances.length} lines have none${emptyText.length > 1 ? `, e.g. lines ${emptyText.slice(0, 5).map((r) => r.line).join(', ')}` : ''})`, {
      where: `${file}:${row.line} ${row.col('text')}`,
      fix: 'write the transcript (for a non-verbal turn, a marker such as [laughter]), or drop the line; leave text empty on every line only for a corpus without transcripts',
    });
  }
  let classes: string[];
  if (opts.classes) {
    const unused = opts.classes.filter((c) => !labelUses.has(c));
    if (unused.length) {
      throw new InputError(`the class list names ${unused.join(', ')}, but no line of ${file} has ${unused.length > 1 ? 'these labels' : 'this label'}`, {
        option: 'classes',
        fix: `remove ${unused.join(', ')} from the class list (a class without utterances cannot be trained or scored)`,
      });
    }
    classes = [...opts.classes];
  } else {
    checkInferredClasses(file, labelUses);
    classes = [...labelUses.keys()].sort();
  }
  return checkCorpus({
    name: opts.name ?? path.basename(file).replace(/\.[^.]+$/, ''),
    classes,
    utterances,
    ...(splitRows > 0 ? { officialSplit: split } : {}),
    source: path.resolve(file),
  });
}
