/**
 * Resume: which (config fingerprint, seed) pairs are already complete in the run store.
 *
 * The config fingerprint is a hash of the resolved configuration with the keys that do not change
 * what is computed taken out: `seeds` (the seed is the other half of the pair), `experiment`,
 * `tags`, `output`, `report` and `tracking` (names, labels and where results are written). Of the
 * rest, only what the run's systems read counts (`computedSlices`): the `model.<slice>` of each
 * system trained (those a system `takes` included), the feature modalities they read, `fusion` only
 * when the run fuses. And only values that differ from the defaults count, so a key added to the
 * schema later (with its default) leaves the fingerprints of older runs as they were.
 *
 * Old stores resume without a migration: a run directory's fingerprint is never stored, it is
 * computed from its own config.resolved.yaml each time, by the same rules. (A plan.json of an
 * older sweep holds fingerprints made by the older rule; readPlan recomputes them from tasks/*.yaml.)
 * The hash is taken over the YAML form the run wrote, so a task's config and a run directory's
 * config.resolved.yaml compare equal whatever order or types they came in.
 *
 * The data are fingerprinted apart (inputs.ts): a run records them in meta.json.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { fingerprint } from '@emofuse/core';
import { modalitiesOf, modelDescriptor, modelTypes, trainingOrder } from '@emofuse/models/config';
import { configDefaults } from '../config/defaults.ts';
import { textInputOf, toResolvedYaml } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { InputFingerprints } from './inputs.ts';
import { partialOwner, type PartialOwner } from '../runs.ts';

/** Top-level config keys left out of the fingerprint (see above). */
export const FINGERPRINT_EXCLUDES = ['seeds', 'experiment', 'tags', 'output', 'report', 'tracking'] as const;

type Plain = Record<string, unknown>;
const isMap = (v: unknown): v is Plain => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The parts of a resolved config (plain, as parsed from its YAML) that the run's systems read: the
 * `model` slices of the systems trained (with those they take), `features.text` / `.speech` only
 * when a system reads that modality, `fusion` only with fusion rules. Shared blocks (model.dense,
 * train, split, corpus) stay. A system type this process does not know (a plugin not loaded) keeps everything.
 */
export function computedSlices(plain: Plain): Plain {
  const rest: Plain = { ...plain };
  for (const k of FINGERPRINT_EXCLUDES) delete rest[k];
  const systems = Array.isArray(plain.systems) ? (plain.systems as string[]) : [];
  const model = isMap(plain.model) ? plain.model : {};
  const features = isMap(plain.features) ? plain.features : {};
  const corpus = isMap(plain.corpus) ? plain.corpus : {};
  let trained: string[];
  try {
    trained = trainingOrder(systems, {
      model, textInput: textInputOf({ features } as Pick<Config, 'features'>), textTokens: isMap(features.text) && features.text.trainable === true,
      corpus: { type: String(corpus.type ?? ''), dialogues: corpus.type !== 'emodb' },
    });
  } catch {
    return rest;
  }
  const sliceOf = (t: string) => modelDescriptor(t).config?.key;
  const allSlices = new Set(modelTypes().map(sliceOf).filter((k): k is string => !!k));
  const read = new Set(trained.flatMap((t) => [sliceOf(t), ...(modelDescriptor(t).slices ?? [])]).filter((k): k is string => !!k));
  rest.model = Object.fromEntries(Object.entries(model).filter(([k]) => !allSlices.has(k) || read.has(k)));
  const reads = modalitiesOf(trained);
  const f: Plain = { ...features };
  if (!reads.text) delete f.text;
  if (!reads.speech) delete f.speech;
  delete f.cacheDir; // where derived features are kept, not what they are
  rest.features = f;
  const fusion = isMap(plain.fusion) ? plain.fusion : {};
  if (!Array.isArray(fusion.rules) || fusion.rules.length === 0) delete rest.fusion;
  return rest;
}

/** `value` without the entries equal to `base` (recursively into maps; lists and scalars compare whole). */
function withoutDefaults(value: unknown, base: unknown): unknown {
  if (!isMap(value) || !isMap(base)) return value;
  const out: Plain = {};
  for (const [k, v] of Object.entries(value)) {
    if (!(k in base)) out[k] = v;
    else if (isMap(v) && isMap(base[k])) {
      const d = withoutDefaults(v, base[k]) as Plain;
      if (Object.keys(d).length) out[k] = d;
    } else if (fingerprint(v) !== fingerprint(base[k])) out[k] = v;
  }
  return out;
}

let defaultsPlain: { version: string; plain: Plain } | undefined;
/** The defaults in the same plain YAML form a run's config takes (rebuilt when a plugin adds a type). */
function defaultsAsPlain(): Plain {
  const version = modelTypes().join(',');
  if (defaultsPlain?.version !== version) defaultsPlain = { version, plain: YAML.parse(YAML.stringify(configDefaults(), { lineWidth: 0 })) as Plain };
  return defaultsPlain.plain;
}

