import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { EmofuseError } from '@emofuse/core';
import { RUN_TAGS } from '@emofuse/tracking';
import type { ReportRun } from './input.ts';

/** The paper's published numbers live in data/reference.json, never in chart code. */
export const REFERENCE_FILE = path.resolve(import.meta.dirname, '../data/reference.json');

const rowSchema = z.object({
  name: z.string().min(1),
  kind: z.enum(['paper', 'baseline']),
  table: z.string(),
  input: z.string().min(1),
  dialogLevel: z.boolean(),
  ua: z.number(),
  wa: z.number(),
  f1: z.number(),
  /** Our system names this row is the published counterpart of; `name*` matches every name starting with `name`. */
  systems: z.array(z.string()),
  note: z.string().optional(),
});

const referenceSchema = z.object({
  source: z
    .object({
      citation: z.string().min(1),
      tables: z.string(),
      corpus: z.string(),
      /** A run's `emofuse.corpus` tag must start with this for the paper's numbers to apply. */
      corpusTag: z.string().min(1),
      /** The paper's classes; runs with any other class set are not compared. */
      classes: z.array(z.string().min(1)).min(2),
      protocol: z.string(),
      split: z.string(),
      units: z.literal('percent'),
    })
    .loose(),
  rows: z.array(rowSchema).min(1),
});

export type ReferenceRow = z.output<typeof rowSchema>;
export type Reference = z.output<typeof referenceSchema>;

export function loadReference(file = REFERENCE_FILE): Reference {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new EmofuseError(`cannot read the reference numbers: ${(e as Error).message}`, { where: file, fix: 'restore apps/report/data/reference.json from git', cause: e });
  }
  const r = referenceSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new EmofuseError(`${i.path.map(String).join('.')}: ${i.message}`, { where: file, fix: 'restore apps/report/data/reference.json from git' });
  }
  return r.data;
}

function matches(pattern: string, system: string): boolean {
  return pattern.endsWith('*') ? system.startsWith(pattern.slice(0, -1)) : pattern === system;
}

/** The published Table 2 row a system of ours reproduces, if any. */
export function paperRowFor(reference: Reference, system: string): ReferenceRow | undefined {
  return reference.rows.find((row) => row.kind === 'paper' && row.systems.some((p) => matches(p, system)));
}

/** The cited row (Table 2 or a Table 3 baseline) a system of ours is the measured counterpart of, if any. */
export function referenceRowFor(reference: Reference, system: string): ReferenceRow | undefined {
  return paperRowFor(reference, system) ?? reference.rows.find((row) => row.systems.some((p) => matches(p, system)));
}

export interface PaperDecision {
  /** Whether the paper's rows are drawn and tabulated beside ours. */
  applies: boolean;
  /** Why, in words, for the report page. */
  reason: string;
}

type RunFacts = Pick<ReportRun, 'id' | 'tags' | 'confusion'>;

/** Cross-validation pools other test sets than the paper's one held-out session. */
const CROSS_VALIDATION = new Set(['loso', 'loso-speaker']);

/**
 * Whether the paper's numbers are comparable with these runs, decided from what the runs record
 * (never from an experiment's name): every run is on the paper's corpus (tag `emofuse.corpus`), on
 * the split the paper scores, not cross-validated, and with exactly the paper's classes (read from
 * the confusion matrices). Anything unknown means no comparison, with the reason given.
 */
export function decidePaperComparison(runs: RunFacts[], reference: Reference, split: string, comparePaper?: boolean): PaperDecision {
  const src = reference.source;
  if (comparePaper === false) return { applies: false, reason: 'the caller turned the comparison off (comparePaper: false)' };
  if (runs.length === 0) return { applies: false, reason: 'there are no runs' };
  if (split !== src.split) return { applies: false, reason: `the paper's numbers are ${src.split}-split scores; this report is on the ${split} split` };
  const untagged = runs.filter((r) => !r.tags[RUN_TAGS.corpus]);
  if (untagged.length > 0) {
    return { applies: false, reason: `${untagged.length} run(s) (e.g. ${untagged[0].id}) do not record their corpus (tag emofuse.corpus)` };
  }
  const corpora = [...new Set(runs.map((r) => r.tags[RUN_TAGS.corpus]))];
  const other = corpora.filter((c) => !c.toLowerCase().startsWith(src.corpusTag.toLowerCase()));
  if (other.length > 0) return { applies: false, reason: `runs on ${other.join(', ')}, not ${src.corpus}` };
  const cv = [...new Set(runs.map((r) => r.tags[RUN_TAGS.splitProtocol]).filter((p): p is string => p !== undefined && CROSS_VALIDATION.has(p)))];
  if (cv.length > 0) return { applies: false, reason: `split protocol ${cv.join(', ')} (cross-validation), not the paper's (${src.protocol})` };
  const withClasses = runs.filter((r) => r.confusion);
  if (withClasses.length === 0) {
    return { applies: false, reason: `the runs record no classes (no ${split} confusion matrix), so they cannot be matched to the paper's ${src.classes.length} classes` };
  }
  const want = [...src.classes].sort().join(',');
  const wrong = withClasses.find((r) => [...r.confusion!.classes].sort().join(',') !== want);
  if (wrong) {
    return { applies: false, reason: `run ${wrong.id} has the classes ${wrong.confusion!.classes.join(', ')}, not the paper's ${src.classes.length} (${src.classes.join(', ')})` };
  }
  return { applies: true, reason: `every run is on ${corpora.join(', ')} with the paper's ${src.classes.length} classes (${src.classes.join(', ')})` };
}
