import { describe, expect, it } from 'vitest';
import { argmaxRows, BASIC_SCORERS, EmofuseError, labelIndices, makeRng, type Scorer } from '@emofuse/core';
import { applyWeights, fuse, searchWeights, simplexGrid, type SystemPosteriors, type WeightSearchOptions } from '../src/index.ts';

const classes = ['ang', 'hap', 'sad', 'neu'];

/** Noisy classifiers of known labels: `skill` is how often the true class gets the bump. */
function simulate(name: string, labels: string[], seed: number, skill: number): SystemPosteriors {
  const rng = makeRng(seed);
  const k = classes.length;
  const probs = new Float64Array(labels.length * k);
  labels.forEach((label, r) => {
    const bump = rng() < skill ? classes.indexOf(label) : Math.floor(rng() * k);
    let s = 0;
    for (let c = 0; c < k; c++) { probs[r * k + c] = Math.exp(2 * rng() + (c === bump ? 1.5 : 0)); s += probs[r * k + c]; }
    for (let c = 0; c < k; c++) probs[r * k + c] /= s;
  });
  return { name, ids: labels.map((_, i) => `u${i}`), classes, probs };
}

const rng = makeRng('labels');
const labels = Array.from({ length: 300 }, () => classes[Math.floor(rng() * classes.length)]);
const text = simulate('text-lstm', labels, 11, 0.55);
const joint = simulate('joint-cnn', labels, 12, 0.65);
const speech = simulate('speech-cnn', labels, 13, 0.4);

/** Score of a weighted fusion computed independently through fuse(). */
function scoreAt(systems: SystemPosteriors[], weights: number[], metric: keyof typeof BASIC_SCORERS = 'ua') {
  const f = fuse('weighted', systems, weights);
  const truth = labelIndices(f.ids, f.classes, new Map(systems[0].ids.map((id, i) => [id, labels[i]])));
  return BASIC_SCORERS[metric](truth, argmaxRows(f.probs, f.classes.length), f.classes.length);
}

/**
 * Two systems whose fused predictions encode w1: row t flips to class 1 once w1 passes the
 * midpoint (t + 0.5) / 20, so the number of class-1 predictions is exactly 20 * w1. A scorer
 * that reads that count from a table then sets the whole validation curve by hand.
 */
function curveFixture(table: number[]) {
  const ids = Array.from({ length: 20 }, (_, t) => `r${t}`);
  const a = new Float64Array(40);
  const b = new Float64Array(40);
  ids.forEach((_, t) => {
    const thr = (t + 0.5) / 20;
    // fused p(class 1) = y + w1 (x - y) crosses 0.5 at w1 = thr
    const [x, y] = thr <= 0.5 ? [1, (0.5 - thr) / (1 - thr)] : [0.5 / thr, 0];
    a.set([1 - x, x], 2 * t);
    b.set([1 - y, y], 2 * t);
  });
  const scorer: Scorer = (_truth, pred) => table[Array.from(pred).filter((p) => p === 1).length];
  const systems: SystemPosteriors[] = [
    { name: 'A', ids, classes: ['c0', 'c1'], probs: a },
    { name: 'B', ids, classes: ['c0', 'c1'], probs: b },
  ];
  return { systems, labels: ids.map(() => 'c0'), scorers: { table: scorer } };
}

