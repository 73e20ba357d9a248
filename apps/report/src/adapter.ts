import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EmofuseError, type RunRecord } from '@emofuse/core';
import { MLFLOW_TAG_PREFIX, RUN_KINDS, RUN_TAGS } from '@emofuse/tracking';
import { confusionSchema, fusionCurveSchema, predictionsSchema, type ConfusionArtifact, type FusionCurve, type Predictions, type ReportInputLike, type ReportRunLike } from './input.ts';

/**
 * From tracked runs (RunRecord, read back by packages/tracking) to the report's plain input.
 *
 * How a run names its system, seed, metrics and artifacts (the convention the pipeline logs by):
 * - seed: tag `emofuse.seed` or param `seed`.
 * - one system per run: tag `emofuse.system` or param `system`; final metrics `<split>_<metric>`
 *   (test_ua, test_wa, test_f1, valid_ua, ...); per-epoch metrics `train_loss`, `valid_loss`,
 *   `train_acc`, `valid_acc` with step = epoch; artifacts `confusion_<split>.json` (or
 *   `confusion.json`), `fusion_curve.json` and `predictions_<split>.json`.
 * - several systems in one run: everything above prefixed by the system name and a dot
 *   (`late-weighted.test_ua`, `text-lstm.train_loss`) and artifacts under a folder named after
 *   the system (`late-weighted/confusion_test.json`, `late-weighted/fusion_curve.json`).
 * - a parent run whose own metrics are all per-child is skipped: its nested runs are reported.
 * Metrics are fractions (0..1), as packages/eval computes them.
 */

/** Reads one artifact of a run by its path relative to the run's artifact root; null when absent. */
export type ReadArtifact = (run: RunRecord, relPath: string) => Promise<string | Uint8Array | null>;

export interface AdapterOptions {
  /** Split of the confusion matrices to read (default 'test'). */
  split?: string;
  /** Only FINISHED runs are reported unless this is true. */
  includeUnfinished?: boolean;
  /** Where the runs came from, for the report header and messages. */
  source?: string;
}

const SPLIT_METRIC = /^(train|valid|test)_[A-Za-z0-9]+$/;
const PREFIXED = /^(.+)\.((?:train|valid|test)_[A-Za-z0-9]+)$/;
const HISTORY_KEYS = ['train_loss', 'valid_loss', 'train_acc', 'valid_acc'] as const;

/** Reads artifacts of local-store runs from `localArtifactDir`; refuses paths that leave it. */
export const readLocalArtifact: ReadArtifact = async (run, relPath) => {
  if (!run.localArtifactDir) {
    throw new EmofuseError(`run ${run.runId} has no local artifact folder (artifact URI ${run.artifactUri})`, {
      where: `run ${run.runId}`,
      fix: 'pass a readArtifact that downloads through the tracking server',
    });
  }
  const root = path.resolve(run.localArtifactDir);
  const file = path.resolve(root, relPath);
  if (!file.startsWith(root + path.sep)) throw new EmofuseError(`artifact path ${relPath} leaves the run's artifact folder`, { where: `run ${run.runId}` });
  try {
    return await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new EmofuseError(`cannot read artifact ${relPath}: ${(e as Error).message}`, { where: `run ${run.runId}`, cause: e });
  }
};

function systemsOf(r: RunRecord): { systems: string[]; perSystem: boolean } {
  const own = r.tags[RUN_TAGS.system] ?? r.params.system;
  if (own) return { systems: [own], perSystem: true };
  const prefixed = new Set<string>();
  for (const k of Object.keys(r.metrics)) {
    const m = PREFIXED.exec(k);
    if (m) prefixed.add(m[1]);
  }
  if (prefixed.size > 0) return { systems: [...prefixed], perSystem: false };
  // No system named anywhere: the run name is the best label there is.
  return { systems: [r.runName || r.runId], perSystem: true };
}

/** The run's seed, or why it has none (the run is then skipped and named, never fatal for the rest). */
function seedOf(r: RunRecord): number | string {
  const raw = r.tags[RUN_TAGS.seed] ?? r.params.seed;
  const seed = raw === undefined ? NaN : Number(raw);
  if (!Number.isInteger(seed)) return raw === undefined ? `it has no seed (log it as param \`seed\` or tag \`${RUN_TAGS.seed}\`)` : `its seed ${JSON.stringify(raw)} is not an integer`;
  return seed;
}

async function readJsonArtifact(r: RunRecord, candidates: string[], read: ReadArtifact): Promise<{ path: string; value: unknown } | undefined> {
  for (const p of candidates) {
    const raw = await read(r, p);
    if (raw === null) continue;
    const text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
    try {
      return { path: p, value: JSON.parse(text) };
    } catch (e) {
      throw new EmofuseError(`artifact ${p} is not valid JSON: ${(e as Error).message}`, {
        where: `run ${r.runId} (${r.runName})`,
        fix: 'the store is damaged; log the run again or leave it out (--run-ids / tags)',
        cause: e,
      });
    }
  }
  return undefined;
}

