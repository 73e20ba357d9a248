// Report build speed. Run: node --import tsx benchmarks/report.ts
// Synthetic runs (random scores, 6x6 confusion matrices, 21-point fusion curves, 20-epoch histories);
// prints the median of N builds per size and the share spent compiling + rendering SVGs.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeRng } from '@emofuse/core';
import { buildReport, checkReportInput, comparisonSpec, loadReference, renderSvg, seedRows, summarise, toVega, type ReportRunLike } from '@emofuse/report';

const N = Number(process.env.N ?? 5);
const SYSTEMS = ['speech-cnn', 'text-lstm', 'joint-cnn', 'late-average', 'late-weighted', 'late-product'];

function syntheticRuns(systems: number, seeds: number): ReportRunLike[] {
  const rng = makeRng('bench');
  const runs: ReportRunLike[] = [];
  for (let s = 0; s < systems; s++) {
    for (let seed = 1; seed <= seeds; seed++) {
      const base = 0.45 + 0.03 * s;
      const counts = Array.from({ length: 6 }, (_, i) => Array.from({ length: 6 }, (_, j) => (i === j ? 150 : 20) + Math.floor(rng() * 20)));
      runs.push({
        id: `r${seed}/${SYSTEMS[s % SYSTEMS.length]}-${s}`,
        experiment: 'bench',
        system: `${SYSTEMS[s % SYSTEMS.length]}-${s}`,
        seed,
        metrics: { test_ua: base + rng() * 0.02, test_wa: base + rng() * 0.02, test_f1: base + rng() * 0.02 },
        history: Array.from({ length: 20 }, (_, e) => ({ epoch: e + 1, train_loss: 1.8 / (e + 1), valid_loss: 1.5 / Math.sqrt(e + 1), train_acc: 0.3 + e * 0.03, valid_acc: 0.3 + e * 0.012 })),
        confusion: { classes: ['hap', 'sad', 'neu', 'ang', 'exc', 'fru'], counts },
        fusionCurve: s === 4 ? { metric: 'ua', step: 0.05, curve: Array.from({ length: 21 }, (_, i) => ({ w1: i / 20, score: base - (i / 20 - 0.3) ** 2 })), chosen: { w1: 0.3 }, test: { ua: base } } : undefined,
      });
    }
  }
  return runs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up
  const ts: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-bench-report-'));
try {
  const reference = loadReference();
  for (const [systems, seeds] of [[2, 3], [6, 10]] as const) {
    const runs = syntheticRuns(systems, seeds);
    const whole = await time(() => buildReport({ input: { runs }, outDir: path.join(tmp, 'r') }));
    const input = checkReportInput({ runs });
    const rows = seedRows(input.runs, 'test', 'fraction');
    const tables = await time(async () => summarise(rows, reference));
    const spec = comparisonSpec(summarise(rows, reference), rows, reference);
    const svg = await time(() => renderSvg(toVega(spec)));
    console.log(
      `${systems} systems x ${seeds} seeds: buildReport median ${whole.toFixed(0)} ms; arquero summary ${tables.toFixed(1)} ms; ` +
        `comparison chart compile+SVG ${svg.toFixed(0)} ms (${((svg / whole) * 100).toFixed(0)}% of the build) (n=${N})`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
