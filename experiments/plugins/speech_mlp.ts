/**
 * An example of a researcher's own model, in one file: a one-hidden-layer perceptron with dropout
 * over the selected speech functionals. Name this file in an experiment's `plugins:` and use its
 * type in `systems:`; `model.mlp` holds its settings (validated like every other slice).
 * Only `import type` from tfjs: tfjs reaches `build` through `t`, so loading the file stays cheap.
 */
import { z } from 'zod';
import { posInt, rate } from '@emofuse/core';
import { registerModel } from '@emofuse/models/config';

registerModel({
  type: 'speech-mlp',
  summary: 'one-hidden-layer perceptron with dropout over the speech vector (example plugin)',
  reads: { speech: true },
  context: 'utterance',
  defaultEpochs: 30,
  config: { key: 'mlp', schema: z.strictObject({ hidden: posInt, dropout: rate() }), defaults: { hidden: 256, dropout: 0.3 } },
  build(req, t) {
    const { hidden, dropout } = t.config.mlp as { hidden: number; dropout: number };
    const x = t.blocks.speechInput(req.input.speech);
    const h = t.tf.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: t.glorot(), name: 'mlp_hidden' }).apply(x) as typeof x;
    const d = t.tf.layers.dropout({ rate: dropout, seed: t.nextSeed(), name: 'mlp_dropout' }).apply(h) as typeof x;
    const out = t.tf.layers.dense({ units: req.classes.length, activation: 'softmax', kernelInitializer: t.glorot(), name: 'posteriors' }).apply(d) as typeof x;
    return { inputs: [x], output: out };
  },
});
