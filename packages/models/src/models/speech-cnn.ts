/** The paper's speech system: two Conv1D + max-pool blocks over the selected ComParE functionals. */
import { z } from 'zod';
import { posInt } from '@emofuse/core';
import { registerModel } from '../descriptor.ts';
import { COMMON_KERNELS } from './kernels.ts';

export const speechSlice = z.strictObject({
  filters: posInt,
  kernel: posInt,
  /** Max-pool size (stride = size) after each conv; the paper gives none, 2 halves the length. */
  poolSize: posInt,
  convLayers: posInt,
});
export type SpeechSlice = z.infer<typeof speechSlice>;

export const SPEECH_DEFAULTS: SpeechSlice = {
  filters: 128, // paper: Nf = 128
  kernel: 5, // paper: Nw = 5, stride 1
  // Open: the paper gives no pool size; 2 (stride 2) halves the length after each conv.
  poolSize: 2,
  convLayers: 2, // paper: two Conv1D + max-pool blocks
};

export const speechCnn = registerModel({
  type: 'speech-cnn',
  summary: 'speech CNN over openSMILE functionals (paper, section 2.2)',
  reads: { speech: true },
  context: 'utterance',
  defaultEpochs: 20, // paper: 20 epochs for the CNNs
  config: { key: 'speech', schema: speechSlice, defaults: SPEECH_DEFAULTS },
  kernels: COMMON_KERNELS,
  build(req, t) {
    const s = t.blocks.speechInput(req.input.speech);
    return { inputs: [s], output: t.blocks.head(t.blocks.cnnStack(t.blocks.asSignal(s, 'speech_signal'), t), req.classes.length, t) };
  },
});
