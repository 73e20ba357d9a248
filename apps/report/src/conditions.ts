import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { EmofuseError } from '@emofuse/core';
import { RUN_TAGS } from '@emofuse/tracking';
import type { ReportRun } from './input.ts';

/**
 * How each experiment's runs were made, read from what the runs logged (params and tags): corpus
 * and its caveats, protocol, folds, seeds, epochs and stopping rule, backend and commit, and where
 * the resolved config leaves the paper's Table 1. A number means little without these.
 */

export const PAPER_CONFIG_FILE = path.resolve(import.meta.dirname, '../data/paper-config.json');

const paperConfigSchema = z.object({
  source: z.string().min(1),
  /** Flat config keys as the pipeline logs them (lists as JSON) -> the paper's value. */
  params: z.record(z.string(), z.string()),
  notes: z.record(z.string(), z.string()).optional().default({}),
  /** A corpus tag that starts with `match` carries `caveat`. */
  corpora: z.array(z.object({ match: z.string().min(1), caveat: z.string().min(1) })),
});
export type PaperConfig = z.output<typeof paperConfigSchema>;

export function loadPaperConfig(file = PAPER_CONFIG_FILE): PaperConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new EmofuseError(`cannot read the paper's configuration: ${(e as Error).message}`, { where: file, fix: 'restore apps/report/data/paper-config.json from git', cause: e });
  }
  const r = paperConfigSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new EmofuseError(`${i.path.map(String).join('.')}: ${i.message}`, { where: file, fix: 'restore apps/report/data/paper-config.json from git' });
  }
  return r.data;
}

export interface ConfigDiff {
  key: string;
  /** The values the runs logged (several when runs differ). */
  runs: string[];
  paper: string;
  note?: string;
}

export interface ExperimentConditions {
  experiment: string;
  corpus: string;
  caveats: string[];
  protocol: string;
  folds: string;
  seeds: number[];
  epochs: string;
  stopping: string;
  backend: string;
  commit: string;
  /** Config keys whose logged value is not the paper's (keys no run logged are left out). */
  differs: ConfigDiff[];
}

type RunFacts = Pick<ReportRun, 'experiment' | 'seed' | 'tags' | 'params' | 'history' | 'fusionCurve'>;

const distinct = (xs: Array<string | undefined>) => [...new Set(xs.filter((x): x is string => x !== undefined && x !== ''))];
const orUnknown = (xs: string[], what = 'not recorded') => (xs.length ? xs.join('; ') : what);

/** The backend, with tfjs-node's thread count when logged: the same seed gives other numbers at another count. */
function backendOf(r: RunFacts): string | undefined {
  const backend = r.params['meta.backend'] ?? r.tags[RUN_TAGS.backend];
  const threads = r.tags[RUN_TAGS.tfThreads] ?? r.params['meta.tf_threads'];
  return backend === 'tensorflow' && threads ? `${backend} (threads: ${threads})` : backend;
}

function foldsOf(runs: RunFacts[]): string {
  // The folds that ran (tag split.folds), else what the config asked for, else the fusion artifact's folds.
  const ran = distinct(runs.map((r) => r.tags[RUN_TAGS.splitFolds]));
  if (ran.length) return ran.map((f) => `${f.split(',').length} (${f.split(',').join(', ')})`).join('; ');
  const fromCurves = distinct(runs.flatMap((r) => (r.fusionCurve ? [r.fusionCurve.folds.map((f) => f.fold).join(',')] : [])));
  const asked = distinct(runs.map((r) => r.params['split.folds']));
  if (fromCurves.length) return fromCurves.map((f) => `${f.split(',').length} (${f.split(',').join(', ')})`).join('; ');
  return asked.length ? `as configured: ${asked.join('; ')}` : 'not recorded';
}

function epochsOf(runs: RunFacts[]): string {
  const asked = distinct(runs.map((r) => r.params['train.epochs']));
  const ran = runs.filter((r) => r.history.length).map((r) => Math.max(...r.history.map((h) => h.epoch)));
  const lo = Math.min(...ran);
  const hi = Math.max(...ran);
  const askedText = asked.length ? `train.epochs = ${asked.join(' / ')}` : 'train.epochs not recorded';
  return ran.length ? `${askedText}; ${lo === hi ? lo : `${lo}–${hi}`} epoch(s) run (first fold's history)` : askedText;
}

