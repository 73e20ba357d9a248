import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export interface RunEntry {
  experiment: string;
  runId: string;
  dir: string;
  /** 'complete': renamed into place with its config; 'incomplete': a temp dir left by a killed run. */
  status: 'complete' | 'incomplete';
  created: string;
  seeds: number[];
  systems: string[];
  fusion: string[];
}

/**
 * Runs under an output folder (`runs/<experiment>/<run-id>/`), newest first. A run counts as
 * complete when its directory has its real name and a config.resolved.yaml; temp directories
 * (`.<run-id>.partial-*`) left behind by a killed process are listed as incomplete.
 */
export function listRuns(outputDir: string): RunEntry[] {
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
        status: partial ? 'incomplete' : 'complete',
        created: statSync(dir).mtime.toISOString(),
        seeds: cfg.seeds ?? [],
        systems: cfg.systems ?? [],
        fusion: cfg.fusion?.rules ?? [],
      });
    }
  }
  return out.sort((a, b) => b.created.localeCompare(a.created));
}

export function formatRuns(runs: RunEntry[]): string {
  if (runs.length === 0) return '(no runs)';
  const rows = runs.map((r) => [r.experiment, r.runId, r.status, r.created.slice(0, 19).replace('T', ' '), r.seeds.join(','), r.systems.join(','), r.fusion.join(',') || '-']);
  const head = ['experiment', 'run-id', 'status', 'created (UTC)', 'seeds', 'systems', 'fusion'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
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