describe('searchWeights: two systems', () => {
  const choice = searchWeights({ valid: { systems: [text, joint], labels } });

  it('scans w1 = 0, 0.05, ..., 1 and reports the whole validation curve', () => {
    expect(choice.metric).toBe('ua');
    expect(choice.step).toBe(0.05);
    expect(choice.curve.map((p) => p.w1)).toEqual(Array.from({ length: 21 }, (_, i) => i / 20));
    for (const p of choice.curve) {
      expect(p.weights[0] + p.weights[1]).toBeCloseTo(1, 15);
      expect(p.score).toBe(scoreAt([text, joint], p.weights));
    }
  });

  it('picks the best point of the curve, and its score is the validation UA there', () => {
    const best = Math.max(...choice.curve.map((p) => p.score));
    expect(choice.score).toBe(best);
    expect(choice.score).toBe(scoreAt([text, joint], choice.weights));
    expect(choice.weights[0] + choice.weights[1]).toBeCloseTo(1, 15);
    expect(choice.systems).toEqual(['text-lstm', 'joint-cnn']);
    // Two useful systems with independent errors: the chosen mix is strictly better than either
    // alone (the curve's ends, w1 = 0 and w1 = 1), so the search found an interior weight.
    expect(choice.score).toBeGreaterThan(Math.max(choice.curve[0].score, choice.curve[20].score));
    expect(choice.weights[0]).toBeGreaterThan(0);
    expect(choice.weights[0]).toBeLessThan(1);
  });

  it('is deterministic and independent of utterance order', () => {
    const again = searchWeights({ valid: { systems: [text, joint], labels } });
    expect(again).toEqual(choice);
    const order = text.ids.map((_, i) => i).reverse();
    const k = classes.length;
    const reversed: SystemPosteriors = {
      ...joint,
      ids: order.map((i) => joint.ids[i]),
      probs: Float64Array.from(order.flatMap((i) => Array.from(joint.probs.slice(i * k, i * k + k)))),
    };
    const byMap = new Map(text.ids.map((id, i) => [id, labels[i]]));
    expect(searchWeights({ valid: { systems: [text, reversed], labels: byMap } }).weights).toEqual(choice.weights);
  });

  it('scores other metrics and other steps', () => {
    for (const metric of ['wa', 'f1', 'macroF1'] as const) {
      const c = searchWeights({ valid: { systems: [text, joint], labels }, metric, step: 0.1 });
      expect(c.curve).toHaveLength(11);
      expect(c.score).toBe(scoreAt([text, joint], c.weights, metric));
    }
  });
});

describe('searchWeights: tie-breaking', () => {
  it('identical systems: every w1 ties, the uniform weights win', () => {
    const c = searchWeights({ valid: { systems: [text, { ...text, name: 'copy' }], labels } });
    expect(c.ties).toBe(21);
    expect(c.weights).toEqual([0.5, 0.5]);
  });

  it('the curve fixture really sets the curve', () => {
    const table = Array.from({ length: 21 }, (_, i) => i / 100);
    const f = curveFixture(table);
    const c = searchWeights({ valid: f, metric: 'table', scorers: f.scorers });
    expect(c.curve.map((p) => p.score)).toEqual(table);
    expect(c.weights).toEqual([1, 0]);
  });

  it('a plateau goes to the point closest to uniform', () => {
    const table = Array.from({ length: 21 }, (_, i) => (i >= 12 && i <= 18 ? 0.7 : 0.5));
    const f = curveFixture(table);
    const c = searchWeights({ valid: f, metric: 'table', scorers: f.scorers });
    expect(c.weights).toEqual([0.6, 0.4]);
    expect(c.ties).toBe(7);
  });

  it('equally close to uniform: the smaller w1 wins, whatever the scan order', () => {
    const table: number[] = Array.from({ length: 21 }, (_, i) => (i === 4 || i === 16 ? 0.9 : 0.1));
    const f = curveFixture(table);
    expect(searchWeights({ valid: f, metric: 'table', scorers: f.scorers }).weights).toEqual([0.2, 0.8]);
    // Scores 1e-15 apart count as a tie (same confusion, different float rounding).
    table[16] = 0.9 + 1e-15;
    expect(searchWeights({ valid: f, metric: 'table', scorers: f.scorers }).weights).toEqual([0.2, 0.8]);
    table[16] = 0.9 + 1e-9;
    expect(searchWeights({ valid: f, metric: 'table', scorers: f.scorers }).weights).toEqual([0.8, 0.2]);
  });
});

