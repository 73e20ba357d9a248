/**
 * The contextual LSTM of Poria et al. (ACL 2017), the paper's cLSTM* row: a bidirectional LSTM
 * over the utterance vectors of a whole dialogue, in order, classifying every utterance. It
 * reads context (context 'dialogue'): reports mark it so. Three types share the slice
 * `model.bclstm`, because what a type reads decides which features a run extracts:
 * `bc-lstm` (text), `bc-lstm-speech` (speech) and `bc-lstm-fused` ([text; speech] concatenated).
 *
 * The text vector of an utterance is the mean of its word vectors (default), or T of the
 * text-lstm trained in the same fold (`textVector: text-lstm`, frozen, as joint-cnn reads it).
 */
import { z } from 'zod';
import type * as TF from '@tensorflow/tfjs';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs';
import { EmofuseError, oneOf, posInt, rate } from '@emofuse/core';
import { registerModel, type BuildRequest, type BuildTools, type ModelDescriptor, type ModelQuestion } from '../descriptor.ts';
import type { EmofuseModel } from '../model.ts';
import type { ContextBiLSTMArgs, EmofuseContextBiLSTM } from '../layers/context-bilstm.ts';
import { predictDialogues, trainDialogues, type UtteranceVectors } from './dialogue.ts';
import type { TextSlice } from './text-lstm.ts';

export const bcLstmSlice = z.strictObject({
  /**
   * The text vector of an utterance. 'text-lstm': T of the text-lstm trained in the same fold
   * (takes text-lstm); 'mean': the mean of its word vectors. With utterance vectors as text
   * input (features.text.source pkl) the vector itself is used either way.
   */
  textVector: oneOf(['text-lstm', 'mean']),
  /** Units of each direction of the bidirectional LSTM. */
  units: posInt,
  /** Width of the dense (ReLU) layer applied to every utterance's LSTM output. */
  hidden: posInt,
  /** Dropout on the utterance vectors and on the LSTM outputs. */
  dropout: rate(),
  /** Dialogues per training batch (padded to the longest, masked). */
  batchDialogues: posInt,
  /**
   * Adam's learning rate for this model (null: train.learningRate). A dialogue batch is one
   * update for ~16 x 40 utterances, so an epoch has ~15 updates where text-lstm has ~150.
   */
  learningRate: z.number({ error: 'expected a number or null' }).positive('expected a positive number').nullable(),
});
export type BcLstmSlice = z.infer<typeof bcLstmSlice>;

export const BCLSTM_DEFAULTS: BcLstmSlice = {
  // Chosen on validation (IEMOCAP paper split, seed 1): the mean of the word vectors (valid UA 55.3)
  // beat T of a text-lstm trained in the same fold (53.5; that run capped every system at 6 epochs).
  textVector: 'mean',
  units: 100, // Poria et al.: 100-unit (bi)LSTM
  hidden: 100, // Poria et al.: dense 100 after the LSTM
  dropout: 0.3, // Open: the paper states none
  batchDialogues: 8, // Open
  // Open: 0.001 (train.learningRate) barely moved the training loss in 10 epochs (15 updates each) on IEMOCAP
  learningRate: 0.005,
};

const DIALOGUE_KERNELS: readonly string[] = [
  'Add', 'ArgMax', 'BatchMatMul', 'Cast', 'ClipByValue', 'Concat', 'Equal', 'Floor', 'GatherV2', 'GreaterEqual', 'Identity', 'LessEqual',
  'Log', 'LogicalAnd', 'Multiply', 'Neg', 'OneHot', 'Pack', 'RealDiv', 'Relu', 'Reshape', 'Select', 'Sigmoid', 'Slice', 'Softmax', 'SplitV',
  'Sqrt', 'Square', 'Step', 'Sub', 'Sum', 'Tanh', 'Transpose', 'Unpack', 'ZerosLike', '_FusedMatMul',
];

/** Per built net: tfjs (from the build tools) and how utterances become vectors. */
const runtimes = new WeakMap<LayersModel, UtteranceVectors>();

const takesText = (q: Pick<ModelQuestion, 'model' | 'textInput'>) => (q.model.bclstm as BcLstmSlice).textVector === 'text-lstm' && q.textInput === 'sequence';

function check(type: string) {
  return (q: ModelQuestion) => {
    const issues = [];
    // A corpus without conversations (EmoDB groups each speaker's acted sentences under one
    // "dialogue") has no context to read.
    const corpus = q.corpus;
    if (corpus && (corpus.dialogues === false || corpus.type === 'emodb')) {
      issues.push({
        key: 'systems',
        message: `${type} reads whole dialogues in order, but corpus ${corpus.name ?? corpus.type} has no dialogues (EmoDB's "dialogue" is a speaker's set of separately acted sentences)`,
        fix: `remove ${type} from systems, or use a conversational corpus (IEMOCAP, or a manifest with dialogue ids and an order column)`,
        related: ['corpus.type'],
      });
    }
    if (type !== 'bc-lstm-speech' && takesText(q) && !q.systems.includes('text-lstm')) {
      issues.push({
        key: 'systems',
        message: `${type} with model.bclstm.textVector 'text-lstm' reads T of the text LSTM trained in the same run, but text-lstm is not in systems`,
        fix: 'add text-lstm to systems (before it), or set model.bclstm.textVector: mean',
        related: ['model.bclstm.textVector'],
      });
    }
    return issues;
  };
}

/**
 * The context BiLSTM layer, as layers/context-bilstm.ts registered it with tfjs when the package
 * entry imported it: looked up by its registered name, because this file must not load tfjs
 * (the config entry imports it), and so the model is built from the very class a load uses.
 */
