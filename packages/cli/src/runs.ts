import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { pidAlive, processStart } from '@emofuse/core';

export interface RunEntry {
  experiment: string;
  runId: string;
  dir: string;
  /**
   * 'complete': renamed into place with its config. A temp dir (`.<run-id>.partial-*`): 'running'
   * while its owner process lives, 'stale' once it is dead (`emofuse runs gc` removes it),
   * 'incomplete' when the owner cannot be checked (another host, or no owner file).
   */
  status: 'complete' | 'running' | 'stale' | 'incomplete';
  created: string;
  seeds: number[];
  systems: string[];
  fusion: string[];
}

/**
 * Runs under an output folder (`runs/<experiment>/<run-id>/`), newest first. A run counts as
 * complete when its directory has its real name and a config.resolved.yaml; temp directories
 * (`.<run-id>.partial-*`) are listed as running, stale (owner ended) or incomplete (owner unknown).
 */
export function listRunDirs(outputDir: string): RunEntry[] {
  const out: RunEntry[] = [];
  for (const exp of safeReaddir(outputDir)) {
    const expDir = path.join(outputDir, exp);
    if (exp.startsWith('.') || !isDir(expDir)) continue;
    for (const name of safeReaddir(expDir)) {
      const dir = path.join(expDir, name);
      if (!isDir(dir)) continue;
      const partial = /^\.(.+)\.partial-/.exec(name);
      if (name.startsWith('.') && !partial) continue;
      let cfg: { seeds?: number[]; systems?: string[]; fusion?: { rules?: string[] } } = {};
      try {
        cfg = YAML.parse(readFileSync(path.join(dir, 'config.resolved.yaml'), 'utf8')) ?? {};
      } catch {
        if (!partial) continue; // not a run directory
      }
      out.push({
        experiment: exp,
        runId: partial ? partial[1] : name,
        dir,
        status: partial ? partialStatus(partialOwner(dir)) : 'complete',
        created: statSync(dir).mtime.toISOString(),
        seeds: cfg.seeds ?? [],
        systems: cfg.systems ?? [],
        fusion: cfg.fusion?.rules ?? [],
      });
    }
  }
  return out.sort((a, b) => b.created.localeCompare(a.created));
}

/** What the `<partial>.owner` file (written by core's buildDirAtomic before the partial exists) says. */
export interface PartialOwner {
  pid: number;
  host?: string;
  /** Epoch ms when the partial was made. */
  start?: number;
  /** alive / dead: checked on this host; unknown: another host, or no owner file (an older emofuse). */
  state: 'alive' | 'dead' | 'unknown';
  why: string;
}

function partialStatus(o: PartialOwner): RunEntry['status'] {
  return o.state === 'alive' ? 'running' : o.state === 'dead' ? 'stale' : 'incomplete';
}

/** Whose partial this is and whether that process still runs (never guessed across hosts). */
export function partialOwner(partialDir: string): PartialOwner {
  const file = `${partialDir}.owner`;
  let owner: { pid?: unknown; host?: unknown; start?: unknown };
  try {
    owner = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    const pid = Number(/\.partial-(\d+)-/.exec(path.basename(partialDir))?.[1]);
    return { pid, state: 'unknown', why: 'no owner file (made by an older emofuse): cannot tell whether a process still writes it' };
  }
  const pid = Number(owner.pid);
  const host = typeof owner.host === 'string' ? owner.host : undefined;
  const start = typeof owner.start === 'number' ? owner.start : undefined;
  if (!Number.isSafeInteger(pid) || pid <= 0) return { pid, host, start, state: 'unknown', why: `unreadable owner file ${file}` };
  if (host !== os.hostname()) return { pid, host, start, state: 'unknown', why: `made on host ${host ?? '?'}; check there` };
  if (!pidAlive(pid)) return { pid, host, start, state: 'dead', why: `process ${pid} has ended` };
  const began = processStart(pid);
  // A pid is reused after its process ends: a process younger than the partial is another one.
  if (began !== undefined && start !== undefined && began > start + 2000) return { pid, host, start, state: 'dead', why: `process ${pid} has ended (the pid now belongs to a younger process)` };
  return { pid, host, start, state: 'alive', why: `process ${pid} is running` };
}

export interface GcResult {
  removed: { dir: string; why: string }[];
  kept: { dir: string; why: string }[];
}

/**
 * Remove the partial run folders (and owner files) under an output folder whose owner process has
 * ended on this host. Live ones, and ones whose owner cannot be checked, are kept and reported.
 */
export function gcPartials(outputDir: string, opts: { dryRun?: boolean } = {}): GcResult {
  const res: GcResult = { removed: [], kept: [] };
  for (const exp of safeReaddir(outputDir)) {
    const expDir = path.join(outputDir, exp);
    if (exp.startsWith('.') || !isDir(expDir)) continue;
    for (const name of safeReaddir(expDir)) {
      const dir = path.join(expDir, name);
      if (/^\..+\.partial-.+\.owner$/.test(name)) {
        // an owner file whose partial is gone (killed between the two removals)
        if (!existsSync(dir.slice(0, -'.owner'.length)) && partialOwner(dir.slice(0, -'.owner'.length)).state === 'dead' && !opts.dryRun) rmSync(dir, { force: true });
        continue;
      }
      if (!/^\..+\.partial-/.test(name) || !isDir(dir)) continue;
      const owner = partialOwner(dir);
      if (owner.state !== 'dead') {
        res.kept.push({ dir, why: owner.why });
        continue;
      }
      if (!opts.dryRun) {
        rmSync(dir, { recursive: true, force: true });
        rmSync(`${dir}.owner`, { force: true });
      }
      res.removed.push({ dir, why: owner.why });
    }
  }
  return res;
}

export function formatGc(r: GcResult, dryRun = false): string {
  const lines = [
    ...r.removed.map((x) => `${dryRun ? 'would remove' : 'removed'}  ${x.dir}  (${x.why})`),
    ...r.kept.map((x) => `kept     ${x.dir}  (${x.why})`),
  ];
  lines.push(`${r.removed.length} stale partial run folder(s) ${dryRun ? 'to remove' : 'removed'}, ${r.kept.length} kept`);
  return lines.join('\n');
}

export function formatRuns(runs: RunEntry[]): string {
  if (runs.length === 0) return '(no runs)';
  const rows = runs.map((r) => [r.experiment, r.runId, r.status, r.created.slice(0, 19).replace('T', ' '), r.seeds.join(','), r.systems.join(','), r.fusion.join(',') || '-']);
  const head = ['experiment', 'run-id', 'status', 'created (UTC)', 'seeds', 'systems', 'fusion'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const stale = runs.filter((r) => r.status === 'stale').length;
  const hint = stale ? [`\n${stale} stale partial run folder(s) of ended processes: remove them with \`emofuse runs gc\``] : [];
  return [line(head), ...rows.map(line), ...hint].join('\n');
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
