import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildModel, loadModel, modelDescriptor, predictModel, saveModel, selectBackend, trainModel } from '../../src/index.ts';
import { CLASSES, synthetic } from '../helpers.ts';

const tr = synthetic(90, 1);
const va = synthetic(45, 2);
const te = synthetic(60, 3);
const part = (d: typeof tr) => ({ inputs: { speech: d.speech }, labels: d.labels });
const acc = (p: { probs: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> } }, labels: string[]) => labels.filter((l, i) => {
  const row = Array.from(p.probs.subarray(i * 3, i * 3 + 3));
  return CLASSES[row.indexOf(Math.max(...row))] === l;
}).length / labels.length;

describe('linear', () => {
  it('fits by L-BFGS, chooses C on validation, and predicts through its dense layer', async () => {
    const m = buildModel({ type: 'linear', classes: CLASSES, input: { speech: { dim: 40 } }, model: { linear: { c: [1e-4, 1, 100], maxIterations: 200 } } as never, seed: 1 });
    const logged: number[] = [];
    const r = await trainModel(m, { train: part(tr), valid: part(va) }, { onEpochEnd: (l) => { logged.push(l.epoch); } });
    expect(logged).toEqual([1, 2, 3]);
    expect(r.history).toHaveLength(3);
    // The tiny C (penalty 1e4/n) cannot separate the classes; the chosen C must score best on valid.
    const best = r.history[r.bestEpoch - 1];
    expect(best.validAcc).toBeGreaterThanOrEqual(Math.max(...r.history.map((h) => h.validAcc!)) - 1e-9);
    expect(r.bestEpoch).not.toBe(1);
    const p = predictModel(m, { speech: te.speech });
    expect(acc(p, te.labels)).toBeGreaterThan(0.85);
    // The standardisation is folded into the weights: the tfjs net's validation accuracy is the logged one.
    expect(acc(predictModel(m, { speech: va.speech }), va.labels)).toBeCloseTo(best.validAcc!, 6);

    const dir = mkdtempSync(path.join(tmpdir(), 'linear-'));
    try {
      await saveModel(m, dir);
      const back = await loadModel(dir);
      expect(Array.from(predictModel(back, { speech: te.speech }).probs)).toEqual(Array.from(p.probs));
      back.net.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      m.net.dispose();
    }
  });

  it('refuses a C grid without a validation part, naming the key', async () => {
    const m = buildModel({ type: 'linear', classes: CLASSES, input: { speech: { dim: 40 } }, seed: 1 });
    await expect(trainModel(m, { train: part(tr) })).rejects.toThrow(/model\.linear\.c|validation/);
    m.net.dispose();
  });

  it('lists the kernels its prediction runs (cpu backend)', async () => {
    await selectBackend('cpu');
    const m = buildModel({ type: 'linear', classes: CLASSES, input: { speech: { dim: 40 } }, model: { linear: { c: [1], maxIterations: 20 } } as never, seed: 1 });
    const prof = await tf.profile(async () => {
      await trainModel(m, { train: part(tr), valid: part(va) });
      predictModel(m, { speech: te.speech });
    });
    const used = [...new Set(prof.kernelNames)].filter((k) => !k.endsWith('__op'));
    expect(used.filter((k) => !modelDescriptor('linear').kernels!.includes(k))).toEqual([]);
    m.net.dispose();
    await selectBackend('auto');
  });
});

describe('linear with more features than rows', () => {
  it('solves on the Gram factor and matches the primal L-BFGS solution', async () => {
    const { softmaxL2 } = await import('@emofuse/data');
    const n = 45, d = 120, k = 3;
    const a = synthetic(n, 11, { speechDim: d });
    const m = buildModel({ type: 'linear', classes: CLASSES, input: { speech: { dim: d } }, model: { linear: { c: [0.5], maxIterations: 2000 } } as never, seed: 1 });
    await trainModel(m, { train: part(a), valid: part(a) });
    const p = predictModel(m, { speech: a.speech });
    // The same problem, solved directly on the standardised rows.
    const x = a.speech.values;
    const mean = new Float64Array(d), sd = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (x[i * d + j] - mean[j]) ** 2 / n;
    const z = Float32Array.from({ length: n * d }, (_, q) => (x[q] - mean[q % d]) / (Math.sqrt(sd[q % d]) || 1));
    const y = Int32Array.from(a.labels, (l) => CLASSES.indexOf(l));
    const fit = softmaxL2(z, n, d, y, k, 1 / (0.5 * n), 2000, 1e-7);
    for (let i = 0; i < n; i++) {
      const zz = Array.from({ length: k }, (_, c) => fit.b[c] + Array.from({ length: d }, (_, j) => fit.w[c * d + j] * z[i * d + j]).reduce((s, v) => s + v, 0));
      const mx = Math.max(...zz);
      const e = zz.map((v) => Math.exp(v - mx));
      const sum = e.reduce((s, v) => s + v, 0);
      e.forEach((v, c) => expect(p.probs[i * k + c]).toBeCloseTo(v / sum, 3));
    }
    m.net.dispose();
  });
});
