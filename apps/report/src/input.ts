import { z } from 'zod';
import { EmofuseError } from '@emofuse/core';

/**
 * What the report reads: plain run objects, one per (run, system). It is independent of how runs
 * are stored, so the report can be tested alone; `fromRunRecords` maps the tracking store onto it.
 */

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const epochRowSchema = z.object({
  epoch: z.number().int().nonnegative(),
  train_loss: finite.optional(),
  valid_loss: finite.optional(),
  train_acc: finite.optional(),
  valid_acc: finite.optional(),
});

const searchCurve = z.array(z.object({ w1: z.number().min(0).max(1), score: finite })).min(1);
const foldChoiceSchema = z.object({ fold: z.string().min(1), curve: searchCurve, chosen: z.object({ w1: z.number().min(0).max(1), weights: z.array(finite).optional() }) });

/**
 * The late-fusion weight search artifact: per fold, the validation score per w1 and the w1 chosen;
 * the test scores at the chosen weights. Files of the one-fold layout (top-level `curve` and
 * `chosen` only) read as a single fold.
 */
export const fusionCurveSchema = z
  .object({
    metric: z.string().min(1),
    step: z.number().positive(),
    systems: z.array(z.string()).optional(),
    fold: z.string().optional(),
    curve: searchCurve,
    chosen: z.object({ w1: z.number().min(0).max(1) }),
    folds: z.array(foldChoiceSchema).min(1).optional(),
    test: z.record(z.string(), finite).optional().default({}),
  })
  .transform((c) => ({ ...c, folds: c.folds ?? [{ fold: c.fold ?? 'main', curve: c.curve, chosen: c.chosen }] }));

/** A confusion matrix artifact: counts[true][predicted], rows and columns in `classes` order. */
export const confusionSchema = z
  .object({
    split: z.string().optional().default('test'),
    classes: z.array(z.string().min(1)).min(2),
    counts: z.array(z.array(z.number().int().nonnegative())),
  })
  .superRefine((c, ctx) => {
    if (c.counts.length !== c.classes.length) {
      ctx.addIssue({ code: 'custom', message: `counts has ${c.counts.length} rows for ${c.classes.length} classes`, path: ['counts'] });
    }
    c.counts.forEach((row, i) => {
      if (row.length !== c.classes.length) {
        ctx.addIssue({ code: 'custom', message: `row ${i} (${c.classes[i]}) has ${row.length} columns, expected ${c.classes.length}`, path: ['counts', i] });
      }
    });
  });

/** Per test utterance: its label and the system's prediction (class names), in one order. */
export const predictionsSchema = z
  .object({
    classes: z.array(z.string().min(1)).min(2),
    ids: z.array(z.string()),
    truth: z.array(z.string()),
    pred: z.array(z.string()),
  })
  .superRefine((p, ctx) => {
    for (const k of ['truth', 'pred'] as const) {
      if (p[k].length !== p.ids.length) ctx.addIssue({ code: 'custom', message: `${p[k].length} ${k} values for ${p.ids.length} ids`, path: [k] });
    }
  });

export const reportRunSchema = z.object({
  /** Unique per entry; a run that holds several systems gives one entry per system (e.g. "<run>/text-lstm"). */
  id: z.string().min(1),
  experiment: z.string().min(1),
  /** System name as the CLI names it: text-lstm | speech-cnn | joint-cnn | late-average | late-weighted | late-product | ... */
  system: z.string().min(1),
  seed: z.number().int(),
  tags: z.record(z.string(), z.string()).optional().default({}),
  /** The run's params (the pipeline logs its resolved config flattened to `key.path`); they tell configurations apart. */
  params: z.record(z.string(), z.string()).optional().default({}),
  /** Final metrics keyed `<split>_<metric>`: test_ua, test_wa, test_f1, valid_ua, ... */
  metrics: z.record(z.string(), finite),
  history: z.array(epochRowSchema).optional().default([]),
  fusionCurve: fusionCurveSchema.optional(),
  confusion: confusionSchema.optional(),
  /** When the run started (ms since 1970): the latest of a repeated seed is the one reported. */
  startTime: z.number().optional(),
  /** The test predictions, for paired tests between systems (absent in runs logged before they were kept). */
  predictions: predictionsSchema.optional(),
});

export const reportInputSchema = z.object({
  runs: z.array(reportRunSchema),
  /** 'fraction' (0..1, as the eval package computes them) or 'percent' (0..100, as the paper prints them). */
  metricUnits: z.enum(['fraction', 'percent']).optional().default('fraction'),
  /** Where the runs came from (a store path or tracking URI), for the report header. */
  source: z.string().optional(),
  /** Runs the reader left out, each with the reason (a deleted or damaged run must not sink the report). */
  skipped: z.array(z.string()).optional().default([]),
});

export type EpochRow = z.output<typeof epochRowSchema>;
export type FusionCurve = z.output<typeof fusionCurveSchema>;
export type ConfusionArtifact = z.output<typeof confusionSchema>;
export type Predictions = z.output<typeof predictionsSchema>;
export type ReportRun = z.output<typeof reportRunSchema>;
export type ReportInput = z.output<typeof reportInputSchema>;
/** What callers may pass: optional fields may be left out. */
export type ReportInputLike = z.input<typeof reportInputSchema>;
export type ReportRunLike = z.input<typeof reportRunSchema>;

/** Parse and check a report input; the error names the run (by index and id) and the field. */
export function checkReportInput(value: unknown, where = 'report input'): ReportInput {
  const r = reportInputSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const p = issue.path;
    let place = p.map(String).join('.');
    if (p[0] === 'runs' && typeof p[1] === 'number') {
      const run = (value as { runs?: Array<{ id?: unknown }> }).runs?.[p[1]];
      const id = run && typeof run.id === 'string' ? ` (id ${run.id})` : '';
      place = `runs[${p[1]}]${id}${p.length > 2 ? '.' + p.slice(2).map(String).join('.') : ''}`;
    }
    throw new EmofuseError(`${place || 'input'}: ${issue.message}`, {
      where,
      fix: 'pass runs as documented in apps/report/src/input.ts (ReportInput)',
    });
  }
  const input = r.data;
  const seen = new Set<string>();
  for (const run of input.runs) {
    if (seen.has(run.id)) throw new EmofuseError(`duplicate run id ${JSON.stringify(run.id)}`, { where, fix: 'give each (run, system) entry its own id' });
    seen.add(run.id);
    const max = input.metricUnits === 'fraction' ? 1 : 100;
    for (const [k, v] of Object.entries(run.metrics)) {
      if (/_(ua|wa|f1|macroF1|acc)$/.test(k) && (v < 0 || v > max)) {
        throw new EmofuseError(`run ${run.id}: metric ${k} = ${v} is outside 0..${max} for metricUnits '${input.metricUnits}'`, {
          where,
          fix: input.metricUnits === 'fraction' ? "set metricUnits: 'percent' if the metrics are percentages" : 'check the stored metric',
        });
      }
    }
  }
  return input;
}