function contextBiLSTM(tf: typeof TF, args: ContextBiLSTMArgs): EmofuseContextBiLSTM {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap.EmofuseContextBiLSTM;
  if (!registered) {
    throw new EmofuseError('the layer EmofuseContextBiLSTM is not registered with tfjs', {
      where: 'bc-lstm', fix: "import '@emofuse/models' (its entry imports layers/context-bilstm.ts) before building a bc-lstm",
    });
  }
  return new (registered[0] as unknown as typeof EmofuseContextBiLSTM)(args);
}

function build(withText: boolean, withSpeech: boolean) {
  return (req: BuildRequest, t: BuildTools) => {
    const cfg = t.config.bclstm as BcLstmSlice;
    let text: UtteranceVectors['text'];
    let dim = 1; // the trailing 1 that marks real utterances
    let extractorOf: LayersModel | undefined;
    if (withText) {
      const input = req.input.text;
      if (!input) throw new EmofuseError(`${req.type} needs a text input`, { where: 'model input', fix: 'pass input.text' });
      if (input.kind === 'vector') {
        text = { kind: 'vector' };
        dim += input.dim;
      } else if (cfg.textVector === 'mean') {
        text = { kind: 'mean' };
        dim += input.dim;
      } else {
        const tm = req.from['text-lstm'];
        if (!tm) {
          throw new EmofuseError("model.bclstm.textVector is 'text-lstm' but no trained text model was given", {
            where: req.type, fix: 'train text-lstm first (add it to systems), or set model.bclstm.textVector: mean',
          });
        }
        const have = tm.input.text;
        if (tm.type !== 'text-lstm' || have?.kind !== 'sequence' || have.dim !== input.dim || have.steps !== input.steps) {
          throw new EmofuseError('the text model given does not match this model (type or text input shape)', {
            where: `${req.type} text model`, fix: 'pass the text-lstm trained on the same features',
          });
        }
        extractorOf = tm.net;
        dim += (tm.config.text as TextSlice).dim;
        text = { kind: 'model', extractor: tm.net }; // replaced by the T sub-model in afterBuild
      }
    }
    if (withSpeech) {
      if (!req.input.speech) throw new EmofuseError(`${req.type} needs a speech input`, { where: 'model input', fix: 'pass input.speech = { dim }' });
      dim += req.input.speech.dim;
    }
    const tf = t.tf;
    const x = tf.input({ shape: [null, dim], name: 'utterances' });
    let h = contextBiLSTM(tf, { units: cfg.units, dropout: cfg.dropout, seed: t.nextSeed(), name: 'context_bilstm' }).apply(x) as SymbolicTensor;
    h = tf.layers.dropout({ rate: cfg.dropout, seed: t.nextSeed(), name: 'context_dropout' }).apply(h) as SymbolicTensor;
    h = tf.layers.dense({ units: cfg.hidden, activation: 'relu', kernelInitializer: t.glorot(), name: 'context_dense' }).apply(h) as SymbolicTensor;
    const output = tf.layers.dense({ units: req.classes.length, activation: 'softmax', kernelInitializer: t.glorot(), name: 'posteriors' }).apply(h) as SymbolicTensor;
    return {
      inputs: [x],
      output,
      afterBuild: (net: LayersModel) => {
        if (extractorOf) {
          // T as text-lstm computes it (text_T's first application is to the pooled conv maps).
          const T = extractorOf.getLayer('text_T').getOutputAt(0) as SymbolicTensor;
          text = { kind: 'model', extractor: tf.model({ inputs: extractorOf.inputs, outputs: T }) };
        }
        runtimes.set(net, { tf, text, speech: withSpeech, dim });
      },
    };
  };
}

function runtimeOf(model: EmofuseModel): UtteranceVectors {
  const r = runtimes.get(model.net);
  if (!r) {
    throw new EmofuseError(`${model.type} reads utterance vectors made by the model it was built with (and, for text, the trained text-lstm); a model loaded from disk has neither`, {
      where: model.type, fix: 'build and train it in the same process, which also writes its posteriors',
    });
  }
  return r;
}

function descriptor(type: string, summary: string, withText: boolean, withSpeech: boolean, own: boolean): ModelDescriptor {
  return {
    type,
    summary,
    reads: { ...(withText ? { text: 'any' as const } : {}), ...(withSpeech ? { speech: true } : {}) },
    context: 'dialogue',
    // measured with tf.profile on the cpu backend (tests/models/kernels.test.ts)
    kernels: DIALOGUE_KERNELS,
    defaultEpochs: 60, // Open: early stopping (patience) ends it first
    ...(own ? { config: { key: 'bclstm', schema: bcLstmSlice, defaults: BCLSTM_DEFAULTS } } : {}),
    takes: (q) => (withText && takesText(q) ? ['text-lstm'] : []),
    check: check(type),
    build: build(withText, withSpeech),
    train: (model, data, options) => {
      const cfg = model.config.bclstm as BcLstmSlice;
      return trainDialogues(model, runtimeOf(model), data, { ...options, learningRate: cfg.learningRate ?? options.learningRate }, cfg.batchDialogues);
    },
    predict: (model, inputs) => predictDialogues(model, runtimeOf(model), inputs),
  };
}

export const bcLstm = registerModel(descriptor('bc-lstm', 'contextual bidirectional LSTM over a dialogue\'s text vectors (Poria et al. 2017, cLSTM)', true, false, true));
export const bcLstmSpeech = registerModel(descriptor('bc-lstm-speech', 'contextual bidirectional LSTM over a dialogue\'s speech vectors (Poria et al. 2017)', false, true, false));
export const bcLstmFused = registerModel(descriptor('bc-lstm-fused', 'contextual bidirectional LSTM over a dialogue\'s [text; speech] vectors (Poria et al. 2017)', true, true, false));
