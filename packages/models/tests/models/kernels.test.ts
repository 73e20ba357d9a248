import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildModel, modelDescriptor, predictModel, selectBackend, setConvImplementation, trainModel, type DialogueIndex } from '../../src/index.ts';
import { CLASSES, SMALL, synthetic } from '../helpers.ts';

const d = synthetic(24, 9);
const dialogues: DialogueIndex = { dialogue: new Map(d.ids.map((id, i) => [id, `d${i % 4}`])), order: new Map(d.ids.map((id, i) => [id, i])) };
const seq = { kind: 'sequence' as const, steps: d.text.steps, dim: d.text.dim };
const CFG = {
  ...SMALL,
  tfn: { textDim: 4, speechDim: 5, speechLayers: 2, hidden: [8], dropout: 0.1 },
  lmf: { rank: 2, fusedDim: 4, hidden: [8] },
  bclstm: { textVector: 'mean', units: 4, hidden: 4, dropout: 0.1, batchDialogues: 2, learningRate: null },
} as never;
const CASES: [string, Parameters<typeof buildModel>[0]['input']][] = [
  ['tfn', { text: seq, speech: { dim: 40 } }],
  ['lmf', { text: seq, speech: { dim: 40 } }],
  ['bc-lstm', { text: seq }],
  ['bc-lstm-fused', { text: seq, speech: { dim: 40 } }],
];

describe('kernel lists of the baselines', () => {
  it('cover what a training step and prediction really run on the cpu backend', async () => {
    await selectBackend('cpu');
    setConvImplementation('im2col'); // what runs on wasm
    const missing: Record<string, string[]> = {};
    try {
      for (const [type, input] of CASES) {
        const m = buildModel({ type, classes: CLASSES, input, model: CFG, seed: 1 });
        const inputs = { text: d.text, speech: d.speech, dialogues };
        const data = { train: { inputs, labels: d.labels }, valid: { inputs, labels: d.labels } };
        const prof = await tf.profile(async () => {
          await trainModel(m, data, { epochs: 1, batchSize: 8, classWeights: 'balanced' });
          predictModel(m, inputs);
        });
        const used = [...new Set(prof.kernelNames)].filter((k) => !k.endsWith('__op')).sort();
        missing[type] = used.filter((k) => !(modelDescriptor(type).kernels ?? []).includes(k));
        m.net.dispose();
      }
    } finally {
      setConvImplementation(null);
      await selectBackend('auto');
    }
    expect(missing).toEqual(Object.fromEntries(CASES.map(([t]) => [t, []])));
  }, 120_000);
});
