import path from 'node:path';
import { z } from 'zod';
import { RUN_TAGS } from '@emofuse/tracking';
import { sweepSchema, type Config, type MetricName } from './schema.ts';
import { ConfigError, describeValue, readYamlLayer, resolveConfig, setLayers, type ConfigIssue, type ConfigLayer, type LoadOptions } from './load.ts';
import { checkKeyPath } from './keys.ts';
import { baseDirFor, displayPath } from './paths.ts';

/** A validated sweep file: a base experiment and a grid of overrides, chosen on validation. */
export interface Sweep {
  name: string;
  file: string;
  /** Absolute path of the base experiment YAML. */
  base: string;
  grid: Record<string, unknown[]>;
  metric: MetricName;
  /** Always 'valid': the test split never chooses anything. */
  split: 'valid';
  mode: 'max' | 'min';
  /** Slurm resources for `--launcher slurm` (flags override them). */
  slurm?: SlurmBlock;
}

/** The optional `slurm:` block of a sweep file: what every array task asks the scheduler for. */
const slurmBlockSchema = z.strictObject({
  partition: z.string().min(1).optional(),
  account: z.string().min(1).optional(),
  cpusPerTask: z.number().int().positive().optional(),
  mem: z.string().regex(/^\d+[KMGT]?$/i, "expected a size such as '4G' or '4000M'").optional(),
  time: z.string().regex(/^[\d:-]+$/, "expected a Slurm time such as '30:00', '2:00:00' or '1-00:00:00'").optional(),
  extra: z.array(z.string().min(1), { error: "expected a list of sbatch options, e.g. ['--qos=short']" }).optional(),
});
export type SlurmBlock = z.infer<typeof slurmBlockSchema>;

export interface SweepPoint {
  /** Readable and unique within the sweep, e.g. `lstmUnits=64,batchSize=16`. */
  name: string;
  /** The grid values of this point, by key path. */
  overrides: Record<string, unknown>;
  /** Fully resolved config of this point (experiment `sweep-<name>`, tagged with the point). */
  config: Config;
}

// Keys a sweep may not vary, and why.
const FORBIDDEN: Record<string, string> = {
  seeds: 'picking the best seed on validation is not a hyperparameter choice; list seeds in the base experiment instead',
  experiment: 'a sweep names its own experiment (sweep-<name>)',
};

/**
 * Read and check a sweep file: known keys, `split: valid` (a sweep naming `test` is refused),
 * a metric in ua|wa|f1|macroF1, grid keys that are config paths (with did-you-mean), and a base
 * experiment that exists. `base` resolves like any path (repo root for files in the repo).
 */
export function loadSweep(file: string): Sweep {
  const layer = readYamlLayer(file, 'sweep');
  const origin = layer.origin as Extract<ConfigLayer['origin'], { kind: 'file' }>;
  const where = displayPath(origin.file);
  const { slurm: rawSlurm, ...raw } = layer.values;
  const issues: ConfigIssue[] = [];
  let slurm: SlurmBlock | undefined;
  if (rawSlurm !== undefined) {
    const r = slurmBlockSchema.safeParse(rawSlurm);
    if (r.success) slurm = r.data;
    for (const iss of r.error?.issues ?? []) {
      const key = ['slurm', ...iss.path.map(String)].join('.');
      if (iss.code === 'unrecognized_keys') issues.push(...iss.keys.map((k) => ({ key: `${key}.${k}`, where, message: 'unknown key', fix: `valid keys: ${Object.keys(slurmBlockSchema.shape).join(', ')}` })));
      else issues.push({ key, where, message: iss.message });
    }
  }
  if (raw.split === 'test') {
    issues.push({
      key: 'split',
      where,
      message: "a sweep may not choose on the test split: hyperparameters are chosen on validation only, and test is scored once per run (honest protocol)",
      fix: 'set split: valid',
    });
  }
  const parsed = sweepSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      const key = iss.path.map(String).join('.');
      if (key === 'split' && raw.split === 'test') continue;
      if (iss.code === 'unrecognized_keys') {
        for (const k of iss.keys) issues.push({ key: [...iss.path.map(String), k].join('.'), where, message: 'unknown key', fix: suggestSweepKey(k) });
        continue;
      }
      issues.push({ key, where, message: `${iss.message}${'input' in iss ? `, got ${describeValue(iss.input)}` : ''}` });
    }
  }
  if (issues.length) throw new ConfigError(issues);
  const s = parsed.data!;
  for (const key of Object.keys(s.grid)) {
    if (FORBIDDEN[key]) {
      issues.push({ key: `grid.${key}`, where, message: `may not be swept: ${FORBIDDEN[key]}` });
      continue;
    }
    const problem = checkKeyPath(key);
    if (problem) issues.push({ key: `grid.${key}`, where, message: `'${problem.path.join('.')}' is not a config key`, fix: problem.suggestion });
  }
  if (issues.length) throw new ConfigError(issues);
  const base = path.resolve(baseDirFor({ file: origin.file }), s.base);
  const name = s.name ?? path.basename(origin.file).replace(/\.ya?ml$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-');
  return { name, file: origin.file, base, grid: s.grid, metric: s.metric, split: s.split, mode: s.mode, ...(slurm ? { slurm } : {}) };
}

