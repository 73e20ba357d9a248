import { beforeAll, describe, expect, it } from 'vitest';
import { BASIC_SCORERS, EmofuseError, makeRng, METRIC_NAMES } from '@emofuse/core';
import { computeMetrics, mcnemar, meanStd, metricsFromPosteriors, quantileSorted, toIndices } from '../src/index.ts';
import { runPythonJson } from './helpers/python.ts';

interface Case { name: string; k: number; truth: number[]; pred: number[]; predB: number[] }
interface Ref {
  wa: number; ua: number; recallMacro: number; f1: number; f1AllLabels: number; macroF1: number;
  precision: number[]; recall: number[]; perClassF1: number[]; support: number[];
  confusion: number[][]; confusionRate: number[][]; undefinedWarnings: number;
  mcnemar?: { aOnly: number; bOnly: number; pExact: number; pExactAGreater: number; chi2: number; pChi2: number };
}
interface SampleRef { mean: number; std: number; p025: number; p975: number }

const TOL = 1e-12;

/** Predictions that are right with probability `skill`, otherwise a class drawn from `predClasses`. */
function makeCase(name: string, seed: number, k: number, n: number, opts: { noSupport?: number; noPred?: number; unused?: number; skill?: number } = {}): Case {
  const rng = makeRng(seed);
  const all = Array.from({ length: k }, (_, c) => c);
  const trueClasses = all.filter((c) => c !== opts.noSupport && c !== opts.unused);
  const predClasses = all.filter((c) => c !== opts.noPred && c !== opts.unused);
  const pick = (from: number[]) => from[Math.floor(rng() * from.length)];
  const truth = Array.from({ length: n }, () => pick(trueClasses));
  const guess = (t: number, skill: number) => (rng() < skill && predClasses.includes(t) ? t : pick(predClasses));
  const skill = opts.skill ?? 0.3 + 0.6 * rng();
  return { name, k, truth, pred: truth.map((t) => guess(t, skill)), predB: truth.map((t) => guess(t, skill * 0.8)) };
}

const cases: Case[] = [
  ...Array.from({ length: 8 }, (_, i) => makeCase(`random ${i}`, 100 + i, 2 + (i % 6), 20 + 47 * i)),
  makeCase('a class never predicted and a class never true (predicted though)', 200, 6, 250, { noSupport: 5, noPred: 1 }),
  makeCase('a class in neither labels nor predictions', 201, 5, 120, { unused: 2 }),
  makeCase('all three at once, 7 classes', 202, 7, 400, { noSupport: 0, noPred: 3, unused: 6 }),
  makeCase('perfect predictions', 203, 4, 60, { skill: 1 }),
  makeCase('small and noisy', 204, 3, 7, { skill: 0.1 }),
];

let refs: Ref[];
let sampleRefs: SampleRef[];
const samples = [Array.from({ length: 5 }, (_, i) => Math.sin(i + 1)), Array.from({ length: 1000 }, (_, i) => Math.cos(i * 7.1) * i)];

beforeAll(() => {
  const out = runPythonJson<{ cases: Ref[]; samples: SampleRef[] }>('sklearn_reference.py', { cases, samples });
  refs = out.cases;
  sampleRefs = out.samples;
});

function close(a: number, b: number, tol = TOL) {
  expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(tol);
}

