import { describe, expect, it } from 'vitest';
import { makeRng, type Posteriors } from '@emofuse/core';
import { fuse, type SystemPosteriors } from '@emofuse/fusion';
import { compareSystems, metricsFromPosteriors, pairedBootstrap, predictions } from '../src/index.ts';

const classes = ['ang', 'hap', 'sad', 'neu'];
const rng = makeRng('compare');
const n = 500;
const ids = Array.from({ length: n }, (_, i) => `Ses05_u${i}`);
const labels = ids.map(() => classes[Math.floor(rng() * classes.length)]);

/** Softmax of independent noise plus a `signal` bump on the true class: evidence that fusion can pool. */
function system(name: string, signal: number, seed: number): SystemPosteriors {
  const r = makeRng(seed);
  const probs = new Float64Array(n * 4);
  labels.forEach((label, i) => {
    const t = classes.indexOf(label);
    let s = 0;
    for (let c = 0; c < 4; c++) { probs[i * 4 + c] = Math.exp(3 * r() + (c === t ? signal : 0)); s += probs[i * 4 + c]; }
    for (let c = 0; c < 4; c++) probs[i * 4 + c] /= s;
  });
  return { name, ids, classes, probs };
}

const text = system('text-lstm', 1.2, 1);
const joint = system('joint-cnn', 1.3, 2);
const product: SystemPosteriors = { ...fuse('product', [text, joint]), name: 'fusion-product' };

function reversed(p: SystemPosteriors): SystemPosteriors {
  const k = p.classes.length;
  const order = p.ids.map((_, i) => p.ids.length - 1 - i);
  return { ...p, ids: order.map((i) => p.ids[i]), probs: Float64Array.from(order.flatMap((i) => Array.from(p.probs.slice(i * k, i * k + k)))) };
}

describe('compareSystems', () => {
  it('fusion of two complementary systems beats the text model by both tests', () => {
    const c = compareSystems({ a: product, b: text, labels, seed: 1 });
    expect([c.a, c.b]).toEqual(['fusion-product', 'text-lstm']);
    const fusedUa = metricsFromPosteriors(product, labels).ua;
    const textUa = metricsFromPosteriors(text, labels).ua;
    expect(c.bootstrap.delta).toBeCloseTo(fusedUa - textUa, 15);
    expect(c.bootstrap.delta).toBeGreaterThan(0);
    expect(c.aBetter).toBe(true);
  });

  it('a system against a slightly perturbed copy of itself: looks different, is not better', () => {
    const noisy = system('text-lstm-seed2', 1.2, 1);
    // Flip a handful of rows of the copy to another class.
    const probs = Float64Array.from(noisy.probs);
    for (let i = 0; i < 8; i++) probs.set([0.7, 0.1, 0.1, 0.1], i * 37 * 4);
    const copy = { ...noisy, probs };
    const c = compareSystems({ a: copy, b: text, labels, seed: 1 });
    expect(c.aBetter).toBe(false);
    expect(c.mcnemar.aOnly + c.mcnemar.bOnly).toBeLessThanOrEqual(8);
  });

  it('aligns B by id and equals the paired bootstrap on argmax predictions', () => {
    const c = compareSystems({ a: product, b: reversed(text), labels: new Map(ids.map((id, i) => [id, labels[i]])), seed: 3, B: 200, metric: 'wa' });
    const truth = labels.map((l) => classes.indexOf(l));
    const direct = pairedBootstrap({ classes, truth, predA: predictions(product as Posteriors), predB: predictions(text), seed: 3, B: 200, metric: 'wa' });
    expect(c.bootstrap).toEqual(direct);
  });

  it('refuses systems scored on different utterances, naming the system and id', () => {
    const other = { ...text, ids: [...ids.slice(0, -1), 'Ses01_x'] };
    expect(() => compareSystems({ a: product, b: other, labels })).toThrow(/no posteriors for utterance Ses05_u499/);
  });
});
