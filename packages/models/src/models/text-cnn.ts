/**
 * Kim (2014)'s sentence CNN, an utterance-level text baseline: one Conv1D per width over the word
 * vectors (ReLU), max over time, dropout, softmax. No recurrence and no dense head. With
 * features.text.trainable it is Kim's "non-static" variant (vectors fine-tuned).
 */
import { z } from 'zod';
import { EmofuseError, posInt, rate, widths } from '@emofuse/core';
import type { SymbolicTensor } from '@tensorflow/tfjs';
import { registerModel } from '../descriptor.ts';
import { COMMON_KERNELS } from './kernels.ts';

export const textCnnSlice = z.strictObject({
  convWidths: widths('[3, 4, 5]'),
  convFilters: posInt,
  /** Dropout on the pooled feature maps, before the softmax layer. */
  dropout: rate(),
});
export type TextCnnSlice = z.infer<typeof textCnnSlice>;

export const TEXT_CNN_DEFAULTS: TextCnnSlice = {
  convWidths: [3, 4, 5], // Kim 2014: filter windows 3, 4, 5
  convFilters: 100, // Kim 2014: 100 feature maps each
  dropout: 0.5, // Kim 2014: dropout 0.5 on the penultimate layer
};

export const textCnn = registerModel({
  type: 'text-cnn',
  summary: 'Kim (2014) CNN over word vectors: conv 3/4/5, max over time, dropout, softmax (text baseline)',
  reads: { text: 'sequence', tokens: true },
  context: 'utterance',
  defaultEpochs: 20,
  config: { key: 'textcnn', schema: textCnnSlice, defaults: TEXT_CNN_DEFAULTS },
  kernels: [...COMMON_KERNELS, 'Floor', 'Transpose'], // as measured by tests/trainable.test.ts (Floor: dropout's mask)
  check: (q) => (q.textInput === 'vector'
    ? [{
      key: 'systems',
      message: "text-cnn convolves over words, but features.text.source 'pkl' gives one vector per utterance",
      fix: 'set features.text.source: embeddings, or use text-lstm with model.text.lstmInput: utterance',
      related: ['features.text.source'],
    }]
    : []),
  build(req, t) {
    const cfg = t.config.textcnn as TextCnnSlice;
    const input = req.input.text;
    if (input?.kind !== 'sequence') throw new EmofuseError('text-cnn needs word sequences', { where: 'text-cnn input', fix: 'give word vectors (one per token) as the text input' });
    const { inputs, mask, words } = t.blocks.textWords(input, t);
    const { pooled } = t.blocks.convMaxPool(words, mask, cfg, t, 'textcnn');
    const dropped = t.tf.layers.dropout({ rate: cfg.dropout, seed: t.nextSeed(), name: 'textcnn_dropout' }).apply(pooled) as SymbolicTensor;
    const output = t.tf.layers.dense({ units: req.classes.length, activation: 'softmax', kernelInitializer: t.glorot(), name: 'posteriors' }).apply(dropped) as SymbolicTensor;
    return { inputs, output };
  },
});
