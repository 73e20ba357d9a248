import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildModel, predictModel, trainModel } from '../../src/index.ts';
import { CLASSES, SMALL, synthetic, accuracy } from '../helpers.ts';

const CFG = { ...SMALL, tfn: { textDim: 4, speechDim: 5, speechLayers: 2, hidden: [16], dropout: 0 } } as never;

describe('tfn', () => {
  it('fuses (z_t; 1) outer (z_s; 1): the fusion layer is (4+1) x (5+1) wide and holds z_t, z_s and 1 unchanged', () => {
    const d = synthetic(8, 1);
    const m = buildModel({ type: 'tfn', classes: CLASSES, input: { text: { kind: 'vector', dim: d.textVectors.dim }, speech: { dim: 40 } }, model: CFG, seed: 1 });
    const probe = tf.model({ inputs: m.net.inputs, outputs: ['tfn_text_dropout', 'tfn_speech_dropout', 'tfn_fusion'].map((n) => m.net.getLayer(n).output as tf.SymbolicTensor) });
    const [zt, zs, f] = probe.predict([tf.tensor2d(d.textVectors.values, [8, d.textVectors.dim]), tf.tensor2d(d.speech.values, [8, 40])]) as tf.Tensor[];
    expect(f.shape).toEqual([8, 30]);
    const [a, b, c] = [zt.arraySync() as number[][], zs.arraySync() as number[][], f.arraySync() as number[][]];
    for (let r = 0; r < 8; r++) {
      const ta = [...a[r], 1], sb = [...b[r], 1];
      ta.forEach((x, i) => sb.forEach((y, j) => expect(c[r][i * 6 + j]).toBeCloseTo(x * y, 5)));
    }
    m.net.dispose();
  });

  it('learns from text vectors and speech', async () => {
    const tr = synthetic(90, 2), va = synthetic(30, 3), te = synthetic(60, 4);
    const input = { text: { kind: 'vector' as const, dim: tr.textVectors.dim }, speech: { dim: 40 } };
    const m = buildModel({ type: 'tfn', classes: CLASSES, input, model: CFG, seed: 2 });
    const part = (d: typeof tr) => ({ inputs: { text: d.textVectors, speech: d.speech }, labels: d.labels });
    await trainModel(m, { train: part(tr), valid: part(va) }, { epochs: 10, learningRate: 0.01, patience: 10 });
    const p = predictModel(m, { text: te.textVectors, speech: te.speech });
    expect(accuracy(p, te.labels)).toBeGreaterThan(0.8);
    m.net.dispose();
  }, 60_000);
});
