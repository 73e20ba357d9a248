import { describe, expect, it } from 'vitest';
import { isEmofuseError } from '@emofuse/core';
import { buildModel, modelDescriptor, predictModel, trainModel } from '../../src/index.ts';
import { CLASSES, SMALL, synthetic, accuracy } from '../helpers.ts';

const CFG = { ...SMALL, textcnn: { convWidths: [3, 4, 5], convFilters: 8, dropout: 0.5 } } as never;

describe('text-cnn', () => {
  it('has one conv per width, pools them to widths x filters and classifies with no dense head', () => {
    const d = synthetic(8, 1);
    const m = buildModel({ type: 'text-cnn', classes: CLASSES, input: { text: { kind: 'sequence', steps: d.text.steps, dim: d.text.dim } }, model: CFG, seed: 1 });
    expect(m.net.getLayer('textcnn_pool').outputShape).toEqual([null, 24]);
    expect(m.net.getLayer('textcnn_conv_w4').getWeights()[0].shape).toEqual([4, d.text.dim, 8]);
    expect(m.net.layers.filter((l) => l.getClassName() === 'Dense').map((l) => l.name)).toEqual(['posteriors']);
    m.net.dispose();
  });

  it('learns from word sequences', async () => {
    const tr = synthetic(90, 2), va = synthetic(30, 3), te = synthetic(60, 4);
    const input = { text: { kind: 'sequence' as const, steps: tr.text.steps, dim: tr.text.dim } };
    const m = buildModel({ type: 'text-cnn', classes: CLASSES, input, model: CFG, seed: 2 });
    const part = (d: typeof tr) => ({ inputs: { text: d.text }, labels: d.labels });
    await trainModel(m, { train: part(tr), valid: part(va) }, { epochs: 12, learningRate: 0.01, patience: 12 });
    expect(accuracy(predictModel(m, { text: te.text }), te.labels)).toBeGreaterThan(0.8);
    m.net.dispose();
  }, 60_000);

  it('refuses one vector per utterance, in the config check and in build', () => {
    const issues = modelDescriptor('text-cnn').check!({ model: {}, textInput: 'vector', systems: ['text-cnn'] });
    expect(issues.map((i) => i.key)).toEqual(['systems']);
    let err: unknown;
    try { buildModel({ type: 'text-cnn', classes: CLASSES, input: { text: { kind: 'vector', dim: 16 } }, model: CFG }); } catch (e) { err = e; }
    expect(isEmofuseError(err) && err.message).toMatch(/word sequences/);
  });
});
