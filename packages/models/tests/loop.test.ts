// The one training loop (train.ts `fit`) drives every model type: the same defaults and the same
// abort contract whether a model trains on utterances, on whole dialogues, or by a convex solver.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildModel, modelDescriptor, trainModel, TRAIN_DEFAULTS } from '../src/index.ts';
import { CLASSES, SMALL, synthetic } from './helpers.ts';

const d = synthetic(24, 11);
const dialogues = { dialogue: new Map(d.ids.map((id, i) => [id, `d${i % 4}`])), order: new Map(d.ids.map((id, i) => [id, i])) };
const data = { train: { inputs: { speech: d.speech, dialogues }, labels: d.labels }, valid: { inputs: { speech: d.speech, dialogues }, labels: d.labels } };
const CFG = { ...SMALL, bclstm: { textVector: 'mean', units: 4, hidden: 4, dropout: 0, batchDialogues: 2, learningRate: null }, linear: { c: [0.1, 1, 10], maxIterations: 20 } } as never;
const build = (type: string) => buildModel({ type, classes: CLASSES, input: { speech: { dim: 40 } }, model: CFG, seed: 1 });

describe('one training loop', () => {
  it("epochs 'auto' is each type's defaultEpochs (bc-lstm's 60, no longer a second default of 30)", async () => {
    expect(TRAIN_DEFAULTS.epochs).toBe('auto');
    for (const type of ['speech-cnn', 'bc-lstm-speech']) {
      const m = build(type);
      const ac = new AbortController();
      ac.abort();
      const r = await trainModel(m, data, { signal: ac.signal });
      expect([r.epochs, r.aborted, r.history.length], type).toEqual([modelDescriptor(type).defaultEpochs, true, 0]);
      m.net.dispose();
    }
  });

  it('dialogue batches and the linear C grid stop on the signal after the epoch that aborted it, leaking no tensors', async () => {
    for (const [type, epochs] of [['bc-lstm-speech', 5], ['linear', 3]] as const) {
      const m = build(type);
      const ac = new AbortController();
      const before = tf.memory().numTensors;
      const r = await trainModel(m, data, { epochs: 5, signal: ac.signal, onEpochEnd: (l) => { if (l.epoch === 1) ac.abort(); } });
      expect([r.epochs, r.aborted, r.history.length, r.bestEpoch], type).toEqual([epochs, true, 1, 1]);
      expect(tf.memory().numTensors, type).toBe(before);
      m.net.dispose();
    }
  });
});
