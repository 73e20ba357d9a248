import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendChoice, EpochLog, TrainResult } from '@emofuse/models';
import type { ClassMetrics, Scores } from '@emofuse/eval';
import { RUN_TAGS, createTracker, redactUri, type DatasetInput, type Tracker, type TrackerRun } from '@emofuse/tracking';
import type { Config } from '../config/schema.ts';
import type { RunContext } from '../context.ts';
import { atConfigKey } from '../errors.ts';
import type { RunEnvironment } from '../env.ts';
import type { FoldChoice } from './run-files.ts';
import { computedSlices } from '../sweep/store.ts';

/**
 * With a tracking URI (config or MLFLOW_TRACKING_URI) runs go to the server and are journaled to
 * the local store too, so a server that is down, slow or fails mid-run loses nothing and never
 * holds training back (`emofuse runs push` delivers the rest later). Ctrl-C cancels server requests
 * in flight. Without a URI, runs go to the local store only.
 */
export function makeTracker(config: Config, ctx: RunContext): Tracker {
  try {
    return createTracker({
    uri: config.tracking.uri ?? undefined, localDir: localStoreDir(), warn: ctx.warn, signal: ctx.signal,
    pushHint: pushCommand,
  });
  } catch (e) {
    throw atConfigKey(e, 'tracking.uri');
  }
}

/** Where a tracker's runs can be read back from disk: its own folder, or the journal of a server run. */
/** Quote a path for a shell command we print. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

/** The command that delivers a journal to its server later, as the fallback warning prints it. */
export function pushCommand(store: string, server: string): string {
  return `emofuse runs push --store ${shellWord(store)} --to ${shellWord(server)}`;
}

export function readableStore(tracker: Tracker): string {
  return tracker.location.startsWith('file:') ? fileURLToPath(tracker.location) : localStoreDir();
}

/** The resolved config as flat `key.path` params (lists as JSON), so runs can be compared key by key. */
export function flattenConfig(config: Config): Record<string, string> {
  // Only the slices the run's systems read (the fingerprint's rule), plus where results went.
  const plain = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  const kept = { experiment: plain.experiment, output: plain.output, report: plain.report, tracking: plain.tracking, ...computedSlices(plain) };
  const out: Record<string, string> = {};
  const walk = (v: unknown, key: string) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, key ? `${key}.${k}` : k);
    } else if (key !== 'seeds' && !key.startsWith('tags.')) {
      out[key] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  };
  walk(kept, '');
  if (out['tracking.uri']) out['tracking.uri'] = redactUri(out['tracking.uri']);
  return out;
}

/** The local MLflow-layout store: ./mlruns, or EMOFUSE_MLRUNS. */
export function localStoreDir(): string {
  return path.resolve(process.env.EMOFUSE_MLRUNS ?? 'mlruns');
}

export function metaParams(env: RunEnvironment, backend: BackendChoice): Record<string, string> {
  return {
    'meta.git_commit': env.gitCommit ?? 'none',
    'meta.git_dirty': String(env.gitDirty),
    'meta.backend': backend.name,
    'meta.backend_reason': backend.reason.slice(0, 480),
    // tfjs-node's numbers depend on its intra-op thread count (reductions split differently).
    'meta.tf_threads': process.env.TF_NUM_INTRAOP_THREADS ?? `default (${availableParallelism()} CPUs)`,
    'meta.node': env.node,
    'meta.platform': env.platform,
    ...Object.fromEntries(Object.entries(env.libraries).map(([k, v]) => [`lib.${k.replace(/^@/, '')}`, v])),
    'lib.python': env.python?.version ?? 'none',
    'lib.mlflow': env.python?.mlflow ?? 'none',
    'lib.opensmile': env.python?.opensmile ?? 'none',
  };
}