function fingerprintOfPlain(plain: Plain): string {
  return fingerprint(withoutDefaults(computedSlices(plain), defaultsAsPlain()));
}

/** The config fingerprint of a config.resolved.yaml (or a task's .yaml) text. */
export function fingerprintOfYaml(text: string): string {
  return fingerprintOfPlain(YAML.parse(text) as Plain);
}

/** The config fingerprint of a resolved config. */
export function configFingerprint(config: Config): string {
  return fingerprintOfPlain(YAML.parse(toResolvedYaml(config)) as Record<string, unknown>);
}

export const taskKey = (fp: string, seed: number) => `${fp}#${seed}`;

export interface CompletedRun {
  dir: string;
  runId: string;
  seed: number;
  fingerprint: string;
  /** system -> split -> scores, as the run wrote them. */
  metrics: Record<string, Record<string, Record<string, number>>>;
  /** When the run started (meta.json), for picking the newest of duplicates. */
  startedAt: string;
  /** The fingerprints of its data (meta.json `inputs`); undefined for a run made before they were recorded. */
  inputs?: InputFingerprints;
}

/**
 * Complete runs under `<outputDir>/<experiment>/`: a directory with its final name (not a
 * `.…partial-…` temp dir) holding config.resolved.yaml, meta.json and metrics.json. Keyed by
 * taskKey(fingerprint, seed); when a pair was run twice, the newest run wins.
 */
export function completedRuns(outputDir: string, experiments: string[]): Map<string, CompletedRun> {
  const out = new Map<string, CompletedRun>();
  for (const exp of new Set(experiments)) {
    const expDir = path.join(outputDir, exp);
    let names: string[];
    try {
      names = readdirSync(expDir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue; // temp dirs of unfinished runs, sweep folders
      const dir = path.join(expDir, name);
      const run = readRun(dir);
      if (!run) continue;
      const key = taskKey(run.fingerprint, run.seed);
      const prev = out.get(key);
      if (!prev || prev.startedAt < run.startedAt) out.set(key, run);
    }
  }
  return out;
}

function readRun(dir: string): CompletedRun | undefined {
  try {
    if (!statSync(dir).isDirectory()) return undefined;
    const files = ['config.resolved.yaml', 'meta.json', 'metrics.json'].map((f) => path.join(dir, f));
    if (!files.every((f) => existsSync(f))) return undefined;
    const cfg = YAML.parse(readFileSync(files[0], 'utf8')) as Record<string, unknown>;
    const meta = JSON.parse(readFileSync(files[1], 'utf8')) as { runId?: string; seed?: number; startedAt?: string; inputs?: InputFingerprints };
    const metrics = JSON.parse(readFileSync(files[2], 'utf8')) as CompletedRun['metrics'];
    if (typeof meta.seed !== 'number' || !cfg || typeof cfg !== 'object') return undefined;
    return { dir, runId: meta.runId ?? path.basename(dir), seed: meta.seed, fingerprint: fingerprintOfPlain(cfg), metrics, startedAt: meta.startedAt ?? '', inputs: isMap(meta.inputs) ? meta.inputs : undefined };
  } catch {
    // Unreadable or half-copied: not complete, so it is redone.
    return undefined;
  }
}

/** Temp dirs (`.<run-id>.partial-<pid>-…`) a killed process left under `<outputDir>/<experiment>/`. */
export function partialDirs(outputDir: string, experiments: string[]): string[] {
  const out: string[] = [];
  for (const exp of new Set(experiments)) {
    try {
      for (const name of readdirSync(path.join(outputDir, exp))) if (/^\..+\.partial-/.test(name)) out.push(path.join(outputDir, exp, name));
    } catch {
      // no such experiment yet
    }
  }
  return out;
}

/**
 * Runs under way: partial folders whose owner process is alive on this host, keyed like complete
 * runs (their config.resolved.yaml and meta.json are written first). A resume must not start
 * these tasks a second time.
 */
export function liveRuns(outputDir: string, experiments: string[]): Map<string, { dir: string; owner: PartialOwner }> {
  const out = new Map<string, { dir: string; owner: PartialOwner }>();
  for (const dir of partialDirs(outputDir, experiments)) {
    if (dir.endsWith('.owner')) continue; // partialDirs lists the owner files beside the folders
    const owner = partialOwner(dir);
    if (owner.state !== 'alive') continue;
    try {
      const cfg = YAML.parse(readFileSync(path.join(dir, 'config.resolved.yaml'), 'utf8')) as Plain;
      const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { seed?: number };
      if (typeof meta.seed === 'number' && isMap(cfg)) out.set(taskKey(fingerprintOfPlain(cfg), meta.seed), { dir, owner });
    } catch {
      // just created: its header is not written yet, so it cannot be matched
    }
  }
  return out;
}
