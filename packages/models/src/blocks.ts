/**
 * Building blocks the paper's models share (text extractor, CNN stack, dense head). Model files
 * reach them through `BuildTools.blocks`, so a model file itself never imports tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { EmofuseError } from '@emofuse/core';
import { EmofuseConv1D, EmofuseDense, EmofuseMaxPool1D, EmofuseSequenceMask } from './layers/index.ts';
import type { BuildBasics, InputSpec } from './types.ts';

type Tools = BuildBasics;

/** What the text extractor reads of `model.text` (text-lstm's slice, which joint-cnn and tfn share). */
interface TextExtractorSlice { convWidths: number[]; convFilters: number; dim: number }
/** What the CNN stack reads of `model.speech` (speech-cnn's slice). */
interface CnnStackSlice { convLayers: number; kernel: number; filters: number; poolSize: number }

/** Dense 512 -> 128 (ReLU) -> softmax, the head every system of the paper shares. */
export function head(x: tf.SymbolicTensor, classes: number, t: Tools): tf.SymbolicTensor {
  t.config.dense.forEach((units, i) => {
    x = dense({ units, activation: 'relu', kernelInitializer: t.glorot(), name: `dense_${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  return dense({ units: classes, activation: 'softmax', kernelInitializer: t.glorot(), name: 'posteriors' }).apply(x) as tf.SymbolicTensor;
}

/**
 * A dense layer: tf.layers.dense's weights, config and numbers, with a native training step on
 * tfjs-node (EmofuseDense). Model files reach it as `t.blocks.dense`.
 */
export function dense(args: Parameters<typeof tf.layers.dense>[0]): tf.layers.Layer {
  return new EmofuseDense(args);
}

export interface TextInputs {
  inputs: tf.SymbolicTensor[];
  /** The utterance representation T (batch, D_T). */
  t: tf.SymbolicTensor;
  /** Per-word projected features (batch, steps, D_T), masked, when the input is a sequence. */
  steps?: tf.SymbolicTensor;
  /** Names of the extractor's layers (to copy and freeze for joint-cnn). */
  extractor: string[];
}

/**
 * Text extractor over word embeddings: Conv1D of each width ('same', ReLU) -> concat -> mask
 * padded words -> max over time -> dense D_T (tanh) = T. The same D_T layer applied to each word's
 * conv features gives the per-step sequence the 'words' LSTM reads.
 */
export function textBranch(input: InputSpec['text'], t: Tools, withSteps: boolean): TextInputs {
  const cfg = t.config.text as TextExtractorSlice;
  if (!input) throw new EmofuseError('this model needs a text input', { where: 'model input', fix: 'pass input.text (sequence or vector)' });
  if (input.kind === 'vector') {
    const x = tf.input({ shape: [input.dim], name: 'text' });
    return { inputs: [x], t: x, extractor: [] };
  }
  const { inputs: [ids, mask], words, embedding } = textWords(input, t);
  const { conv, pooled } = convMaxPool(words, mask, cfg, t, 'text');
  const project = dense({ units: cfg.dim, activation: 'tanh', kernelInitializer: t.glorot(), name: 'text_T' });
  const T = project.apply(pooled) as tf.SymbolicTensor;
  const extractor = [...embedding, ...cfg.convWidths.map((w) => `text_conv_w${w}`), 'text_T'];
  if (!withSteps) return { inputs: [ids, mask], t: T, extractor };
  const perStep = project.apply(conv) as tf.SymbolicTensor;
  const steps = new EmofuseSequenceMask({ emitMask: true, name: 'text_steps' }).apply([perStep, mask]) as tf.SymbolicTensor;
  return { inputs: [ids, mask], t: T, steps, extractor };
}

/**
 * One Conv1D per width over the words ('same', ReLU), concatenated (`conv`), padded steps zeroed,
 * max over time (`pooled`). Layers are named `<prefix>_conv_w<width>`, `<prefix>_conv`,
 * `<prefix>_conv_masked`, `<prefix>_pool`.
 */
export function convMaxPool(words: tf.SymbolicTensor, mask: tf.SymbolicTensor, cfg: { convWidths: number[]; convFilters: number }, t: Tools, prefix: string) {
  const maps = cfg.convWidths.map((w) =>
    new EmofuseConv1D({ filters: cfg.convFilters, kernelSize: w, padding: 'same', activation: 'relu', seed: t.nextSeed(), name: `${prefix}_conv_w${w}` })
      .apply(words) as tf.SymbolicTensor);
  const conv = maps.length === 1 ? maps[0] : (tf.layers.concatenate({ axis: -1, name: `${prefix}_conv` }).apply(maps) as tf.SymbolicTensor);
  // After ReLU every real value is >= 0, so the zeroed padded steps never win the max.
  const masked = new EmofuseSequenceMask({ name: `${prefix}_conv_masked` }).apply([conv, mask]) as tf.SymbolicTensor;
  const pooled = tf.layers.globalMaxPooling1d({ name: `${prefix}_pool` }).apply(masked) as tf.SymbolicTensor;
  return { conv, pooled };
}

/**
 * A word-sequence input: (batch, steps, dim) word vectors, or token ids that an embedding layer
 * of the model turns into them (features.text.trainable); and the 0/1 step mask. `embedding`
 * names the embedding layer, if any, so a model copying this extractor copies the tuned table.
 */
export function textWords(input: { steps: number; dim: number; vocab?: { size: number } }, t: Tools) {
  const ids = tf.input({ shape: input.vocab ? [input.steps] : [input.steps, input.dim], name: 'text' });
  const mask = tf.input({ shape: [input.steps], name: 'text_mask' });
  const words = input.vocab ? embedTokens(ids, mask, input, t) : ids;
  return { inputs: [ids, mask], mask, words, embedding: input.vocab ? ['text_embedding'] : [] };
}

/**
 * Token ids -> word vectors through an embedding table initialised from the vocabulary's vectors
 * and trained with the rest (Kim's "non-static"). Padded steps are zeroed as in the frozen input,
 * so the padding row never learns.
 */
function embedTokens(ids: tf.SymbolicTensor, mask: tf.SymbolicTensor, input: { dim: number; vocab?: { size: number } }, t: Tools): tf.SymbolicTensor {
  const init = t.textVocabulary;
  const size = input.vocab!.size;
  if (!init || init.length !== size * input.dim) {
    throw new EmofuseError(`a token input needs its vocabulary's ${size} x ${input.dim} initial vectors`, { where: 'model input', fix: 'pass textVocabulary to buildModel' });
  }
  const layer = tf.layers.embedding({ inputDim: size, outputDim: input.dim, embeddingsInitializer: 'zeros', name: 'text_embedding' });
  const embedded = layer.apply(ids) as tf.SymbolicTensor;
  // apply() built the table; give it the pretrained vectors
  tf.tidy(() => layer.setWeights([tf.tensor2d(init, [size, input.dim])]));
  return new EmofuseSequenceMask({ name: 'text_embedded' }).apply([embedded, mask]) as tf.SymbolicTensor;
}

/** (Conv1D -> max-pool) x convLayers over a (batch, length, 1) signal, then flatten. */
export function cnnStack(signal: tf.SymbolicTensor, t: Tools): tf.SymbolicTensor {
  const s = t.config.speech as CnnStackSlice;
  let x = signal;
  for (let i = 1; i <= s.convLayers; i++) {
    const len = x.shape[1] as number;
    if (len < s.kernel) {
      throw new EmofuseError(`conv layer ${i} gets a signal of length ${len}, shorter than the kernel width ${s.kernel}`, {
        where: 'model.speech', fix: 'use fewer convLayers, a smaller kernel or poolSize, or a longer input',
      });
    }
    x = new EmofuseConv1D({ filters: s.filters, kernelSize: s.kernel, padding: 'valid', activation: 'relu', seed: t.nextSeed(), name: `cnn_conv_${i}` })
      .apply(x) as tf.SymbolicTensor;
    x = new EmofuseMaxPool1D({ poolSize: s.poolSize, name: `cnn_pool_${i}` }).apply(x) as tf.SymbolicTensor;
  }
  return tf.layers.flatten({ name: 'cnn_flatten' }).apply(x) as tf.SymbolicTensor;
}

export function speechInput(input: InputSpec['speech']): tf.SymbolicTensor {
  if (!input) throw new EmofuseError('this model needs a speech input', { where: 'model input', fix: 'pass input.speech = { dim }' });
  return tf.input({ shape: [input.dim], name: 'speech' });
}

/** A (batch, n) vector as a (batch, n, 1) signal for Conv1D. */
export function asSignal(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.reshape({ targetShape: [x.shape[1] as number, 1], name }).apply(x) as tf.SymbolicTensor;
}
