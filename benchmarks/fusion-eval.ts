// Fusion and evaluation at IEMOCAP test size (1623 utterances, 6 classes): medians of repeated runs.
// Run: node --import tsx benchmarks/fusion-eval.ts
import { makeRng } from '@emofuse/core';
import { bootstrapCI, computeMetrics, pairedBootstrap, predictions } from '@emofuse/eval';
import { fuse, normalisedProduct, searchWeights, type SystemPosteriors } from '@emofuse/fusion';

const n = 1623;
const classes = ['hap', 'sad', 'neu', 'ang', 'exc', 'fru'];
const k = classes.length;
const rng = makeRng('bench');
const labels = Array.from({ length: n }, () => classes[Math.floor(rng() * k)]);

function system(name: string, signal: number): SystemPosteriors {
  const probs = new Float64Array(n * k);
  labels.forEach((l, i) => {
    let s = 0;
    for (let c = 0; c < k; c++) { probs[i * k + c] = Math.exp(3 * rng() + (classes[c] === l ? signal : 0)); s += probs[i * k + c]; }
    for (let c = 0; c < k; c++) probs[i * k + c] /= s;
  });
  return { name, ids: labels.map((_, i) => `u${i}`), classes, probs };
}

function median(f: () => unknown, reps: number): number {
  const t: number[] = [];
  f();
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    f();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

/** The naive linear-space product, for the cost of working in log space. */
function naiveProduct(rows: Float64Array[]): Float64Array {
  const out = new Float64Array(rows[0].length).fill(1);
  for (const m of rows) for (let i = 0; i < m.length; i++) out[i] *= m[i];
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += out[r * k + c];
    for (let c = 0; c < k; c++) out[r * k + c] /= s;
  }
  return out;
}

const a = system('text-lstm', 1.2);
const b = system('joint-cnn', 1.4);
const c = system('speech-cnn', 0.8);
const rows = [a, b].map((s) => Float64Array.from(s.probs));
const truth = labels;
const predA = predictions(fuse('product', [a, b]));
const predB = predictions(a);

const results: [string, number][] = [
  ['fuse average (2 systems, checks + alignment)', median(() => fuse('average', [a, b]), 20)],
  ['fuse product (2 systems, checks + alignment)', median(() => fuse('product', [a, b]), 20)],
  ['normalisedProduct, log space (kernel only)', median(() => normalisedProduct(rows, k), 50)],
  ['naive linear product (kernel only)', median(() => naiveProduct(rows), 50)],
  ['searchWeights 2 systems, step 0.05 (21 points)', median(() => searchWeights({ valid: { systems: [a, b], labels } }), 10)],
  ['searchWeights 3 systems, step 0.05 (231 points)', median(() => searchWeights({ valid: { systems: [a, b, c], labels } }), 3)],
  ['computeMetrics', median(() => computeMetrics({ classes, truth, pred: predA }), 50)],
  ['bootstrapCI ua, B = 1000', median(() => bootstrapCI({ classes, truth, pred: predA, seed: 1 }), 3)],
  ['pairedBootstrap ua, B = 1000', median(() => pairedBootstrap({ classes, truth, predA, predB, seed: 1 }), 3)],
];
for (const [name, ms] of results) console.log(`${name.padEnd(52)} ${ms.toFixed(2).padStart(9)} ms`);
const ratio = results[2][1] / results[3][1];
console.log(`log-space / linear product kernel: ${ratio.toFixed(2)}x`);
