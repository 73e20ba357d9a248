import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildModel, predictModel, trainModel } from '../../src/index.ts';
import { CLASSES, SMALL, synthetic, accuracy } from '../helpers.ts';

const CFG = { ...SMALL, tfn: { textDim: 4, speechDim: 5, speechLayers: 2, hidden: [16], dropout: 0 }, lmf: { rank: 3, fusedDim: 6, hidden: [8] } } as never;

describe('lmf', () => {
  it('h = sum_r w_r (W_t^r [z_t; 1]) * (W_s^r [z_s; 1]) + b, from its own weights', () => {
    const d = synthetic(5, 1);
    const m = buildModel({ type: 'lmf', classes: CLASSES, input: { text: { kind: 'vector', dim: d.textVectors.dim }, speech: { dim: 40 } }, model: CFG, seed: 1 });
    const probe = tf.model({ inputs: m.net.inputs, outputs: ['lmf_text_dropout', 'lmf_speech_dropout', 'lmf_fusion'].map((n) => m.net.getLayer(n).output as tf.SymbolicTensor) });
    const [zt, zs, h] = (probe.predict([tf.tensor2d(d.textVectors.values, [5, d.textVectors.dim]), tf.tensor2d(d.speech.values, [5, 40])]) as tf.Tensor[]).map((x) => x.arraySync() as number[][]);
    const wt = m.net.getLayer('lmf_text_factor').getWeights()[0].arraySync() as number[][]; // 5 x (3*6)
    const ws = m.net.getLayer('lmf_speech_factor').getWeights()[0].arraySync() as number[][]; // 6 x (3*6)
    const [wr, br] = m.net.getLayer('lmf_rank_weights').getWeights().map((w) => w.arraySync()) as [number[][], number[]];
    for (let i = 0; i < 5; i++) {
      const a = [...zt[i], 1], b = [...zs[i], 1];
      for (let o = 0; o < 6; o++) {
        let want = br[0];
        for (let r = 0; r < 3; r++) {
          const col = r * 6 + o;
          want += wr[r][0] * a.reduce((s, x, j) => s + x * wt[j][col], 0) * b.reduce((s, x, j) => s + x * ws[j][col], 0);
        }
        expect(h[i][o]).toBeCloseTo(want, 4);
      }
    }
    m.net.dispose();
  });

  it('learns from text vectors and speech', async () => {
    const tr = synthetic(90, 2), va = synthetic(30, 3), te = synthetic(60, 4);
    const m = buildModel({ type: 'lmf', classes: CLASSES, input: { text: { kind: 'vector', dim: tr.textVectors.dim }, speech: { dim: 40 } }, model: CFG, seed: 2 });
    const part = (d: typeof tr) => ({ inputs: { text: d.textVectors, speech: d.speech }, labels: d.labels });
    await trainModel(m, { train: part(tr), valid: part(va) }, { epochs: 12, learningRate: 0.01, patience: 12 });
    const p = predictModel(m, { text: te.textVectors, speech: te.speech });
    expect(accuracy(p, te.labels)).toBeGreaterThan(0.8);
    m.net.dispose();
  }, 60_000);
});