function suggestSweepKey(k: string): string {
  const valid = [...Object.keys(sweepSchema.shape), 'slurm'];
  return `valid keys: ${valid.join(', ')}`.replace(/^/, valid.includes(k.toLowerCase()) ? `did you mean \`${k.toLowerCase()}\`? ` : '');
}

/**
 * Every point of the grid (cartesian product, in file order) as a resolved config.
 * Each point is validated like an experiment, so a bad value fails before any training.
 */
export function expandSweep(sweep: Sweep, opts: Omit<LoadOptions, 'seed'> & { seed?: number } = {}): SweepPoint[] {
  const baseLayer = readYamlLayer(sweep.base);
  const keys = Object.keys(sweep.grid);
  const shortNames = keys.map((k) => k.split('.').pop()!);
  const labels = keys.map((k, i) => (shortNames.filter((s) => s === shortNames[i]).length > 1 ? k : shortNames[i]));
  const combos: unknown[][] = keys.reduce<unknown[][]>((acc, k) => acc.flatMap((c) => sweep.grid[k].map((v) => [...c, v])), [[]]);
  const sets = setLayers(opts.set ?? [], opts.cwd);
  return combos.map((combo) => {
    const overrides = Object.fromEntries(keys.map((k, i) => [k, combo[i]]));
    const name = combo.map((v, i) => `${labels[i]}=${formatValue(v)}`).join(',') || 'base';
    const layers: ConfigLayer[] = [baseLayer];
    keys.forEach((k, i) => layers.push({ values: nestKey(k, combo[i]), origin: { kind: 'sweep', file: sweep.file, key: k, value: combo[i] } }));
    const baseTags = (baseLayer.values.tags ?? {}) as Record<string, string>;
    layers.push({
      values: { experiment: `sweep-${sweep.name}`, tags: { ...baseTags, [RUN_TAGS.sweep]: sweep.name, [RUN_TAGS.sweepPoint]: name, [RUN_TAGS.sweepMetric]: `${sweep.metric}/${sweep.split}/${sweep.mode}` } },
      origin: { kind: 'sweep', file: sweep.file, key: 'experiment', value: `sweep-${sweep.name}` },
    });
    layers.push(...sets);
    if (opts.seed !== undefined) layers.push({ values: { seeds: [opts.seed] }, origin: { kind: 'seed', seed: opts.seed } });
    return { name, overrides, config: resolveConfig(layers, { checkFiles: opts.checkFiles }) };
  });
}

function nestKey(key: string, value: unknown): Record<string, unknown> {
  return key.split('.').reduceRight<unknown>((acc, part) => ({ [part]: acc }), value) as Record<string, unknown>;
}

function formatValue(v: unknown): string {
  if (Array.isArray(v)) return v.map(formatValue).join('-');
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