describe('searchWeights: N systems on the simplex grid', () => {
  it('scans all C(m + N - 1, N - 1) weight vectors and finds the brute-force best', () => {
    const c = searchWeights({ valid: { systems: [text, joint, speech], labels }, step: 0.1 });
    expect(c.curve).toHaveLength(66);
    const seen = new Set(c.curve.map((p) => p.weights.join(',')));
    expect(seen.size).toBe(66);
    for (const p of c.curve) {
      expect(p.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(p.w1).toBe(p.weights[0]);
    }
    const best = Math.max(...c.curve.map((p) => scoreAt([text, joint, speech], p.weights)));
    expect(c.score).toBe(best);
    expect(c.score).toBe(scoreAt([text, joint, speech], c.weights));
  });

  it('identical systems: the simplex centre wins when it is on the grid', () => {
    const c = searchWeights({ valid: { systems: [text, { ...text, name: 'b' }, { ...text, name: 'c' }], labels }, step: 1 / 3 });
    expect(c.weights).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  it('simplexGrid is in lexicographic order', () => {
    expect(simplexGrid(3, 2)).toEqual([[0, 0, 2], [0, 1, 1], [0, 2, 0], [1, 0, 1], [1, 1, 0], [2, 0, 0]]);
  });
});

describe('test data cannot reach the search', () => {
  const testLabels = labels.slice(0, 100);
  const testText = simulate('text-lstm', testLabels, 21, 0.55);
  const testJoint = simulate('joint-cnn', testLabels, 22, 0.65);

  it('the options type has no place for test posteriors, and a smuggled one is refused', () => {
    const options = {
      valid: { systems: [text, joint], labels },
      // @ts-expect-error WeightSearchOptions has no `test` field: weights are chosen on validation data only
      test: { systems: [testText, testJoint], labels: testLabels },
    } satisfies WeightSearchOptions;
    expect(() => searchWeights(options)).toThrow(/unknown option "test": the weight search takes validation data only/);
    expect(searchWeights.length).toBe(1);
  });

  it('applyWeights fuses test posteriors with the chosen weights and nothing else', () => {
    const choice = searchWeights({ valid: { systems: [text, joint], labels } });
    const applied = applyWeights(choice, [testText, testJoint]);
    expect(Array.from(applied.probs)).toEqual(Array.from(fuse('weighted', [testText, testJoint], choice.weights).probs));
    expect(applied.ids).toEqual(testText.ids);
  });

  it('applyWeights refuses systems in another order or number', () => {
    const choice = searchWeights({ valid: { systems: [text, joint], labels } });
    expect(() => applyWeights(choice, [testJoint, testText])).toThrow(/system 1 is joint-cnn but the weights were chosen with text-lstm/);
    expect(() => applyWeights(choice, [testText])).toThrow(/chosen for 2 systems, got 1/);
  });
});

describe('searchWeights: bad input', () => {
  it('an unknown metric, a step that does not divide 1, labels outside the classes, a missing label', () => {
    expect(() => searchWeights({ valid: { systems: [text, joint], labels }, metric: 'auc' })).toThrow(/unknown metric "auc"/);
    expect(() => searchWeights({ valid: { systems: [text, joint], labels }, step: 0.3 })).toThrow(EmofuseError);
    expect(() => searchWeights({ valid: { systems: [text, joint], labels }, step: 0 })).toThrow(/step 0/);
    const wrong = labels.slice();
    wrong[7] = 'fear';
    expect(() => searchWeights({ valid: { systems: [text, joint], labels: wrong } })).toThrow(/utterance u7 has label "fear"/);
    expect(() => searchWeights({ valid: { systems: [text, joint], labels: new Map([['u0', 'ang']]) } })).toThrow(/no label for utterance u1/);
    expect(() => searchWeights({ valid: { systems: [text, joint], labels: labels.slice(1) } })).toThrow(/299 labels for 300 utterances/);
  });
});
