/**
 * The paper's early fusion: U = tanh(W_f [T; S] + b_f) read by the speech CNN stack. With
 * textBranch 'frozen', T comes from the text-lstm trained in the same fold, copied in and frozen.
 */
import { z } from 'zod';
import type { LayersModel } from '@tensorflow/tfjs';
import { EmofuseError, oneOf, posInt } from '@emofuse/core';
import { registerModel } from '../descriptor.ts';
import type { ModelQuestion } from '../types.ts';
import { COMMON_KERNELS } from './kernels.ts';
import type { TextSlice } from './text-lstm.ts';

export const jointSlice = z.strictObject({
  /** Width of U = tanh(W_f [T; S] + b_f); the paper leaves it open, 200 = D_T + D_S. */
  fusedDim: posInt,
  /**
   * 'frozen': T comes from an already trained text model's extractor, copied in and not
   * trained further (the paper's "text representation learned by the text model").
   * 'joint': the text extractor is trained together with the CNN from the embeddings.
   */
  textBranch: oneOf(['frozen', 'joint']),
});
export type JointSlice = z.infer<typeof jointSlice>;

export const JOINT_DEFAULTS: JointSlice = {
  // Open: width of W_f; D_T + D_S = 200 keeps U as wide as its input.
  fusedDim: 200,
  // Open: the paper feeds "the text representation learned by the text model", so T comes
  // from the trained text model, frozen; 'joint' trains it together with the CNN.
  textBranch: 'frozen',
};

/** Only word-sequence input has an extractor to copy; an utterance vector is T already. */
const takesTextModel = (q: Pick<ModelQuestion, 'model' | 'textInput'>) => (q.model.joint as JointSlice).textBranch === 'frozen' && q.textInput === 'sequence';

export const jointCnn = registerModel({
  type: 'joint-cnn',
  summary: 'early fusion joint-CNN over [T; S] (paper, section 2.3)',
  reads: { text: 'any', tokens: true, speech: true },
  slices: ['text', 'speech'], // the text extractor (its own or text-lstm's) and the speech CNN's layers
  context: 'utterance',
  defaultEpochs: 20, // paper: 20 epochs for the CNNs
  config: { key: 'joint', schema: jointSlice, defaults: JOINT_DEFAULTS },
  kernels: COMMON_KERNELS,
  takes: (q) => (takesTextModel(q) ? ['text-lstm'] : []),
  check: (q) => (takesTextModel(q) && !q.systems.includes('text-lstm')
    ? [{
      key: 'systems',
      message: "joint-cnn with model.joint.textBranch 'frozen' takes T from the text LSTM trained in the same run, but text-lstm is not in systems",
      fix: 'add text-lstm to systems (before joint-cnn), or set model.joint.textBranch: joint',
      related: ['model.joint.textBranch'],
    }]
    : []),
  build(req, t) {
    const joint = t.config.joint as JointSlice;
    const text = t.config.text as TextSlice;
    const frozen = joint.textBranch === 'frozen' && req.input.text?.kind === 'sequence';
    const tm = req.from['text-lstm'];
    if (frozen) {
      if (!tm) {
        throw new EmofuseError('model.joint.textBranch is "frozen" but no trained text model was given', {
          where: 'joint-cnn', fix: 'train text-lstm first and pass it as textModel, or set model.joint.textBranch: joint',
        });
      }
      const want = req.input.text as { steps: number; dim: number; vocab?: { fingerprint: string } };
      const have = tm.input.text;
      const theirs = tm.config.text as TextSlice;
      if (tm.type !== 'text-lstm' || have?.kind !== 'sequence' || have.dim !== want.dim || have.steps !== want.steps
        || have.vocab?.fingerprint !== want.vocab?.fingerprint
        || JSON.stringify(theirs.convWidths) !== JSON.stringify(text.convWidths)
        || theirs.convFilters !== text.convFilters || theirs.dim !== text.dim) {
        throw new EmofuseError('the text model given for the frozen text branch does not match this model (type, text input shape or model.text)', {
          where: 'joint-cnn textModel', fix: 'pass the text-lstm trained on the same features with the same model.text settings',
        });
      }
    }
    const tb = t.blocks.textBranch(req.input.text, t, false);
    const s = t.blocks.speechInput(req.input.speech);
    const ts = t.tf.layers.concatenate({ axis: -1, name: 'joint_TS' }).apply([tb.t, s]) as typeof s;
    const u = t.blocks.dense({ units: joint.fusedDim, activation: 'tanh', kernelInitializer: t.glorot(), name: 'joint_U' }).apply(ts) as typeof s;
    const output = t.blocks.head(t.blocks.cnnStack(t.blocks.asSignal(u, 'joint_signal'), t), req.classes.length, t);
    const afterBuild = frozen
      ? (net: LayersModel) => {
        for (const name of tb.extractor) {
          const layer = net.getLayer(name);
          layer.setWeights(tm!.net.getLayer(name).getWeights());
          layer.trainable = false;
        }
      }
      : undefined;
    return { inputs: [...tb.inputs, s], output, afterBuild };
  },
});
