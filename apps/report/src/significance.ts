import { mcnemar, pairedBootstrap } from '@emofuse/eval';
import type { LabelledRun } from './configs.ts';

/**
 * Is a difference between two systems more than the luck of one test set? For every fused system
 * against each system it fuses (param fusion.systems), and any pair the caller names, on each seed
 * both ran: the paired bootstrap interval of ΔUA and McNemar's exact p on the same test utterances,
 * then a pooled summary over seeds. Seeds are never concatenated (the same utterances recur).
 */

export interface SeedTest {
  seed: number;
  n: number;
  /** Percentage points, A − B. */
  delta: number;
  lower: number;
  upper: number;
  /** McNemar exact, two-sided. */
  p: number;
}

export interface PairTest {
  experiment: string;
  a: string;
  b: string;
  why: 'fused vs component' | 'named';
  seeds: SeedTest[];
  /** Mean and sample std of ΔUA over seeds (std null with one seed). */
  delta_mean: number;
  delta_std: number | null;
  /** Seeds whose interval lies above 0 (A better), below 0 (B better), and whose McNemar p < alpha. */
  above: number;
  below: number;
  significant: number;
}

export interface SignificanceOptions {
  /** Extra pairs by row label or system name. */
  pairs?: Array<[string, string]>;
  B?: number;
  level?: number;
  alpha?: number;
}

function componentsOf(run: LabelledRun): string[] {
  try {
    const v = JSON.parse(run.params['fusion.systems'] ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function significance(runs: LabelledRun[], opts: SignificanceOptions = {}): { tests: PairTest[]; notes: string[] } {
  const { B = 1000, level = 0.95, alpha = 0.05 } = opts;
  const tests: PairTest[] = [];
  const notes: string[] = [];
  for (const experiment of [...new Set(runs.map((r) => r.experiment))]) {
    const rs = runs.filter((r) => r.experiment === experiment);
    const labels = [...new Set(rs.map((r) => r.label))];
    const pick = (name: string) => labels.filter((l) => l === name || rs.some((r) => r.label === l && r.system === name));
    const pairs: Array<{ a: string; b: string; why: PairTest['why'] }> = [];
    for (const a of labels) {
      const fused = rs.find((r) => r.label === a && r.system.startsWith('late-'));
      if (!fused) continue;
      for (const c of componentsOf(fused)) for (const b of pick(c)) pairs.push({ a, b, why: 'fused vs component' });
    }
    for (const [x, y] of opts.pairs ?? []) {
      for (const a of pick(x)) for (const b of pick(y)) if (!pairs.some((p) => p.a === a && p.b === b)) pairs.push({ a, b, why: 'named' });
    }
    for (const { a, b, why } of pairs) {
      const seeds: SeedTest[] = [];
      const missing: number[] = [];
      for (const ra of rs.filter((r) => r.label === a)) {
        const rb = rs.find((r) => r.label === b && r.seed === ra.seed);
        if (!rb) continue;
        const pa = ra.predictions;
        const pb = rb.predictions;
        if (!pa || !pb) {
          missing.push(ra.seed);
          continue;
        }
        // Pair by utterance id; a system that scored other utterances is not comparable.
        const at = new Map(pb.ids.map((id, i) => [id, i]));
        if (pa.ids.length !== pb.ids.length || pa.ids.some((id) => !at.has(id))) {
          notes.push(`${experiment}: ${a} and ${b} seed ${ra.seed} were scored on different test utterances; not compared.`);
          continue;
        }
        const order = pa.ids.map((id) => at.get(id)!);
        const predB = order.map((i) => pb.pred[i]);
        const o = { classes: pa.classes, truth: pa.truth, predA: pa.pred, predB };
        const boot = pairedBootstrap({ ...o, metric: 'ua', B, level, seed: ra.seed });
        const mc = mcnemar(o);
        seeds.push({ seed: ra.seed, n: pa.ids.length, delta: 100 * boot.delta, lower: 100 * boot.lower, upper: 100 * boot.upper, p: mc.pExact });
      }
      if (missing.length) notes.push(`${experiment}: ${a} against ${b}: seed(s) ${missing.join(', ')} have no test predictions (runs logged before predictions_test.json was kept).`);
      if (!seeds.length) continue;
      seeds.sort((x, y) => x.seed - y.seed);
      const ds = seeds.map((s) => s.delta);
      const mean = ds.reduce((s, d) => s + d, 0) / ds.length;
      tests.push({
        experiment, a, b, why, seeds, delta_mean: mean,
        delta_std: ds.length > 1 ? Math.sqrt(ds.reduce((s, d) => s + (d - mean) ** 2, 0) / (ds.length - 1)) : null,
        above: seeds.filter((s) => s.lower > 0).length, below: seeds.filter((s) => s.upper < 0).length, significant: seeds.filter((s) => s.p < alpha).length,
      });
    }
  }
  return { tests, notes };
}

const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;
const pText = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));

/** One row per pair and seed, then the pooled row. */
export function significanceDisplayRows(tests: PairTest[], alpha = 0.05): Record<string, string>[] {
  return tests.flatMap((t) => [
    ...t.seeds.map((s) => ({ 'A − B': `${t.a} − ${t.b}`, seed: String(s.seed), 'ΔUA (points)': signed(s.delta), '95% CI': `[${signed(s.lower)}, ${signed(s.upper)}]`, 'McNemar p': pText(s.p), n: String(s.n) })),
    {
      'A − B': `${t.a} − ${t.b}`, seed: `pooled (${t.seeds.length})`,
      'ΔUA (points)': t.delta_std === null ? signed(t.delta_mean) : `${signed(t.delta_mean)} ± ${t.delta_std.toFixed(1)}`,
      '95% CI': `above 0 in ${t.above}/${t.seeds.length}, below 0 in ${t.below}/${t.seeds.length}`,
      'McNemar p': `< ${alpha} in ${t.significant}/${t.seeds.length}`, n: '',
    },
  ]);
}
