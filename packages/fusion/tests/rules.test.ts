import { describe, expect, it } from 'vitest';
import { EmofuseError, makeRng, type Posteriors } from '@emofuse/core';
import { fuse, normalisedProduct, type SystemPosteriors } from '../src/index.ts';

const classes = ['hap', 'sad', 'neu'];

/** Random posteriors (softmax of random logits) for `ids`, seeded. */
function randomSystem(name: string, ids: string[], seed: number, k = classes.length): SystemPosteriors {
  const rng = makeRng(seed);
  const probs = new Float64Array(ids.length * k);
  for (let r = 0; r < ids.length; r++) {
    let s = 0;
    for (let c = 0; c < k; c++) { probs[r * k + c] = Math.exp(4 * rng() - 2); s += probs[r * k + c]; }
    for (let c = 0; c < k; c++) probs[r * k + c] /= s;
  }
  return { name, ids, classes: classes.slice(0, k), probs };
}

/** The row of `p` for utterance `id`. */
function row(p: Posteriors, id: string): number[] {
  const k = p.classes.length;
  const r = p.ids.indexOf(id);
  return Array.from(p.probs.slice(r * k, r * k + k));
}

function expectRowsClose(a: number[], b: number[], digits = 12) {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(v).toBeCloseTo(b[i], digits));
}

/** Expect an EmofuseError whose where/message match. */
function expectError(f: () => unknown, where: string | RegExp, message: RegExp) {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(EmofuseError);
  const e = err as EmofuseError;
  if (typeof where === 'string') expect(e.where).toBe(where); else expect(e.where).toMatch(where);
  expect(e.message).toMatch(message);
  return e;
}

const ids = ['u1', 'u2', 'u3', 'u4', 'u5'];
const text = randomSystem('text-lstm', ids, 1);
// Same utterances in another order: fusion must align by id.
const jointIds = ['u3', 'u1', 'u5', 'u2', 'u4'];
const joint = randomSystem('joint-cnn', jointIds, 2);

