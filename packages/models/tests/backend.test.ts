import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModel, modelDescriptor, registerModel, missingKernels, predict, resetModelRegistry, selectBackend, setConvImplementation, train, type ModelType } from '../src/index.ts';
import { CLASSES, SMALL, synthetic } from './helpers.ts';

// The types this file registers leave with it.
afterAll(resetModelRegistry);

const d = synthetic(32, 5);
const seq = { kind: 'sequence' as const, steps: d.text.steps, dim: d.text.dim };
const INPUT: Record<ModelType, Parameters<typeof buildModel>[0]['input']> = {
  'text-lstm': { text: seq }, 'speech-cnn': { speech: { dim: 40 } }, 'joint-cnn': { text: seq, speech: { dim: 40 } },
};
const UTT = { ...SMALL, text: { ...SMALL.text, lstmInput: 'utterance' as const } };
const data = { train: { inputs: { text: d.text, speech: d.speech }, labels: d.labels }, valid: { inputs: { text: d.text, speech: d.speech }, labels: d.labels } };

function tfjsNodePresent(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node');
    return true;
  } catch {
    return false;
  }
}

describe('selectBackend', () => {
  it('auto picks tfjs-node when it is built, and says why', async () => {
    const c = await selectBackend('auto');
    expect(c.name).toBe(tfjsNodePresent() ? 'tensorflow' : 'wasm');
    expect(c.reason.length).toBeGreaterThan(10);
    expect(tf.getBackend()).toBe(c.name);
  });

  it('the kernel list covers what a training step really runs, and wasm has all of it', async () => {
    await selectBackend('cpu');
    setConvImplementation('im2col'); // what runs on wasm
    try {
      for (const type of ['text-lstm', 'speech-cnn', 'joint-cnn'] as const) {
        for (const model of [SMALL, UTT]) {
          const m = buildModel({ type, classes: CLASSES, input: INPUT[type], model, seed: 1 });
          const prof = await tf.profile(async () => {
            await train(m, data, { epochs: 1, batchSize: 16, classWeights: 'balanced' });
            predict(m, { text: d.text, speech: d.speech });
          });
          const used = [...new Set(prof.kernelNames)].filter((k) => !k.endsWith('__op'));
          expect(used.filter((k) => !modelDescriptor(type).kernels!.includes(k)), type).toEqual([]);
          m.net.dispose();
        }
      }
    } finally {
      setConvImplementation(null);
    }
    await selectBackend('wasm');
    expect(missingKernels('wasm', ['text-lstm', 'speech-cnn', 'joint-cnn'])).toEqual([]);
  });

  it('every model trains on wasm and matches the cpu backend', async () => {
    const run = async (b: 'cpu' | 'wasm', type: ModelType) => {
      await selectBackend(b);
      const m = buildModel({ type, classes: CLASSES, input: INPUT[type], model: SMALL, seed: 3 });
      const r = await train(m, data, { epochs: 2, batchSize: 16, seed: 3 });
      const p = Array.from(predict(m, { text: d.text, speech: d.speech }).probs);
      m.net.dispose();
      return { loss: r.history.map((h) => h.validLoss!), p };
    };
    for (const type of ['text-lstm', 'speech-cnn', 'joint-cnn'] as const) {
      const w = await run('wasm', type);
      const c = await run('cpu', type);
      w.loss.forEach((l, i) => expect(l).toBeCloseTo(c.loss[i], 3));
      w.p.forEach((v, i) => expect(v).toBeCloseTo(c.p[i], 3));
    }
  });

  it('an explicit wasm choice with a kernel missing throws instead of falling back', async () => {
    await selectBackend('wasm');
    // A model whose descriptor lists a kernel wasm lacks (as a native Conv1D's gradient would).
    const speech = modelDescriptor('speech-cnn');
    registerModel({ ...speech, type: 'speech-cnn-native', config: undefined, kernels: [...speech.kernels!, 'Conv2DBackpropFilter'] });
    await expect(selectBackend('wasm', { models: ['speech-cnn-native'] })).rejects.toThrow(/Conv2DBackpropFilter/);
    expect(missingKernels('wasm', ['speech-cnn-native'])).toEqual(['Conv2DBackpropFilter']);
    // A model that lists no kernels is never given wasm by 'auto' on trust.
    registerModel({ ...speech, type: 'speech-cnn-unmeasured', config: undefined, kernels: undefined });
    const c = await selectBackend(tfjsNodePresent() ? 'wasm' : 'auto', { models: ['speech-cnn-unmeasured'] });
    if (!tfjsNodePresent()) expect(c.name).toBe('cpu');
    expect(c.reason).toMatch(tfjsNodePresent() ? /requested/ : /not vouched for speech-cnn-unmeasured/);
  });
});