describe('computeMetrics equals scikit-learn to 1e-12', () => {
  it.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const c = cases[i];
    const ref = refs[i];
    const classes = Array.from({ length: c.k }, (_, j) => `c${j}`);
    const m = computeMetrics({ classes, truth: c.truth, pred: c.pred });
    close(m.wa, ref.wa);
    close(m.ua, ref.ua);
    close(m.f1, ref.f1);
    close(m.f1, ref.f1AllLabels);
    close(m.macroF1, ref.macroF1);
    m.perClass.forEach((pc, j) => {
      close(pc.precision, ref.precision[j]);
      close(pc.recall, ref.recall[j]);
      close(pc.f1, ref.perClassF1[j]);
      expect(pc.support).toBe(ref.support[j]);
    });
    expect(m.confusion).toEqual(ref.confusion);
    m.confusionRate.forEach((r, j) => r.forEach((v, l) => close(v, ref.confusionRate[j][l])));
    // The registry the fusion search uses gives the same numbers.
    for (const name of METRIC_NAMES) close(BASIC_SCORERS[name](c.truth, c.pred, c.k), ref[name]);
    // Named labels give the same report as indices.
    expect(computeMetrics({ classes, truth: c.truth.map((t) => classes[t]), pred: c.pred.map((p) => classes[p]) })).toEqual(m);
    if (ref.undefinedWarnings > 0) expect(m.warnings.length).toBeGreaterThan(0);
  });

  it('the cases cover a class with no predictions, one with no support, and one in neither', () => {
    const m = computeMetrics({ classes: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], truth: cases[10].truth, pred: cases[10].pred });
    expect(m.perClass[0].support).toBe(0);
    expect(m.perClass[0].predicted).toBeGreaterThan(0);
    expect(m.perClass[3].predicted).toBe(0);
    expect(m.perClass[3].support).toBeGreaterThan(0);
    expect(m.perClass[6].support + m.perClass[6].predicted).toBe(0);
    expect(m.warnings.join('\n')).toMatch(/precision of class d is ill-defined/);
    expect(m.warnings.join('\n')).toMatch(/recall of class a is ill-defined/);
    expect(m.warnings.join('\n')).toMatch(/UA leaves them out/);
  });

  it('UA is balanced_accuracy_score, which differs from recall_score(macro) when an unsupported class is predicted', () => {
    const i = 8;
    close(computeMetrics({ classes: ['a', 'b', 'c', 'd', 'e', 'f'], truth: cases[i].truth, pred: cases[i].pred }).ua, refs[i].ua);
    expect(Math.abs(refs[i].ua - refs[i].recallMacro)).toBeGreaterThan(0.01);
    // Without such a class they agree.
    close(refs[0].ua, refs[0].recallMacro);
  });
});

describe('statistics equal numpy / scipy', () => {
  it('mean and sample standard deviation (ddof = 1), and numpy percentiles', () => {
    samples.forEach((s, i) => {
      const r = meanStd(s);
      close(r.mean, sampleRefs[i].mean);
      close(r.std, sampleRefs[i].std, 1e-12 * Math.max(1, sampleRefs[i].std));
      const sorted = Float64Array.from(s).sort();
      close(quantileSorted(sorted, 0.025), sampleRefs[i].p025, 1e-9);
      close(quantileSorted(sorted, 0.975), sampleRefs[i].p975, 1e-9);
    });
    expect(meanStd([0.5]).std).toBeNaN();
  });

  it.each(cases.map((c, i) => [c.name, i] as const))("McNemar's test: %s", (_name, i) => {
    const c = cases[i];
    const ref = refs[i].mcnemar;
    const classes = Array.from({ length: c.k }, (_, j) => `c${j}`);
    const r = mcnemar({ classes, truth: c.truth, predA: c.pred, predB: c.predB });
    expect(r.aOnly + r.bOnly + r.bothRight + r.bothWrong).toBe(c.truth.length);
    if (!ref) {
      expect(r.aOnly + r.bOnly).toBe(0);
      expect(r.pExact).toBe(1);
      return;
    }
    expect([r.aOnly, r.bOnly]).toEqual([ref.aOnly, ref.bOnly]);
    close(r.chi2, ref.chi2);
    for (const key of ['pExact', 'pExactAGreater', 'pChi2'] as const) {
      expect(Math.abs(r[key] - ref[key]), `${key}: ${r[key]} vs ${ref[key]}`).toBeLessThanOrEqual(1e-12 + 1e-10 * ref[key]);
    }
  });
});

describe('labels and predictions', () => {
  it('metricsFromPosteriors takes the argmax (first class on ties) and labels by id', () => {
    const p = { ids: ['x', 'y', 'z'], classes: ['a', 'b'], probs: new Float64Array([0.5, 0.5, 0.2, 0.8, 0.9, 0.1]) };
    const m = metricsFromPosteriors(p, new Map([['z', 'a'], ['x', 'b'], ['y', 'b']]));
    expect(m.confusion).toEqual([[1, 0], [1, 1]]);
    expect(metricsFromPosteriors(p, ['b', 'b', 'a'])).toEqual(m);
  });

  it('bad values name the row and the list', () => {
    expect(() => toIndices(['a', 'x'], ['a', 'b'], 'labels')).toThrow(/row 1 is "x", not one of the 2 classes/);
    expect(() => computeMetrics({ classes: ['a', 'b'], truth: [0, 1], pred: [0, 2] })).toThrow(EmofuseError);
    expect(() => computeMetrics({ classes: ['a', 'b'], truth: [0, 1], pred: [0] })).toThrow(/2 labels but 1 predictions/);
    expect(() => computeMetrics({ classes: ['a', 'b'], truth: [], pred: [] })).toThrow(/no predictions/);
    expect(() => metricsFromPosteriors({ ids: ['x'], classes: ['a', 'b'], probs: new Float64Array([0.2, 0.3]) }, ['a'], 'text-lstm')).toThrow(/row 0 \(id x\) sums to 0.5/);
  });
});
