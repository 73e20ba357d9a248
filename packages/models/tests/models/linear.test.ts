import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildModel, loadModel, modelDescriptor, predictModel, saveModel, selectBackend, trainModel } from '../../src/index.ts';
import type { SparseMatrix } from '@emofuse/core';
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

describe('linear-early kernels', () => {
  it('lists the kernels its prediction runs, the concatenation included (cpu backend)', async () => {
    await selectBackend('cpu');
    const m = buildModel({ type: 'linear-early', classes: CLASSES, input: { text: { kind: 'vector', dim: tr.textVectors.dim }, speech: { dim: 40 } }, model: { linear: { c: [1], maxIterations: 20 } } as never, seed: 1 });
    const io = (d: typeof tr) => ({ inputs: { text: d.textVectors, speech: d.speech }, labels: d.labels });
    const prof = await tf.profile(async () => {
      await trainModel(m, { train: io(tr), valid: io(va) });
      predictModel(m, { text: te.textVectors, speech: te.speech });
    });
    const used = [...new Set(prof.kernelNames)].filter((k) => !k.endsWith('__op'));
    expect(used.filter((k) => !modelDescriptor('linear-early').kernels!.includes(k))).toEqual([]);
    expect(used).toContain('Concat');
    m.net.dispose();
    await selectBackend('auto');
  });
});

describe('linear with more features than rows', () => {
  it('solves on the Gram factor and matches the primal L-BFGS solution', async () => {
    const { softmaxL2 } = await import('@emofuse/data/solver');
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

describe('linear-text and linear-early', () => {
  /** The synthetic text vectors as CSR rows (their zeros dropped), as TF-IDF rows arrive. */
  const sparse = (m: { ids: string[]; dim: number; values: Float32Array }): SparseMatrix => {
    const indptr = new Int32Array(m.ids.length + 1);
    const indices: number[] = [];
    const data: number[] = [];
    for (let i = 0; i < m.ids.length; i++) {
      for (let j = 0; j < m.dim; j++) if (m.values[i * m.dim + j] > 0.3) { indices.push(j); data.push(m.values[i * m.dim + j]); }
      indptr[i + 1] = indices.length;
    }
    return { ids: m.ids, dim: m.dim, indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) };
  };
  const cfg = { linear: { c: [0.01, 1], maxIterations: 200 } } as never;

  it('linear-text learns from sparse rows and predicts the same through its tfjs layer (densified)', async () => {
    const dim = tr.textVectors.dim;
    const m = buildModel({ type: 'linear-text', classes: CLASSES, input: { text: { kind: 'vector', dim } }, model: cfg, seed: 1 });
    const r = await trainModel(m, { train: { inputs: { text: sparse(tr.textVectors) }, labels: tr.labels }, valid: { inputs: { text: sparse(va.textVectors) }, labels: va.labels } }, {});
    const best = r.history[r.bestEpoch - 1];
    const p = predictModel(m, { text: sparse(va.textVectors) });
    // The JS scoring of the folded solution and the network agree.
    expect(acc(p, va.labels)).toBeCloseTo(best.validAcc!, 6);
    expect(acc(predictModel(m, { text: sparse(te.textVectors) }), te.labels)).toBeGreaterThan(0.7);
    m.net.dispose();
  });

  it('linear-early reads a sparse text vector and the speech functionals side by side, and beats each alone', async () => {
    const dim = tr.textVectors.dim;
    const fit = async (type: string, input: object, inputs: (d: typeof tr) => object) => {
      const m = buildModel({ type, classes: CLASSES, input: input as never, model: cfg, seed: 1 });
      await trainModel(m, { train: { inputs: inputs(tr), labels: tr.labels }, valid: { inputs: inputs(va), labels: va.labels } }, {});
      const a = acc(predictModel(m, inputs(te) as never), te.labels);
      m.net.dispose();
      return a;
    };
    // Weaker views, so the combination has room: few text columns and speech with noise.
    const both = await fit('linear-early', { text: { kind: 'vector', dim }, speech: { dim: 40 } }, (d) => ({ text: sparse(d.textVectors), speech: d.speech }));
    const text = await fit('linear-text', { text: { kind: 'vector', dim } }, (d) => ({ text: sparse(d.textVectors) }));
    const speech = await fit('linear', { speech: { dim: 40 } }, (d) => ({ speech: d.speech }));
    expect(both).toBeGreaterThanOrEqual(Math.max(text, speech));
  });
});