/** Logs one text as an artifact (through a temporary file, removed afterwards). */
export async function logText(run: TrackerRun, name: string, text: string): Promise<void> {
  const d = mkdtempSync(path.join(tmpdir(), 'emofuse-art-'));
  try {
    writeFileSync(path.join(d, name), text);
    await run.logArtifact(path.join(d, name));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

interface FoldRef { name: string; index: number; of?: number }

/**
 * The per-epoch keys: one scheme for every fold. A single split logs the plain names (train_loss,
 * ...); a run of several folds logs every fold under `fold_<name>/` (fold_03/train_loss,
 * fold_08/train_loss), so no fold's curve shares a key with another's and none is special.
 */
const prefixOf = (fold: FoldRef & { of?: number }) => ((fold.of ?? 1) > 1 ? `fold_${fold.name}/` : '');

/** A class name as a metric key part (MLflow allows letters, digits, _ - . / and space). */
const keyPart = (s: string) => s.replace(/[^\w\-. ]/g, '_');

/** One tracked run of one system and seed, nested under the invocation's run. */
export class SystemRun {
  constructor(readonly run: TrackerRun) {}

  logMetrics(batch: { key: string; value: number; step?: number }[]): Promise<void> {
    return this.run.logMetrics(batch);
  }

  logEpoch(log: EpochLog, fold: FoldRef): Promise<void> {
    const values: [string, number | undefined][] = [
      ['train_loss', log.trainLoss], ['train_acc', log.trainAcc], ['valid_loss', log.validLoss], ['valid_acc', log.validAcc], ['epoch_seconds', log.seconds],
    ];
    const prefix = prefixOf(fold);
    return this.run.logMetrics(values.filter(([, v]) => v !== undefined).map(([k, v]) => ({ key: `${prefix}${k}`, value: v!, step: log.epoch })));
  }

  /** The epoch whose weights were restored, and its validation figures (not the last epoch's). */
  logBestEpoch(res: TrainResult, fold: FoldRef): Promise<void> {
    const best = res.history[res.bestEpoch - 1];
    const prefix = prefixOf(fold);
    const values: [string, number | undefined][] = [['best_epoch', res.bestEpoch], ['best_valid_loss', best?.validLoss], ['best_valid_acc', best?.validAcc]];
    return this.run.logMetrics(values.filter(([, v]) => v !== undefined).map(([k, v]) => ({ key: `${prefix}${k}`, value: v!, step: fold.index })));
  }
}

export interface SystemRunsOwner {
  config: Config; tracker: Tracker; parent: TrackerRun; experimentName: string; baseTags: Record<string, string>;
  env: RunEnvironment; backend: BackendChoice;
}

/** The tracked runs of one seed: one per trained and per fused system. */
export class SystemRuns {
  private readonly runs = new Map<string, SystemRun>();
  private ended = false;

  static async start(o: SystemRunsOwner, s: { seed: number; dir: string; systems: string[]; fused: string[]; corpusFingerprint: string; context: (system: string) => string }): Promise<SystemRuns> {
    const out = new SystemRuns();
    try {
      for (const name of [...s.systems, ...s.fused]) {
        const r = await o.tracker.startRun({
          experiment: o.experimentName, runName: `${name}-s${s.seed}`, parentRunId: o.parent.runId,
          description: `${name}, seed ${s.seed} (${s.context(name)}-level); run folder ${s.dir}`,
          tags: { ...o.baseTags, [RUN_TAGS.system]: name, [RUN_TAGS.seed]: String(s.seed), [RUN_TAGS.runDir]: s.dir, [RUN_TAGS.context]: s.context(name) },
        });
        out.runs.set(name, new SystemRun(r));
        await r.logParams({ ...flattenConfig(o.config), ...metaParams(o.env, o.backend), seed: s.seed, system: name, 'corpus.fingerprint': s.corpusFingerprint });
      }
    } catch (e) {
      await out.endAll('FAILED');
      throw e;
    }
    return out;
  }

  get(name: string): SystemRun {
    return this.runs.get(name)!;
  }

  /** The corpus as the runs' dataset input (the MLflow UI's Datasets column). */
  async logDataset(d: DatasetInput): Promise<void> {
    for (const r of this.runs.values()) await r.run.logInputs([d]);
  }

  async tagAll(tags: Record<string, string>): Promise<void> {
    for (const r of this.runs.values()) await r.run.setTags(tags);
  }

  /** Final scores per split, then the system's folder (and its models) as artifacts. */
  async finish(name: string, scores: Partial<Record<string, Scores>>, dirs: { system: string; models: string }, choices: FoldChoice[] = [], perClass: ClassMetrics[] = []): Promise<void> {
    const run = this.get(name).run;
    await run.logMetrics(Object.entries(scores).flatMap(([part, s]) => Object.entries(s!).map(([k, v]) => ({ key: `${part}_${k}`, value: v }))));
    // Per class on the pooled test set: one chart group per quantity in the MLflow UI (test_recall_by_class/<class>, ...; not test_recall/<class>: a key may not be a folder of another key in the file store).
    if (perClass.length) {
      await run.logMetrics(perClass.flatMap((c) => (['recall', 'precision', 'f1', 'support'] as const).map((q) => ({ key: `test_${q}_by_class/${keyPart(c.class)}`, value: c[q] }))));
    }
    // Every fold's chosen weights under one key per input system, step = fold index.
    const weights = choices.flatMap((c) => {
      const p = c.params as { weights?: number[]; systems?: string[] } | undefined;
      return p?.weights && p.systems ? p.weights.map((w, i) => ({ key: `fusion_weight.${p.systems![i]}`, value: w, step: c.index })) : [];
    });
    if (weights.length) await run.logMetrics(weights);
    await run.logArtifactDir(dirs.system);
    // Trained models under model/<fold>/, the layout loadModel reads back from a downloaded artifact folder.
    if (existsSync(dirs.models)) await run.logArtifactDir(dirs.models, 'model');
  }

  async endAll(status: 'FINISHED' | 'FAILED' | 'KILLED'): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    for (const r of this.runs.values()) {
      if (status === 'FINISHED') await r.run.endRun(status);
      else await r.run.endRun(status).catch(() => undefined);
    }
  }
}

/**
 * The invocation's own run carries what its system runs measured, so the MLflow runs table shows
 * numbers on the parent's row: `<system>.<split>_<metric>` is the mean over seeds and
 * `<system>.<split>_<metric>_sd` the sample sd (with several seeds).
 */
export function summaryMetrics(seeds: Array<{ metrics: Record<string, Partial<Record<string, Scores>>> }>): { key: string; value: number }[] {
  const values = new Map<string, number[]>();
  for (const s of seeds) {
    for (const [system, parts] of Object.entries(s.metrics)) {
      for (const [part, scores] of Object.entries(parts)) {
        for (const [k, v] of Object.entries(scores ?? {})) {
          const key = `${system}.${part}_${k}`;
          values.set(key, [...(values.get(key) ?? []), v]);
        }
      }
    }
  }
  return [...values.entries()].flatMap(([key, xs]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const out = [{ key, value: mean }];
    if (xs.length > 1) out.push({ key: `${key}_sd`, value: Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) });
    return out;
  });
}
