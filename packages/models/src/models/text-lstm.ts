/**
 * The paper's text system: convolutions over word vectors give T, an LSTM reads the sequence,
 * the shared dense head classifies. Its slice `model.text` also configures the text extractor
 * joint-cnn copies.
 */
import { z } from 'zod';
import { EmofuseError, oneOf, posInt, rate, widths } from '@emofuse/core';
import { registerModel } from '../descriptor.ts';
import { COMMON_KERNELS } from './kernels.ts';

export const textSlice = z.strictObject({
  /** One 1-D convolution per width over the word embeddings ('same' padding, ReLU). */
  convWidths: widths('[3, 4, 5]'),
  convFilters: posInt,
  /** D_T: width of the text representation T (tanh projection of the pooled conv maps). */
  dim: posInt,
  lstmUnits: posInt,
  /** Input dropout of the LSTM (Keras `LSTM(dropout=...)`), not recurrent dropout. */
  dropout: rate(),
  /**
   * What the LSTM runs over. 'words': the per-word conv feature sequence, each step projected
   * by the same D_T layer that makes T (padded steps masked). 'utterance': T itself (or a given
   * utterance vector such as the features pkl's 100-d text vector) as a length-1 sequence.
   */
  lstmInput: oneOf(['words', 'utterance']),
});
export type TextSlice = z.infer<typeof textSlice>;

export const TEXT_DEFAULTS: TextSlice = {
  convWidths: [3, 4, 5], // paper
  convFilters: 64, // paper: 64 feature maps per width
  dim: 100, // paper: D_T = 100
  lstmUnits: 128, // paper: N1 = 128
  dropout: 0.2, // paper: 20% dropout
  // Open: the LSTM runs over the per-word conv features, because a length-1 sequence
  // (the utterance vector) gives the LSTM nothing to recur over. 'utterance' is the ablation.
  lstmInput: 'words',
};

export const textLstm = registerModel({
  type: 'text-lstm',
  summary: 'text LSTM over per-word convolution features (paper, section 2.1)',
  reads: { text: 'any', tokens: true },
  context: 'utterance',
  defaultEpochs: 40, // paper: 40 epochs for the LSTM
  config: { key: 'text', schema: textSlice, defaults: TEXT_DEFAULTS },
  kernels: [...COMMON_KERNELS, 'Floor', 'OnesLike', 'Pack', 'Sigmoid', 'Tile', 'Transpose', 'Unpack'],
  check: (q) => ((q.model.text as TextSlice).lstmInput === 'words' && q.textInput === 'vector'
    ? [{
      key: 'model.text.lstmInput',
      message: "'words' needs word embeddings, but features.text.source 'pkl' gives one 100-d vector per utterance",
      fix: 'set model.text.lstmInput: utterance, or features.text.source: embeddings',
      related: ['features.text.source'],
    }]
    : []),
  build(req, t) {
    const cfg = t.config.text as TextSlice;
    const words = cfg.lstmInput === 'words';
    if (words && req.input.text?.kind === 'vector') {
      throw new EmofuseError('lstmInput is "words" but the text input is one vector per utterance', {
        where: 'text-lstm', option: 'model.text.lstmInput', fix: 'set lstmInput to utterance, or give word vectors (one per token) as the text input',
      });
    }
    const text = t.blocks.textBranch(req.input.text, t, words);
    const seq = words
      ? text.steps!
      : (t.tf.layers.reshape({ targetShape: [1, text.t.shape[1] as number], name: 'text_as_sequence' }).apply(text.t) as typeof text.t);
    const lstm = new t.layers.EmofuseLSTM({ units: cfg.lstmUnits, dropout: cfg.dropout, seed: t.nextSeed(), name: 'text_lstm' }).apply(seq) as typeof seq;
    return { inputs: text.inputs, output: t.blocks.head(lstm, req.classes.length, t) };
  },
});
