import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { EmofuseError } from '@emofuse/core';

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
  /** Our system names this row is the published counterpart of. */
  systems: z.array(z.string()),
  note: z.string().optional(),
});

const referenceSchema = z.object({
  source: z.object({ citation: z.string().min(1), tables: z.string(), corpus: z.string(), protocol: z.string(), split: z.string(), units: z.literal('percent') }).loose(),
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

/** The published row a system of ours reproduces, if any. */
export function paperRowFor(reference: Reference, system: string): ReferenceRow | undefined {
  return reference.rows.find((row) => row.kind === 'paper' && row.systems.includes(system));
}