function stoppingOf(runs: RunFacts[]): string {
  const patience = distinct(runs.map((r) => r.params['train.patience']));
  const monitor = distinct(runs.map((r) => r.params['train.monitor']));
  if (!patience.length && !monitor.length) return 'not recorded';
  return `early stopping on ${orUnknown(monitor, 'an unrecorded monitor')}, patience ${orUnknown(patience, 'not recorded')}; the best epoch's weights are restored`;
}

function commitOf(runs: RunFacts[]): string {
  return orUnknown(distinct(runs.map((r) => {
    const c = r.params['meta.git_commit'];
    if (!c) return undefined;
    return `${c.slice(0, 12)}${r.params['meta.git_dirty'] === 'true' ? ' (uncommitted changes)' : ''}`;
  })));
}

export function configDiff(runs: RunFacts[], paper: PaperConfig): ConfigDiff[] {
  const out: ConfigDiff[] = [];
  for (const [key, want] of Object.entries(paper.params)) {
    const have = distinct(runs.map((r) => r.params[key]));
    if (!have.length || (have.length === 1 && have[0] === want)) continue;
    out.push({ key, runs: have, paper: want, ...(paper.notes[key] ? { note: paper.notes[key] } : {}) });
  }
  return out;
}

/** One entry per experiment, in the order experiments first appear. */
export function experimentConditions(runs: RunFacts[], paper: PaperConfig = loadPaperConfig()): ExperimentConditions[] {
  const names = [...new Set(runs.map((r) => r.experiment))];
  return names.map((experiment) => {
    const rs = runs.filter((r) => r.experiment === experiment);
    const corpora = distinct(rs.map((r) => r.tags[RUN_TAGS.corpus] ?? r.params['corpus.type']));
    const caveats = distinct(corpora.flatMap((c) => paper.corpora.filter((k) => c.toLowerCase().startsWith(k.match)).map((k) => `${c}: ${k.caveat}`)));
    return {
      experiment,
      corpus: orUnknown(corpora),
      caveats,
      protocol: orUnknown(distinct(rs.map((r) => r.tags[RUN_TAGS.splitProtocol] ?? r.params['split.protocol']))),
      folds: foldsOf(rs),
      seeds: [...new Set(rs.map((r) => r.seed))].sort((a, b) => a - b),
      epochs: epochsOf(rs),
      stopping: stoppingOf(rs),
      backend: orUnknown(distinct(rs.map(backendOf))),
      commit: commitOf(rs),
      differs: configDiff(rs, paper),
    };
  });
}

/** The conditions as display rows (item, value). */
export function conditionRows(c: ExperimentConditions): Array<{ item: string; value: string }> {
  return [
    { item: 'corpus', value: c.corpus },
    ...c.caveats.map((v) => ({ item: 'caveat', value: v })),
    { item: 'protocol', value: c.protocol },
    { item: 'folds', value: c.folds },
    { item: 'seeds', value: `${c.seeds.length} (${c.seeds.join(', ')})` },
    { item: 'epochs', value: c.epochs },
    { item: 'stopping rule', value: c.stopping },
    { item: 'backend', value: c.backend },
    { item: 'commit', value: c.commit },
  ];
}

export function diffRows(c: ExperimentConditions): Array<Record<string, string>> {
  return c.differs.map((d) => ({ 'config key': d.key, 'this run': d.runs.join(' / '), "paper's Table 1": d.paper + (d.note ? ` (${d.note})` : '') }));
}

/** The conditions as Markdown, for summary.md. */
export function conditionsMarkdown(cs: ExperimentConditions[]): string {
  return cs.map((c) => {
    const lines = [`### Run conditions: ${c.experiment}`, '', ...conditionRows(c).map((r) => `- ${r.item}: ${r.value}`), ''];
    lines.push(c.differs.length
      ? `Differences from the paper's Table 1: ${c.differs.map((d) => `${d.key} = ${d.runs.join(' / ')} (paper ${d.paper})`).join('; ')}.`
      : "The logged config matches the paper's Table 1 on every key the runs logged.");
    return lines.join('\n') + '\n';
  }).join('\n');
}