describe('fuse: the three rules', () => {
  it('average (I) is (p_T + p_ST) / 2 row by row, aligned by id', () => {
    const f = fuse('average', [text, joint]);
    expect(f.ids).toEqual(ids);
    expect(f.classes).toEqual(classes);
    for (const id of ids) expectRowsClose(row(f, id), row(text, id).map((v, c) => (v + row(joint, id)[c]) / 2));
  });

  it('weights go only to a rule that takes them (fromWeights), and such a rule needs them', () => {
    expect(() => fuse('product', [text, joint], [0.5, 0.5])).toThrow(/rule product takes no weights/);
    expect(() => fuse('weighted', [text, joint])).toThrow(/rule 'weighted' needs weights/);
    expect(() => fuse('weighted', [text, joint], [0.5, 0.2, 0.3])).toThrow(EmofuseError);
  });

  it('weighted (II) is w1 p_T + w2 p_ST', () => {
    const f = fuse('weighted', [text, joint], [0.3, 0.7]);
    for (const id of ids) expectRowsClose(row(f, id), row(text, id).map((v, c) => 0.3 * v + 0.7 * row(joint, id)[c]));
    const onlyText = fuse('weighted', [text, joint], [1, 0]);
    for (const id of ids) expectRowsClose(row(onlyText, id), row(text, id));
  });

  it("product (III) is the paper's p_T,j p_ST,j / sum_k p_T,k p_ST,k", () => {
    const f = fuse('product', [text, joint]);
    for (const id of ids) {
      const t = row(text, id);
      const s = row(joint, id);
      const denom = t.reduce((acc, v, k) => acc + v * s[k], 0);
      expectRowsClose(row(f, id), t.map((v, j) => (v * s[j]) / denom));
    }
  });

  it('works for N systems: average, simplex weights and product of three', () => {
    const third = randomSystem('speech-cnn', ids, 3);
    const sys = [text, joint, third];
    const avg = fuse('average', sys);
    const w = fuse('weighted', sys, [0.2, 0.5, 0.3]);
    const prod = fuse('product', sys);
    for (const id of ids) {
      const rs = sys.map((s) => row(s, id));
      expectRowsClose(row(avg, id), rs[0].map((_, c) => (rs[0][c] + rs[1][c] + rs[2][c]) / 3));
      expectRowsClose(row(w, id), rs[0].map((_, c) => 0.2 * rs[0][c] + 0.5 * rs[1][c] + 0.3 * rs[2][c]));
      const p = rs[0].map((_, c) => rs[0][c] * rs[1][c] * rs[2][c]);
      const z = p.reduce((a, b) => a + b, 0);
      expectRowsClose(row(prod, id), p.map((v) => v / z));
    }
  });

  it('identical systems: average and weighted give the input back, product squares and renormalises', () => {
    const twin = { ...text, name: 'twin' };
    for (const f of [fuse('average', [text, twin]), fuse('weighted', [text, twin], [0.35, 0.65])]) {
      for (const id of ids) expectRowsClose(row(f, id), row(text, id));
    }
    const p = fuse('product', [text, twin]);
    for (const id of ids) {
      const t = row(text, id);
      const z = t.reduce((a, v) => a + v * v, 0);
      expectRowsClose(row(p, id), t.map((v) => (v * v) / z));
    }
  });

  it('one-hot posteriors: agreement stays one-hot under every rule', () => {
    const a: SystemPosteriors = { name: 'a', ids: ['x', 'y'], classes, probs: new Float32Array([1, 0, 0, 0, 0, 1]) };
    const b: SystemPosteriors = { name: 'b', ids: ['y', 'x'], classes, probs: new Float32Array([0, 0, 1, 1, 0, 0]) };
    for (const f of [fuse('average', [a, b]), fuse('product', [a, b]), fuse('weighted', [a, b], [0.9, 0.1])]) {
      expect(row(f, 'x')).toEqual([1, 0, 0]);
      expect(row(f, 'y')).toEqual([0, 0, 1]);
    }
  });

  it('product with zeros: exact where some class survives; the eps -> 0 limit where every class is ruled out', () => {
    const a: SystemPosteriors = { name: 'a', ids: ['x', 'y', 'z'], classes, probs: new Float64Array([0, 0.5, 0.5, 1, 0, 0, 0, 0.2, 0.8]) };
    const b: SystemPosteriors = { name: 'b', ids: ['x', 'y', 'z'], classes, probs: new Float64Array([0.6, 0.4, 0, 0, 1, 0, 1, 0, 0]) };
    const f = fuse('product', [a, b]);
    expect(row(f, 'x')).toEqual([0, 1, 0]);
    // y: one-hot disagreement. hap and sad are each ruled out once, neu twice: hap and sad share the mass.
    expect(row(f, 'y')).toEqual([0.5, 0.5, 0]);
    // z: each class is ruled out exactly once; the surviving factors 1, 0.2, 0.8 share the mass.
    expectRowsClose(row(f, 'z'), [0.5, 0.1, 0.4]);
    // Brute force of the limit: floor zeros at a small eps and renormalise.
    const eps = 1e-9;
    const floorRow = (v: number[], w: number[]) => {
      const p = v.map((x, c) => Math.max(x, eps) * Math.max(w[c], eps));
      const s = p.reduce((acc, q) => acc + q, 0);
      return p.map((q) => q / s);
    };
    for (const id of ['x', 'y', 'z']) expectRowsClose(row(f, id), floorRow(row(a, id), row(b, id)), 6);
    for (const v of f.probs) expect(Number.isFinite(v)).toBe(true);
  });

  it('product does not underflow: 1101 systems whose linear product is below the smallest double', () => {
    const sys: SystemPosteriors[] = [];
    for (let s = 0; s < 550; s++) {
      sys.push({ name: `a${s}`, ids: ['x'], classes: ['p', 'q'], probs: new Float64Array([0.4, 0.6]) });
      sys.push({ name: `b${s}`, ids: ['x'], classes: ['p', 'q'], probs: new Float64Array([0.6, 0.4]) });
    }
    sys.push({ name: 'last', ids: ['x'], classes: ['p', 'q'], probs: new Float64Array([0.3, 0.7]) });
    expect(0.24 ** 550).toBe(0); // the naive product is 0/0
    const f = fuse('product', sys);
    expectRowsClose(Array.from(f.probs), [0.3, 0.7]);
  });

  it('accepts Float32 posteriors and returns rows that sum to one', () => {
    const f32 = { ...text, probs: Float32Array.from(text.probs) };
    for (const rule of ['average', 'product'] as const) {
      const f = fuse(rule, [f32, joint]);
      for (let r = 0; r < ids.length; r++) expect(f.probs[r * 3] + f.probs[r * 3 + 1] + f.probs[r * 3 + 2]).toBeCloseTo(1, 6);
    }
  });

  it('normalisedProduct on aligned rows matches fuse', () => {
    const f = fuse('product', [text, { ...text, name: 'b' }]);
    const direct = normalisedProduct([Float64Array.from(text.probs), Float64Array.from(text.probs)], 3);
    expect(Array.from(f.probs)).toEqual(Array.from(direct));
  });
});

