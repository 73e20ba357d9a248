/**
 * Fingerprints of the data a run reads, so resume never reuses a result computed from other data:
 * `corpus.path` and every value under `features.*` that names an existing file or folder (the
 * embeddings .vec, feature files under features.<modality>.file.path, whatever a later key names).
 * A file is hashed by content; a folder (EmoDB's wav/) by its file names and sizes. Recorded in each
 * run's meta.json (`inputs`) and compared before a complete run is skipped.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { contentHash } from '@emofuse/core';

/** config key -> `sha256:<hex>` of the file's content (or a folder's listing). */
export type InputFingerprints = Record<string, string>;

// One hash per (file, size, mtime) per process: a sweep checks the same files for every point.
const cache = new Map<string, string>();

function hashFile(file: string, size: number, mtimeMs: number): string {
  const key = `${file}\0${size}\0${mtimeMs}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const out = `sha256:${contentHash(file).slice(0, 32)}`;
  cache.set(key, out);
  return out;
}

function hashFolder(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string, rel: string) => {
    for (const ent of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) walk(p, `${rel}${ent.name}/`);
      else if (ent.isFile()) h.update(`${rel}${ent.name}\0${statSync(p).size}\n`);
    }
  };
  walk(dir, '');
  return `listing:${h.digest('hex').slice(0, 32)}`;
}

/** The fingerprint of one path, or undefined when it names no file or folder. */
export function pathFingerprint(p: string): string | undefined {
  let st;
  try {
    st = statSync(p);
  } catch {
    return undefined;
  }
  if (st.isFile()) return hashFile(p, st.size, st.mtimeMs);
  if (st.isDirectory()) return hashFolder(p);
  return undefined;
}

/** Fingerprints of the inputs a (resolved, paths absolute) config reads; see the file comment. */
export function inputFingerprints(config: { corpus: { path: string }; features?: unknown }): InputFingerprints {
  const out: InputFingerprints = {};
  const add = (key: string, value: unknown) => {
    if (typeof value !== 'string' || !path.isAbsolute(value)) return;
    const fp = pathFingerprint(value);
    if (fp) out[key] = fp;
  };
  add('corpus.path', config.corpus.path);
  const walk = (v: unknown, key: string) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, `${key}.${k}`);
    else add(key, v);
  };
  // (features.cacheDir is where derived features are kept, not an input)
  const { cacheDir: _cache, ...features } = (config.features ?? {}) as Record<string, unknown>;
  walk(features, 'features');
  return out;
}

/** The keys whose fingerprint differs between a run's record and now (a key on one side only counts). */
export function changedInputs(then: InputFingerprints, now: InputFingerprints): string[] {
  return [...new Set([...Object.keys(then), ...Object.keys(now)])].filter((k) => then[k] !== now[k]).sort();
}
