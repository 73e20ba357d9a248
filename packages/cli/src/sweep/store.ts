/**
 * Resume: which (config fingerprint, seed) pairs are already complete in the run store.
 *
 * The config fingerprint is a hash of the resolved configuration with the keys that do not change
 * what is computed taken out: `seeds` (the seed is the other half of the pair), `experiment`,
 * `tags`, `output`, `report` and `tracking` (names, labels and where results are written). Every
 * other key (corpus, split, features, systems, model, train, fusion) is in it, so changing any of
 * them makes new work. The hash is taken over the YAML form the run wrote, so a task's config and
 * a run directory's config.resolved.yaml compare equal whatever order or types they came in.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { fingerprint } from '@emofuse/core';
import { toResolvedYaml } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

/** Top-level config keys left out of the fingerprint (see above). */
export const FINGERPRINT_EXCLUDES = ['seeds', 'experiment', 'tags', 'output', 'report', 'tracking'] as const;

function fingerprintOfPlain(plain: Record<string, unknown>): string {
  const rest = { ...plain };
  for (const k of FINGERPRINT_EXCLUDES) delete rest[k];
  return fingerprint(rest);
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
    const meta = JSON.parse(readFileSync(files[1], 'utf8')) as { runId?: string; seed?: number; startedAt?: string };
    const metrics = JSON.parse(readFileSync(files[2], 'utf8')) as CompletedRun['metrics'];
    if (typeof meta.seed !== 'number' || !cfg || typeof cfg !== 'object') return undefined;
    return { dir, runId: meta.runId ?? path.basename(dir), seed: meta.seed, fingerprint: fingerprintOfPlain(cfg), metrics, startedAt: meta.startedAt ?? '' };
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
