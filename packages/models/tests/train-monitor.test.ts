import { describe, expect, it } from 'vitest';
import { buildModel, predict, train, trainConfigSchema, TRAIN_DEFAULTS } from '../src/index.ts';
import type { Posteriors } from '@emofuse/core';
import { CLASSES, SMALL, synthetic } from './helpers.ts';

const tr = synthetic(60, 21);
const va = synthetic(40, 22);

function ua(p: Posteriors, labels: string[]): number {
  const k = CLASSES.length;
  const hit = new Array<number>(k).fill(0), count = new Array<number>(k).fill(0);
  labels.forEach((l, i) => {
    const row = Array.from(p.probs.subarray(i * k, (i + 1) * k));
    const c = CLASSES.indexOf(l);
    count[c]++;
    if (row.indexOf(Math.max(...row)) === c) hit[c]++;
  });
  return hit.reduce((s, h, c) => s + (count[c] ? h / count[c] : 0), 0) / count.filter(Boolean).length;
}

describe('train.monitor', () => {
  it('defaults to the paper (validation loss) and accepts valid_ua only', () => {
    expect(TRAIN_DEFAULTS.monitor).toBe('valid_loss');
    expect(trainConfigSchema.safeParse({ ...TRAIN_DEFAULTS, monitor: 'valid_ua' }).success).toBe(true);
    expect(trainConfigSchema.safeParse({ ...TRAIN_DEFAULTS, monitor: 'valid_acc' }).success).toBe(false);
  });

  it('valid_ua restores the epoch with the best validation UA', async () => {
    const m = buildModel({ type: 'speech-cnn', classes: CLASSES, input: { speech: { dim: 40 } }, model: SMALL, seed: 4 });
    const uas: number[] = [];
    const r = await train(m, { train: { inputs: { speech: tr.speech }, labels: tr.labels }, valid: { inputs: { speech: va.speech }, labels: va.labels } }, {
      epochs: 6, patience: 6, learningRate: 0.003, monitor: 'valid_ua',
      onEpochEnd: () => { uas.push(ua(predict(m, { speech: va.speech }), va.labels)); },
    });
    const best = uas.indexOf(Math.max(...uas)) + 1;
    expect(r.bestEpoch).toBe(best);
    expect(ua(predict(m, { speech: va.speech }), va.labels)).toBeCloseTo(uas[best - 1], 6);
    m.net.dispose();
  }, 60_000);
});
