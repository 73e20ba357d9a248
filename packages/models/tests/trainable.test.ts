// Token input with a fine-tuned embedding table (features.text.trainable).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fingerprint, isEmofuseError, makeRng, type SequenceMatrix, type TokenSequences } from '@emofuse/core';
import * as tf from '@tensorflow/tfjs';
import { TOKEN_INPUT_KERNELS, buildModel, inputSpecFor, loadModel, missingKernels, modelDescriptor, predict, saveModel, selectBackend, setConvImplementation, textVocabularyOf, train } from '../src/index.ts';
import { accuracy, CLASSES, SMALL } from './helpers.ts';

const STEPS = 12;
const DIM = 16;

/**
 * Utterances of noise words plus one marker word per class. The markers have no pretrained vector
 * (zeros, like an OOV word), so the class is only learnable by a model that tunes its vectors.
 */
function tokenData(n: number, seed: number) {
  const rng = makeRng(`tokens:${seed}`);
  const words = ['<pad>', ...Array.from({ length: 27 }, (_, i) => `w${i}`), ...CLASSES.map((c) => `marker_${c}`)];
  const vectors = new Float32Array(words.length * DIM);
  for (let r = 1; r <= 27; r++) for (let d = 0; d < DIM; d++) vectors[r * DIM + d] = rng() - 0.5;
  const ids = Array.from({ length: n }, (_, i) => `u${seed}_${i}`);
  const labels = ids.map(() => CLASSES[Math.floor(rng() * CLASSES.length)]);
  const values = new Float32Array(n * STEPS);
  const lengths = new Int32Array(n);
  labels.forEach((label, i) => {
    lengths[i] = 4 + Math.floor(rng() * (STEPS - 4));
    for (let s = 0; s < lengths[i]; s++) values[i * STEPS + s] = 1 + Math.floor(rng() * 27);
    values[i * STEPS + Math.floor(rng() * lengths[i])] = 28 + CLASSES.indexOf(label);
  });
  const tokens: TokenSequences = { ids, steps: STEPS, dim: 1, values, lengths, vocabulary: { words, dim: DIM, vectors, fingerprint: fingerprint(words) } };
  // The same utterances as the frozen pipeline feeds them: each step's vector.
  const embedded = new Float32Array(n * STEPS * DIM);
  for (let k = 0; k < n * STEPS; k++) embedded.set(vectors.subarray(values[k] * DIM, (values[k] + 1) * DIM), k * DIM);
  const vectorsIn: SequenceMatrix = { ids, steps: STEPS, dim: DIM, values: embedded, lengths };
  return { ids, labels, tokens, vectorsIn };
}