function parseArtifact<T>(r: RunRecord, found: { path: string; value: unknown }, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }): T {
  const res = schema.safeParse(found.value);
  if (res.success) return res.data;
  const i = res.error.issues[0];
  throw new EmofuseError(`artifact ${found.path}: ${i.path.map(String).join('.') || 'value'}: ${i.message}`, {
    where: `run ${r.runId} (${r.runName})`,
    fix: 'the store is damaged or was written by another version; log the run again or leave it out',
  });
}

/** Confusion artifacts are `{ classes, counts }`; eval's MetricsReport (`{ classes, confusion }`) is accepted too. */
function asConfusion(v: unknown, split: string): unknown {
  if (v && typeof v === 'object' && !('counts' in v) && 'confusion' in v) {
    const o = v as { classes?: unknown; confusion?: unknown };
    return { split, classes: o.classes, counts: o.confusion };
  }
  return v && typeof v === 'object' ? { split, ...(v as object) } : v;
}

/** Turn tracked runs into the report's input: one entry per (run, system). */
export async function fromRunRecords(records: RunRecord[], readArtifact: ReadArtifact = readLocalArtifact, opts: AdapterOptions = {}): Promise<ReportInputLike> {
  const split = opts.split ?? 'test';
  const parents = new Set(records.map((r) => r.parentRunId).filter((p): p is string => p !== null));
  const runs: ReportRunLike[] = [];
  const skipped: string[] = [];
  for (const r of records) {
    if (!opts.includeUnfinished && r.status !== 'FINISHED') continue;
    // An invocation's own run holds summaries of its system runs (reported one by one), whether or not
    // its children are still there: a child deleted in the MLflow UI leaves it childless.
    if (r.tags[RUN_TAGS.kind] === RUN_KINDS.invocation) {
      if (!parents.has(r.runId)) skipped.push(`run ${r.runId} (${r.runName}) is an invocation whose system runs are all missing (deleted in the MLflow UI?); it is skipped.`);
      continue;
    }
    const hasOwnMetrics = Object.keys(r.metrics).some((k) => SPLIT_METRIC.test(k) || PREFIXED.test(k));
    if (parents.has(r.runId) && !hasOwnMetrics) continue;
    const { systems, perSystem } = systemsOf(r);
    const seed = seedOf(r);
    if (typeof seed === 'string') {
      skipped.push(`run ${r.runId} (${r.runName}, experiment ${r.experimentName}) is skipped: ${seed}.`);
      continue;
    }
    const tags = Object.fromEntries(Object.entries(r.tags).filter(([k]) => !k.startsWith(MLFLOW_TAG_PREFIX)));
    for (const system of systems) {
      const key = (name: string) => (perSystem ? name : `${system}.${name}`);
      const metrics: Record<string, number> = {};
      // Final metrics: every latest value except the per-epoch curves (they go to history).
      for (const [k, v] of Object.entries(r.metrics)) {
        const name = perSystem ? k : k.startsWith(`${system}.`) ? k.slice(system.length + 1) : undefined;
        if (name !== undefined && !(HISTORY_KEYS as readonly string[]).includes(name.replace(/^fold_[^/]+\//, ''))) metrics[name] = v;
      }
      const byEpoch = new Map<number, Record<string, number>>();
      // A run of several folds logs every fold under fold_<name>/; the report draws the first fold's curves.
      const foldPrefix = r.metricHistory[key('train_loss')] ? '' : Object.keys(r.metricHistory)
        .map((k) => new RegExp(`^${perSystem ? '' : `${system.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`}(fold_[^/]+/)train_loss$`).exec(k)?.[1])
        .filter((x): x is string => x !== undefined).sort()[0] ?? '';
      for (const h of HISTORY_KEYS) {
        for (const p of r.metricHistory[key(`${foldPrefix}${h}`)] ?? []) {
          const row = byEpoch.get(p.step) ?? { epoch: p.step };
          if (Number.isFinite(p.value)) row[h] = p.value;
          byEpoch.set(p.step, row);
        }
      }
      const history = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch) as ReportRunLike['history'];
      const dir = perSystem ? '' : `${system}/`;
      const cmFound = await readJsonArtifact(r, [`${dir}confusion_${split}.json`, `${dir}confusion.json`], readArtifact);
      const curveFound = await readJsonArtifact(r, [`${dir}fusion_curve.json`], readArtifact);
      let confusion: ConfusionArtifact | undefined;
      if (cmFound) confusion = parseArtifact(r, { ...cmFound, value: asConfusion(cmFound.value, split) }, confusionSchema);
      let fusionCurve: FusionCurve | undefined;
      if (curveFound) fusionCurve = parseArtifact(r, curveFound, fusionCurveSchema);
      const predFound = await readJsonArtifact(r, [`${dir}predictions_${split}.json`], readArtifact);
      let predictions: Predictions | undefined;
      if (predFound) predictions = parseArtifact(r, predFound, predictionsSchema);
      runs.push({
        id: systems.length > 1 ? `${r.runId}/${system}` : r.runId,
        experiment: r.experimentName,
        system,
        seed,
        startTime: r.startTime,
        tags,
        params: { ...r.params },
        metrics,
        history,
        confusion,
        fusionCurve,
        predictions,
      });
    }
  }
  return { runs, metricUnits: 'fraction', source: opts.source, skipped };
}
