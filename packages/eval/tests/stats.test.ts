import { describe, expect, it } from 'vitest';
import { EmofuseError, makeRng, type Scorer } from '@emofuse/core';
import { bootstrapCI, computeMetrics, mcnemar, pairedBootstrap } from '../src/index.ts';

const classes = ['ang', 'hap', 'sad', 'neu', 'exc', 'fru'];

/** Labels and predictions that are right with probability `skill` (errors uniform), seeded. */
function simulate(n: number, skill: number, seed: number, truth?: number[]) {
  const rng = makeRng(seed);
  const t = truth ?? Array.from({ length: n }, () => Math.floor(rng() * classes.length));
  const pred = t.map((c) => (rng() < skill ? c : (c + 1 + Math.floor(rng() * (classes.length - 1))) % classes.length));
  return { truth: t, pred };
}

describe('bootstrapCI', () => {
  const { truth, pred } = simulate(800, 0.6, 1);

  it('is seeded: the same seed gives the same interval, another seed another one', () => {
    const a = bootstrapCI({ classes, truth, pred, seed: 7 });
    expect(bootstrapCI({ classes, truth, pred, seed: 7 })).toEqual(a);
    expect(bootstrapCI({ classes, truth, pred, seed: 8 }).lower).not.toBe(a.lower);
    expect(a.B).toBe(1000);
    expect(a.level).toBe(0.95);
  });

  it('brackets the full-set estimate and matches the normal approximation for accuracy', () => {
    const r = bootstrapCI({ classes, truth, pred, metric: 'wa', seed: 3, B: 2000 });
    const m = computeMetrics({ classes, truth, pred });
    expect(r.estimate).toBe(m.wa);
    expect(r.lower).toBeLessThan(r.estimate);
    expect(r.upper).toBeGreaterThan(r.estimate);
    // Binomial proportion: half-width ~ 1.96 sqrt(p (1 - p) / n).
    const half = 1.96 * Math.sqrt((m.wa * (1 - m.wa)) / truth.length);
    expect((r.upper - r.lower) / 2).toBeGreaterThan(0.85 * half);
    expect((r.upper - r.lower) / 2).toBeLessThan(1.15 * half);
  });

  it('narrows with more data (about 1/sqrt(n)) and with a lower level', () => {
    const small = simulate(400, 0.6, 2);
    const big = simulate(1600, 0.6, 2);
    const ws = bootstrapCI({ classes, ...small, seed: 1 });
    const wb = bootstrapCI({ classes, ...big, seed: 1 });
    const ratio = (ws.upper - ws.lower) / (wb.upper - wb.lower);
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(2.7);
    const w90 = bootstrapCI({ classes, ...small, seed: 1, level: 0.9 });
    expect(w90.upper - w90.lower).toBeLessThan(ws.upper - ws.lower);
  });

  it('a perfect system has the interval [1, 1]; any metric or scorer can be bootstrapped', () => {
    const perfect = bootstrapCI({ classes, truth, pred: truth, metric: 'macroF1', B: 50 });
    expect([perfect.lower, perfect.upper]).toEqual([1, 1]);
    const errorRate: Scorer = (t, p) => Array.from(t).filter((v, i) => v !== p[i]).length / t.length;
    const e = bootstrapCI({ classes, truth, pred, metric: errorRate, B: 200, seed: 1 });
    const w = bootstrapCI({ classes, truth, pred, metric: 'wa', B: 200, seed: 1 });
    expect(e.lower).toBeCloseTo(1 - w.upper, 12);
  });

  it('refuses bad B, level, metric and mismatched lengths', () => {
    expect(() => bootstrapCI({ classes, truth, pred, B: 0 })).toThrow(/B must be a positive integer/);
    expect(() => bootstrapCI({ classes, truth, pred, level: 95 })).toThrow(/level must be in \(0, 1\)/);
    // @ts-expect-error not a metric name
    expect(() => bootstrapCI({ classes, truth, pred, metric: 'auc' })).toThrow(/unknown metric "auc"/);
    expect(() => bootstrapCI({ classes, truth, pred: pred.slice(1) })).toThrow(/800 labels but 799 predictions/);
  });
});

describe('paired comparison: does A really beat B?', () => {
  const truth = simulate(600, 1, 10).truth;
  const strong = simulate(600, 0.7, 11, truth).pred;
  const weak = simulate(600, 0.5, 12, truth).pred;
  // Same skill, independent errors: any difference is luck.
  const twinA = simulate(600, 0.55, 13, truth).pred;
  const twinB = simulate(600, 0.55, 14, truth).pred;

  it('a clearly better system: both tests say so', () => {
    const boot = pairedBootstrap({ classes, truth, predA: strong, predB: weak, seed: 1 });
    expect(boot.delta).toBeGreaterThan(0.1);
    expect(boot.lower).toBeGreaterThan(0);
    expect(boot.pValue).toBeCloseTo(1 / 1001, 12);
    const mc = mcnemar({ classes, truth, predA: strong, predB: weak });
    expect(mc.aOnly).toBeGreaterThan(mc.bOnly);
    expect(mc.pExact).toBeLessThan(1e-6);
    expect(mc.pExactAGreater).toBeLessThan(mc.pExact);
    expect(mc.pChi2).toBeLessThan(1e-6);
  });

  it('two systems of equal skill: neither test claims a win', () => {
    const boot = pairedBootstrap({ classes, truth, predA: twinA, predB: twinB, seed: 1 });
    expect(boot.lower).toBeLessThan(0);
    expect(boot.upper).toBeGreaterThan(0);
    expect(boot.pValue).toBeGreaterThan(0.05);
    expect(mcnemar({ classes, truth, predA: twinA, predB: twinB }).pExact).toBeGreaterThan(0.05);
  });

  it('identical predictions: delta 0, p = 1 for both tests', () => {
    const boot = pairedBootstrap({ classes, truth, predA: weak, predB: weak, B: 100 });
    expect([boot.delta, boot.lower, boot.upper, boot.pValue]).toEqual([0, 0, 0, 1]);
    const mc = mcnemar({ classes, truth, predA: weak, predB: weak });
    expect([mc.aOnly, mc.bOnly, mc.pExact, mc.pChi2]).toEqual([0, 0, 1, 1]);
  });

  it('is seeded and antisymmetric', () => {
    const ab = pairedBootstrap({ classes, truth, predA: twinA, predB: twinB, seed: 5, metric: 'wa', B: 300 });
    expect(pairedBootstrap({ classes, truth, predA: twinA, predB: twinB, seed: 5, metric: 'wa', B: 300 })).toEqual(ab);
    const ba = pairedBootstrap({ classes, truth, predA: twinB, predB: twinA, seed: 5, metric: 'wa', B: 300 });
    expect(ba.delta).toBeCloseTo(-ab.delta, 15);
    expect(ba.lower).toBeCloseTo(-ab.upper, 12);
  });

  it('refuses predictions of different lengths', () => {
    expect(() => pairedBootstrap({ classes, truth, predA: strong, predB: weak.slice(2) })).toThrow(/600 labels, 600 predictions of A, 598 of B/);
    let err: EmofuseError | undefined;
    try { mcnemar({ classes, truth, predA: strong.slice(1), predB: weak }); } catch (e) { err = e as EmofuseError; }
    expect(err).toBeInstanceOf(EmofuseError);
    expect(err!.where).toBe('mcnemar');
    expect(err!.fix).toMatch(/same utterances/);
  });
});