let tmp = '';
beforeAll(async () => {
  await selectBackend('auto');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-trainable-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const d = tokenData(120, 1);
const build = (text: TokenSequences | SequenceMatrix, seed = 3) =>
  buildModel({ type: 'text-lstm', classes: CLASSES, input: inputSpecFor('text-lstm', { text }), textVocabulary: textVocabularyOf({ text }), model: SMALL, seed });

describe('trainable word vectors', () => {
  it('the token input spec names the vocabulary, and the untrained model equals the frozen one', () => {
    const spec = inputSpecFor('text-lstm', { text: d.tokens });
    expect(spec.text).toEqual({ kind: 'sequence', steps: STEPS, dim: DIM, vocab: { size: 31, fingerprint: d.tokens.vocabulary.fingerprint } });
    const tuned = build(d.tokens);
    const frozen = build(d.vectorsIn);
    expect(tuned.net.getLayer('text_embedding').getWeights()[0].shape).toEqual([31, DIM]);
    // Same seed, same initial weights, the table holding the vectors: the same posteriors.
    const a = predict(tuned, { text: d.tokens });
    const b = predict(frozen, { text: d.vectorsIn });
    expect(Array.from(a.probs).map((x) => x.toFixed(5))).toEqual(Array.from(b.probs).map((x) => x.toFixed(5)));
    tuned.net.dispose();
    frozen.net.dispose();
  });

  it('learns words whose pretrained vectors say nothing; the frozen model cannot', async () => {
    const tuned = build(d.tokens);
    const frozen = build(d.vectorsIn);
    const opts = { epochs: 12, batchSize: 16, learningRate: 0.01 };
    await train(tuned, { train: { inputs: { text: d.tokens }, labels: d.labels } }, opts);
    await train(frozen, { train: { inputs: { text: d.vectorsIn }, labels: d.labels } }, opts);
    const held = tokenData(90, 2);
    // held-out rows of the same vocabulary
    const heldTokens = { ...held.tokens, vocabulary: d.tokens.vocabulary };
    expect(accuracy(predict(tuned, { text: heldTokens }), held.labels)).toBeGreaterThan(0.8);
    expect(accuracy(predict(frozen, { text: held.vectorsIn }), held.labels)).toBeLessThan(0.6);
    const table = tuned.net.getLayer('text_embedding').getWeights()[0].arraySync() as number[][];
    expect(table[0].every((x) => x === 0)).toBe(true); // padding never learns
    expect(table[28].some((x) => x !== 0)).toBe(true); // a marker did
    tuned.net.dispose();
    frozen.net.dispose();
  }, 120_000);

  it('saves and reloads, and refuses word vectors or token ids of another vocabulary', async () => {
    const m = build(d.tokens);
    await train(m, { train: { inputs: { text: d.tokens }, labels: d.labels } }, { epochs: 1, batchSize: 32 });
    const dir = path.join(tmp, 'tuned');
    await saveModel(m, dir);
    const back = await loadModel(dir);
    expect(Array.from(predict(back, { text: d.tokens }).probs)).toEqual(Array.from(predict(m, { text: d.tokens }).probs));
    const refused = (f: () => unknown) => {
      try { f(); } catch (e) { return isEmofuseError(e) ? e.message : String(e); }
      return 'accepted';
    };
    expect(refused(() => predict(back, { text: d.vectorsIn }))).toMatch(/built for token ids .* but got word vectors/);
    const other = tokenData(10, 5).tokens;
    other.vocabulary = { ...other.vocabulary, words: [...other.vocabulary.words, 'extra'], fingerprint: 'other' };
    expect(refused(() => predict(back, { text: other }))).toMatch(/another vocabulary/);
    expect(refused(() => predict(build(d.vectorsIn), { text: d.tokens }))).toMatch(/built for word vectors but got token ids/);
    m.net.dispose();
    back.net.dispose();
  });

  it('a token input adds only TOKEN_INPUT_KERNELS to a training step; wasm lacks one, so auto never picks it', async () => {
    await selectBackend('cpu');
    setConvImplementation('im2col'); // what runs on wasm
    try {
      for (const type of ['text-lstm', 'text-cnn'] as const) {
        const m = buildModel({ type, classes: CLASSES, input: inputSpecFor(type, { text: d.tokens }), textVocabulary: textVocabularyOf({ text: d.tokens }), model: SMALL, seed: 1 });
        const prof = await tf.profile(async () => {
          await train(m, { train: { inputs: { text: d.tokens }, labels: d.labels } }, { epochs: 1, batchSize: 32 });
          predict(m, { text: d.tokens });
        });
        const used = [...new Set(prof.kernelNames)].filter((k) => !k.endsWith('__op'));
        expect(used.filter((k) => ![...modelDescriptor(type).kernels!, ...TOKEN_INPUT_KERNELS].includes(k)), type).toEqual([]);
        expect(used).toEqual(expect.arrayContaining([...TOKEN_INPUT_KERNELS]));
        m.net.dispose();
      }
    } finally {
      setConvImplementation(null);
    }
    await selectBackend('wasm');
    expect(missingKernels('wasm', ['text-lstm'], TOKEN_INPUT_KERNELS)).toEqual(['UnsortedSegmentSum']);
    await selectBackend('auto');
  }, 120_000);

  it('refuses a token input without its initial vectors, and models that cannot embed tokens', () => {
    const refused = (f: () => unknown) => {
      try { f(); } catch (e) { return isEmofuseError(e) ? e.message : String(e); }
      return 'accepted';
    };
    expect(refused(() => buildModel({ type: 'text-lstm', classes: CLASSES, input: inputSpecFor('text-lstm', { text: d.tokens }), model: SMALL })))
      .toMatch(/no textVocabulary was given/);
    expect(refused(() => inputSpecFor('bc-lstm', { text: d.tokens }))).toMatch(/cannot read token ids/);
  });
});