describe('fuse: input checks name the system and the row', () => {
  it('a missing utterance', () => {
    const short = randomSystem('joint-cnn', ['u1', 'u2', 'u3', 'u5'], 2);
    expectError(() => fuse('average', [text, short]), 'joint-cnn', /no posteriors for utterance u4/);
  });
  it('an extra utterance', () => {
    const long = randomSystem('joint-cnn', [...ids, 'u9'], 2);
    expectError(() => fuse('average', [text, long]), 'joint-cnn', /utterance u9, which text-lstm lacks/);
  });
  it('the same utterance count but different ids', () => {
    const other = randomSystem('joint-cnn', ['u1', 'u2', 'u3', 'u4', 'zz'], 2);
    expectError(() => fuse('product', [text, other]), 'joint-cnn', /no posteriors for utterance u5/);
  });
  it('another class order, with the fix', () => {
    const swapped = { ...joint, classes: ['sad', 'hap', 'neu'] };
    const e = expectError(() => fuse('average', [text, swapped]), 'joint-cnn', /class 0 is "sad", text-lstm has "hap"/);
    expect(e.fix).toMatch(/reorder its columns to hap, sad, neu/);
  });
  it('another number of classes', () => {
    const two = randomSystem('speech-cnn', ids, 5, 2);
    expectError(() => fuse('average', [text, two]), 'speech-cnn', /has 2 classes/);
  });
  it('a row that does not sum to one', () => {
    const bad = { ...joint, probs: Float64Array.from(joint.probs) };
    bad.probs[3 * 3 + 1] += 0.2;
    expectError(() => fuse('average', [text, bad]), 'joint-cnn', /row 3 \(id u2\) sums to/);
  });
  it('NaN', () => {
    const bad = { ...text, probs: Float64Array.from(text.probs) };
    bad.probs[4 * 3 + 2] = NaN;
    expectError(() => fuse('product', [bad, joint]), 'text-lstm', /row 4 \(id u5\) has NaN in class neu/);
  });
  it('unnamed systems are called "system <i>"', () => {
    const { name: _n, ...anon } = joint;
    expectError(() => fuse('average', [text, { ...anon, ids: ['u1', 'u2', 'u3', 'u4', 'u6'] }]), 'system 2', /u5/);
  });
  it('weights off the simplex, weights where none belong, a single system, an unknown rule', () => {
    expectError(() => fuse('weighted', [text, joint], [0.3, 0.6]), 'fusion weights', /sum to 0.9/);
    expectError(() => fuse('weighted', [text, joint], [1.2, -0.2]), 'fusion weights', /weight 2 is -0.2/);
    expectError(() => fuse('weighted', [text, joint], [1]), 'fusion weights', /1 weights for 2 systems/);
    expectError(() => fuse('weighted', [text, joint]), 'fusion', /needs weights/);
    expectError(() => fuse('average', [text, joint], [0.5, 0.5]), 'fusion', /average takes no weights/);
    expectError(() => fuse('product', [text]), 'fusion', /at least 2 systems/);
    // An unknown rule is refused at run time (e.g. from YAML).
    expectError(() => fuse('max', [text, joint]), 'fusion', /unknown fusion rule "max"/);
  });
});
