import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, predict, selectBackend, train, formatEpochLine, balancedClassWeights, type EpochLog, type ModelType } from '../src/index.ts';
import { FAST_PATHS, setFastPaths, type FastPath } from '../src/tensors.ts';
import { CLASSES, SMALL, synthetic } from './helpers.ts';

let backend = '';
beforeAll(async () => { backend = (await selectBackend('auto')).name; });

const trainSet = synthetic(96, 1);
const validSet = synthetic(48, 2);
const seq = { kind: 'sequence' as const, steps: trainSet.text.steps, dim: trainSet.text.dim };
const INPUT: Record<ModelType, Parameters<typeof buildModel>[0]['input']> = {
  'text-lstm': { text: seq },
  'speech-cnn': { speech: { dim: 40 } },
  'joint-cnn': { text: seq, speech: { dim: 40 } },
};
const part = (d: ReturnType<typeof synthetic>) => ({ inputs: { text: d.text, speech: d.speech }, labels: d.labels });

describe('train', () => {
  for (const type of ['text-lstm', 'speech-cnn', 'joint-cnn'] as const) {
    it(`${type} learns: training loss falls, posteriors cover every utterance`, async () => {
      const m = buildModel({ type, classes: CLASSES, input: INPUT[type], model: SMALL, seed: 7 });
      const logs: EpochLog[] = [];
      const r = await train(m, { train: part(trainSet), valid: part(validSet) }, {
        epochs: 8, batchSize: 16, learningRate: 0.005, seed: 7, onEpochEnd: (l) => { logs.push(l); },
      });
      expect(logs).toEqual(r.history);
      expect(r.history.length).toBeGreaterThanOrEqual(3);
      for (const l of r.history) {
        expect(Object.keys(l).sort()).toEqual(['epoch', 'seconds', 'trainAcc', 'trainLoss', 'validAcc', 'validLoss']);
        expect(l.seconds).toBeGreaterThan(0);
      }
      const first = r.history[0];
      const last = r.history.at(-1)!;
      expect(last.trainLoss).toBeLessThan(first.trainLoss);
      expect(Math.min(...r.history.map((h) => h.validLoss!))).toBeLessThan(first.validLoss!);
      expect(Math.max(...r.history.map((h) => h.validAcc!))).toBeGreaterThan(0.5); // chance is 1/3
      const p = predict(m, { text: validSet.text, speech: validSet.speech });
      expect(p.ids).toEqual(validSet.ids);
      expect(p.classes).toEqual(CLASSES);
      expect(p.probs.length).toBe(validSet.ids.length * CLASSES.length);
      m.net.dispose();
    });
  }

  it('utterance reading: the LSTM over T as one step, from embeddings or from given vectors', async () => {
    const utt = { ...SMALL, text: { ...SMALL.text, lstmInput: 'utterance' as const } };
    const vec = { kind: 'vector' as const, dim: trainSet.textVectors.dim };
    for (const [input, text, vtext] of [
      [{ text: seq }, trainSet.text, validSet.text],
      [{ text: vec }, trainSet.textVectors, validSet.textVectors],
    ] as const) {
      const m = buildModel({ type: 'text-lstm', classes: CLASSES, input, model: utt, seed: 4 });
      const r = await train(m, { train: { inputs: { text }, labels: trainSet.labels }, valid: { inputs: { text: vtext }, labels: validSet.labels } }, {
        epochs: 6, batchSize: 16, learningRate: 0.005,
      });
      expect(r.history.at(-1)!.trainLoss).toBeLessThan(r.history[0].trainLoss);
      m.net.dispose();
    }
    // joint-cnn with the pkl's vectors: T is the given vector
    const j = buildModel({ type: 'joint-cnn', classes: CLASSES, input: { text: vec, speech: { dim: 40 } }, model: SMALL, seed: 4 });
    const r = await train(j, { train: { inputs: { text: trainSet.textVectors, speech: trainSet.speech }, labels: trainSet.labels } }, { epochs: 4, batchSize: 16, learningRate: 0.005 });
    expect(r.history.at(-1)!.trainLoss).toBeLessThan(r.history[0].trainLoss);
    j.net.dispose();
  });

  it('cutting word inputs to the longest utterance of the batch, and predicting in batches of similar length, change no output', () => {
    for (const type of ['text-lstm', 'joint-cnn'] as const) {
      const m = buildModel({ type, classes: CLASSES, input: INPUT[type], model: SMALL, seed: 8 });
      const inputs = { text: validSet.text, speech: validSet.speech };
      expect(Math.max(...validSet.text.lengths)).toBeLessThanOrEqual(validSet.text.steps);
      const whole = predict(m, inputs, { batchSize: 256 });
      const single = predict(m, inputs, { batchSize: 1 }); // each row cut to its own length
      const bucketed = predict(m, inputs, { batchSize: 7 }); // batches of similar lengths, put back in input order
      expect(bucketed.ids).toEqual(validSet.ids);
      const untrimmed = tf.tidy(() => {
        const n = validSet.ids.length;
        const mask = new Float32Array(n * seq.steps);
        validSet.text.lengths.forEach((len, i) => mask.fill(1, i * seq.steps, i * seq.steps + len));
        const xs = [tf.tensor3d(validSet.text.values, [n, seq.steps, seq.dim]), tf.tensor2d(mask, [n, seq.steps])];
        if (type === 'joint-cnn') xs.push(tf.tensor2d(validSet.speech.values, [n, 40]));
        return Array.from((m.net.apply(xs) as tf.Tensor).dataSync());
      });
      single.probs.forEach((v, i) => expect(v).toBeCloseTo(untrimmed[i], 5));
      whole.probs.forEach((v, i) => expect(v).toBeCloseTo(untrimmed[i], 5));
      bucketed.probs.forEach((v, i) => expect(v).toBeCloseTo(untrimmed[i], 5));
      m.net.dispose();
    }
  });

  it('the same seed gives the same numbers, another seed other numbers', async () => {
    const run = async (seed: number) => {
      const m = buildModel({ type: 'text-lstm', classes: CLASSES, input: INPUT['text-lstm'], model: SMALL, seed });
      const r = await train(m, { train: part(trainSet), valid: part(validSet) }, { epochs: 3, batchSize: 16, seed });
      const p = predict(m, { text: validSet.text });
      m.net.dispose();
      return { losses: r.history.map((h) => [h.trainLoss, h.validLoss]), probs: Array.from(p.probs) };
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(b).toEqual(a);
    expect(c.probs).not.toEqual(a.probs);
    expect(backend).not.toBe('');
  });

  it('early stopping stops after `patience` worse epochs and restores the best weights', async () => {
    // labels unrelated to the inputs: the net memorises, validation loss climbs
    const noisy = synthetic(64, 3);
    const labels = noisy.labels.map((_, i) => CLASSES[(i * 7) % 3]);
    const valid = synthetic(64, 4);
    const m = buildModel({ type: 'speech-cnn', classes: CLASSES, input: INPUT['speech-cnn'], model: SMALL, seed: 3 });
    const r = await train(m, { train: { inputs: { speech: noisy.speech }, labels }, valid: part(valid) }, {
      epochs: 40, batchSize: 16, learningRate: 0.01, patience: 3, seed: 3,
    });
    const losses = r.history.map((h) => h.validLoss!);
    const bestIdx = losses.indexOf(Math.min(...losses));
    expect(r.stoppedEarly).toBe(true);
    expect(r.bestEpoch).toBe(bestIdx + 1);
    expect(r.history.length).toBe(bestIdx + 1 + 3);
    // the weights now give the best epoch's validation loss, not the last one's
    const p = predict(m, { speech: valid.speech });
    let ce = 0;
    valid.labels.forEach((l, i) => { ce -= Math.log(Math.max(p.probs[i * 3 + CLASSES.indexOf(l)], 1e-7)); });
    ce /= valid.labels.length;
    expect(ce).toBeCloseTo(losses[bestIdx], 4);
    expect(Math.abs(ce - losses.at(-1)!)).toBeGreaterThan(1e-3);
    m.net.dispose();
  });

  it('stops cleanly on abort, reports progress per batch and leaks no tensors', async () => {
    const m = buildModel({ type: 'speech-cnn', classes: CLASSES, input: INPUT['speech-cnn'], model: SMALL, seed: 2 });
    const ac = new AbortController();
    let batches = 0;
    const before = tf.memory().numTensors;
    const r = await train(m, { train: part(trainSet), valid: part(validSet) }, {
      epochs: 10, batchSize: 32, seed: 2, signal: ac.signal,
      onProgress: (p) => { batches++; expect(p.batches).toBe(3); expect(p.epochs).toBe(10); },
      onEpochEnd: (l) => { if (l.epoch === 2) ac.abort(); },
    });
    expect(r.aborted).toBe(true);
    expect(r.history.length).toBe(2);
    expect(batches).toBe(6);
    expect(tf.memory().numTensors).toBe(before);
    m.net.dispose();
  });

  it('balanced class weights follow n / (k * n_c) and still train', async () => {
    expect(balancedClassWeights(Int32Array.from([0, 0, 0, 1]), 3)).toEqual([4 / 9, 4 / 3, 0]);
    const m = buildModel({ type: 'speech-cnn', classes: CLASSES, input: INPUT['speech-cnn'], model: SMALL, seed: 2 });
    const r = await train(m, { train: part(trainSet) }, { epochs: 2, batchSize: 32, classWeights: 'balanced' });
    expect(r.classWeights).toHaveLength(3);
    expect(r.history[0].validLoss).toBeUndefined();
    expect(r.epochs).toBe(2);
    m.net.dispose();
  });

  it('epochs auto: 20 for CNNs, 40 for the LSTM', async () => {
    const m = buildModel({ type: 'speech-cnn', classes: CLASSES, input: INPUT['speech-cnn'], model: SMALL, seed: 2 });
    const ac = new AbortController();
    ac.abort();
    expect((await train(m, { train: part(trainSet) }, { signal: ac.signal })).epochs).toBe(20);
    m.net.dispose();
  });

  it('bad labels name the utterance', async () => {
    const m = buildModel({ type: 'speech-cnn', classes: CLASSES, input: INPUT['speech-cnn'], model: SMALL });
    const labels = [...trainSet.labels];
    labels[5] = 'joy';
    await expect(train(m, { train: { inputs: { speech: trainSet.speech }, labels } }, { epochs: 1 }))
      .rejects.toThrow(new RegExp(`${trainSet.ids[5]} has label "joy"`));
    const map = new Map(trainSet.ids.slice(1).map((id, i) => [id, trainSet.labels[i + 1]]));
    await expect(train(m, { train: { inputs: { speech: trainSet.speech }, labels: map } }, { epochs: 1 }))
      .rejects.toThrow(new RegExp(`no label for utterance ${trainSet.ids[0]}`));
    m.net.dispose();
  });

  it('every tfjs-node fast path gives the plain path\'s losses and posteriors (float tolerance)', async (ctx) => {
    if (backend !== 'tensorflow') ctx.skip();
    const run = async (type: ModelType, paths: readonly FastPath[]) => {
      setFastPaths(paths);
      try {
        const m = buildModel({ type, classes: CLASSES, input: INPUT[type], model: SMALL, seed: 5 });
        const r = await train(m, { train: part(trainSet), valid: part(validSet) }, { epochs: 2, batchSize: 16, seed: 5 });
        const p = predict(m, { text: validSet.text, speech: validSet.speech });
        m.net.dispose();
        return { losses: r.history.flatMap((h) => [h.trainLoss, h.validLoss!]), probs: Array.from(p.probs) };
      } finally {
        setFastPaths('all');
      }
    };
    // each path alone on the model it matters most for, and all of them on every model
    const alone: Record<FastPath, ModelType> = { adam: 'speech-cnn', lstm: 'text-lstm', relugrad: 'joint-cnn', dense: 'joint-cnn', convgrad: 'joint-cnn', loss: 'speech-cnn', bias: 'speech-cnn', shapes: 'speech-cnn' };
    for (const type of ['text-lstm', 'speech-cnn', 'joint-cnn'] as const) {
      const plain = await run(type, []);
      for (const paths of [...FAST_PATHS.filter((p) => alone[p] === type).map((p) => [p]), FAST_PATHS]) {
        const fast = await run(type, paths);
        fast.losses.forEach((l, i) => expect(Math.abs(l - plain.losses[i]), `${type} ${paths.join('+')} loss ${i}`).toBeLessThan(1e-4));
        fast.probs.forEach((q, i) => expect(Math.abs(q - plain.probs[i]), `${type} ${paths.join('+')} probs`).toBeLessThan(1e-4));
      }
    }
  });

  it('formats one progress line per epoch with the time left', () => {
    const line = formatEpochLine({ epoch: 3, trainLoss: 1.23456, trainAcc: 0.4567, validLoss: 1.3, validAcc: 0.41, seconds: 4.2 }, 20, 12.6);
    expect(line).toBe('epoch  3/20  loss 1.2346 acc 0.457 | valid loss 1.3000 acc 0.410 | 4.2s, about 1m11s left');
    expect(formatEpochLine({ epoch: 20, trainLoss: 1, trainAcc: 0.5, seconds: 1 }, 20, 20)).toMatch(/done$/);
  });
});
