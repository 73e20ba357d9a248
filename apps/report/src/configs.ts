import { fingerprint } from '@emofuse/core';
import { RUN_TAGS } from '@emofuse/tracking';
import type { ReportRun } from './input.ts';

/**
 * One report row per configuration, not per system name: two configurations of one system under
 * one experiment (model.text.lstmInput words vs utterance) are different systems, not seeds.
 *
 * A run's configuration is its params (the pipeline logs the resolved config flattened to
 * `key.path` params) minus what varies from run to run without changing the system: the seed, the
 * system name itself, where things live on this machine, and the meta/library provenance.
 */

/** Params that never make two runs different configurations. */
const IGNORED_KEYS = new Set([
  'seed',
  'seeds',
  'system',
  // Naming and bookkeeping: the same config under another experiment name is the same config.
  'experiment',
  // Paths on this machine; the corpus content is in corpus.fingerprint.
  'corpus.path',
  'features.cacheDir',
  'features.speech.smileBinary',
  'features.speech.workers',
  // The backend runs the same model; meta.backend records which one ran.
  'train.backend',
]);
const IGNORED_PREFIXES = ['meta.', 'lib.', 'tags.', 'tracking.', 'output.', 'report.', 'mlflow.'];

export function isConfigKey(key: string): boolean {
  return !IGNORED_KEYS.has(key) && !IGNORED_PREFIXES.some((p) => key.startsWith(p));
}

/** The params that define a run's configuration, keys sorted. */
export function configParams(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(params)
      .filter(isConfigKey)
      .sort()
      .map((k) => [k, params[k]]),
  );
}

/** A short stable id of a configuration (same params, same id; order does not matter). */
export function configFingerprint(params: Record<string, string>): string {
  return fingerprint(configParams(params), 12);
}

export interface ConfigGroup {
  system: string;
  /** The row's name: the system, plus what differs from its other configurations when it has several. */
  label: string;
  config: string;
  /** The params that set this configuration apart from the system's other configurations (empty with one). */
  differs: Record<string, string>;
}

export type LabelledRun = ReportRun & { label: string; config: string; differs: Record<string, string> };

/** Labels with more differing keys than this are cut, so chart axes stay readable. */
const MAX_KEYS_IN_LABEL = 3;
const UNSET = '(unset)';

/**
 * Group runs by (system, configuration). A system with one configuration keeps its plain name; with
 * several, each row is named by the params that differ, e.g. "text-lstm (model.text.lstmInput=utterance)".
 */
export function configGroups(runs: ReportRun[]): Map<string, ConfigGroup> {
  const bySystem = new Map<string, Map<string, Record<string, string>>>();
  const configOf = new Map<string, string>();
  for (const run of runs) {
    const params = configParams(run.params);
    const config = fingerprint(params, 12);
    configOf.set(run.id, config);
    const configs = bySystem.get(run.system) ?? new Map<string, Record<string, string>>();
    if (!configs.has(config)) configs.set(config, params);
    bySystem.set(run.system, configs);
  }
  const groups = new Map<string, ConfigGroup>(); // `${system}\0${config}` -> group
  for (const [system, configs] of bySystem) {
    if (configs.size === 1) {
      const [config] = configs.keys();
      groups.set(`${system}\u0000${config}`, { system, label: system, config, differs: {} });
      continue;
    }
    const all = [...configs.values()];
    const keys = [...new Set(all.flatMap((p) => Object.keys(p)))].sort();
    const varying = keys.filter((k) => new Set(all.map((p) => p[k] ?? UNSET)).size > 1);
    const used = new Set<string>();
    for (const [config, params] of configs) {
      const differs = Object.fromEntries(varying.map((k) => [k, params[k] ?? UNSET]));
      const shown = varying.slice(0, MAX_KEYS_IN_LABEL).map((k) => `${k}=${differs[k]}`);
      if (varying.length > MAX_KEYS_IN_LABEL) shown.push(`+${varying.length - MAX_KEYS_IN_LABEL} more`);
      let label = `${system} (${shown.join(', ')})`;
      // A cut label can repeat; the fingerprint tells the rows apart.
      if (used.has(label)) label = `${system} (${shown.join(', ')}; config ${config.slice(0, 6)})`;
      used.add(label);
      groups.set(`${system}\u0000${config}`, { system, label, config, differs });
    }
  }
  return new Map(runs.map((r) => [r.id, groups.get(`${r.system}\u0000${configOf.get(r.id)}`)!]));
}

/** The runs with their row label and configuration id attached. */
export function labelRuns(runs: ReportRun[]): LabelledRun[] {
  const groups = configGroups(runs);
  return runs.map((r) => {
    const g = groups.get(r.id)!;
    return { ...r, label: g.label, config: g.config, differs: g.differs };
  });
}

/**
 * One run per (configuration, seed): a seed run twice (concurrently, or again with --fresh) is one
 * seed, not two. The latest complete run counts (by start time, else the later in input order);
 * each repeat is named so the reader knows which run was used.
 */
export function latestPerSeed<R extends LabelledRun>(runs: R[]): { runs: R[]; notes: string[] } {
  const keep = new Map<string, R>();
  const all = new Map<string, R[]>();
  runs.forEach((r) => {
    const k = `${r.label}\u0000${r.seed}`;
    all.set(k, [...(all.get(k) ?? []), r]);
    const prev = keep.get(k);
    if (!prev || (r.startTime ?? 0) >= (prev.startTime ?? 0)) keep.set(k, r);
  });
  const kept = new Set(keep.values());
  const notes = [...all.entries()].filter(([, rs]) => rs.length > 1).map(([k, rs]) => {
    const chosen = keep.get(k)!;
    return `${chosen.label}: seed ${chosen.seed} ran ${rs.length} times (runs ${rs.map((r) => r.id).join(', ')}); it counts once, with the latest complete run (${chosen.id}).`;
  });
  return { runs: runs.filter((r) => kept.has(r)), notes };
}

/** Seeds that occur more than once in one configuration: repeats of one run, not independent seeds. */
export function repeatedSeeds(runs: LabelledRun[]): Array<{ label: string; seed: number; runs: string[] }> {
  const seen = new Map<string, string[]>();
  for (const r of runs) {
    const k = `${r.label}\u0000${r.seed}`;
    seen.set(k, [...(seen.get(k) ?? []), r.id]);
  }
  return [...seen.entries()]
    .filter(([, ids]) => ids.length > 1)
    .map(([k, ids]) => {
      const [label, seed] = k.split('\u0000');
      return { label, seed: Number(seed), runs: ids };
    });
}

export type Context = 'utterance' | 'dialogue';

/**
 * Dialogue-level systems use the conversation around an utterance, which utterance-level systems do
 * not, so reports mark them. The pipeline tags `emofuse.context` from the model registry; runs
 * logged before that tag existed are recognised by name (bc-lstm*).
 */
export function contextOf(run: Pick<ReportRun, 'system' | 'tags'>): Context {
  const tag = run.tags[RUN_TAGS.context];
  if (tag !== undefined) return tag === 'dialogue' ? 'dialogue' : 'utterance';
  return run.system.startsWith('bc-lstm') ? 'dialogue' : 'utterance';
}
