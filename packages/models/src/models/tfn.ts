/**
 * Tensor Fusion Network (Zadeh et al., EMNLP 2017) over text and speech: one subnetwork per
 * modality, the outer product of [z_t; 1] and [z_s; 1] (so the unimodal terms survive beside the
 * bimodal ones), then a dense inference network. The original also fuses video; there is no video
 * here, so this is TFN's audio-text (bimodal) form.
 */
import { z } from 'zod';
import type { SymbolicTensor } from '@tensorflow/tfjs';
import { posInt, rate, widths } from '@emofuse/core';
import { registerModel } from '../descriptor.ts';
import type { BuildTools, ModelDescriptor } from '../types-descriptor.ts';
import type { BuildRequest } from '../types.ts';
import { textLstm, type TextSlice } from './text-lstm.ts';

export const tfnSlice = z.strictObject({
  /** Width of the text subnetwork's output z_t (an LSTM over the word features, then dense ReLU). */
  textDim: posInt,
  /** Width of the speech subnetwork's output z_s (dense ReLU layers over the functionals). */
  speechDim: posInt,
  /** Number of dense layers of the speech subnetwork. */
  speechLayers: posInt,
  /** The inference network after the fusion tensor (dense ReLU layers, then softmax). */
  hidden: widths('[128, 128]'),
  /** Dropout on each subnetwork's output and after each inference layer. */
  dropout: rate(),
});
export type TfnSlice = z.infer<typeof tfnSlice>;

export const TFN_DEFAULTS: TfnSlice = {
  textDim: 32, // Open: Zadeh et al. use 128 for language; 32 keeps (33 x 33) = 1089 fusion units at this data size
  speechDim: 32, // Zadeh et al.: 3 dense layers of 32 for the acoustic subnetwork
  speechLayers: 3,
  hidden: [128, 128], // Zadeh et al.: two 128-unit ReLU layers
  dropout: 0.15, // Zadeh et al. tune it; 0.15 is within their range
};

/** [x; 1]: a constant 1 from an untrainable dense layer (zero kernel, unit bias), so save and load keep it. */
export function withOne(x: SymbolicTensor, t: BuildTools, name: string): SymbolicTensor {
  const one = t.tf.layers.dense({ units: 1, kernelInitializer: 'zeros', biasInitializer: 'ones', trainable: false, name: `${name}_one` }).apply(x) as SymbolicTensor;
  return t.tf.layers.concatenate({ axis: -1, name: `${name}_with_one` }).apply([x, one]) as SymbolicTensor;
}

/** TFN's two subnetworks (LMF shares them): z_t and z_s, each after dropout, and the net's inputs. */
export function subnetworks(req: BuildRequest, t: BuildTools, cfg: Pick<TfnSlice, 'textDim' | 'speechDim' | 'speechLayers' | 'dropout'>, prefix: string) {
  const tf = t.tf;
  const dense = (x: SymbolicTensor, units: number, name: string) =>
    tf.layers.dense({ units, activation: 'relu', kernelInitializer: t.glorot(), name }).apply(x) as SymbolicTensor;
  const drop = (x: SymbolicTensor, name: string) => tf.layers.dropout({ rate: cfg.dropout, seed: t.nextSeed(), name }).apply(x) as SymbolicTensor;
  // Text: an LSTM over the per-word conv features (as text-lstm), or the utterance vector.
  const words = req.input.text?.kind === 'sequence';
  const text = t.blocks.textBranch(req.input.text, t, words);
  const ts = t.config.text as TextSlice;
  const tSeq = words
    ? new t.layers.EmofuseLSTM({ units: ts.lstmUnits, dropout: ts.dropout, seed: t.nextSeed(), name: `${prefix}_text_lstm` }).apply(text.steps!) as SymbolicTensor
    : text.t;
  const zt = drop(dense(tSeq, cfg.textDim, `${prefix}_text`), `${prefix}_text_dropout`);
  // Speech: dense layers over the selected functionals.
  const s = t.blocks.speechInput(req.input.speech);
  let zs = s;
  for (let i = 1; i <= cfg.speechLayers; i++) zs = dense(zs, cfg.speechDim, `${prefix}_speech_${i}`);
  zs = drop(zs, `${prefix}_speech_dropout`);
  return { zt, zs, inputs: [...text.inputs, s], dense, drop };
}

/** What TFN and LMF (which shares its subnetworks) declare alike. */
export const FUSION_NETWORK: Pick<ModelDescriptor, 'reads' | 'context' | 'defaultEpochs' | 'kernels'> = {
  reads: { text: 'any', tokens: true, speech: true },
  context: 'utterance',
  defaultEpochs: 40, // Open: early stopping (patience) usually ends it first
  // the text LSTM's kernels (measured with tf.profile on the cpu backend, tests/models/kernels.test.ts)
  kernels: textLstm.kernels,
};

export const tfn = registerModel({
  type: 'tfn',
  summary: 'Tensor Fusion Network over text and speech (Zadeh et al. 2017; audio-text, no video)',
  ...FUSION_NETWORK,
  config: { key: 'tfn', schema: tfnSlice, defaults: TFN_DEFAULTS },
  slices: ['text'], // the text extractor over word sequences
  build(req, t) {
    const cfg = t.config.tfn as TfnSlice;
    const tf = t.tf;
    const { zt, zs, inputs, dense, drop } = subnetworks(req, t, cfg, 'tfn');

    // Fusion tensor: (z_t; 1) outer (z_s; 1), flattened.
    const at = tf.layers.reshape({ targetShape: [cfg.textDim + 1, 1], name: 'tfn_text_col' }).apply(withOne(zt, t, 'tfn_text')) as SymbolicTensor;
    const as = tf.layers.reshape({ targetShape: [1, cfg.speechDim + 1], name: 'tfn_speech_row' }).apply(withOne(zs, t, 'tfn_speech')) as SymbolicTensor;
    const outer = tf.layers.dot({ axes: [2, 1], name: 'tfn_outer' }).apply([at, as]) as SymbolicTensor;
    let h = tf.layers.flatten({ name: 'tfn_fusion' }).apply(outer) as SymbolicTensor;
    cfg.hidden.forEach((units, i) => { h = drop(dense(h, units, `tfn_inference_${i + 1}`), `tfn_inference_dropout_${i + 1}`); });
    const output = tf.layers.dense({ units: req.classes.length, activation: 'softmax', kernelInitializer: t.glorot(), name: 'posteriors' }).apply(h) as SymbolicTensor;
    return { inputs, output };
  },
});
