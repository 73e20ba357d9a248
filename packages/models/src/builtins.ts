/**
 * The built-in model types, registered in the paper's order (the tiebreak of the training order):
 * each file registers its types when it is imported. Both entry points (index.ts and config.ts,
 * `@emofuse/models/config`) import this module; nothing below them does, so the registry never
 * imports its own models.
 */
import type { ModelDescriptor } from './types-descriptor.ts';
import { setBuiltinModels } from './descriptor.ts';
import { textLstm } from './models/text-lstm.ts';
import { speechCnn } from './models/speech-cnn.ts';
import { jointCnn } from './models/joint-cnn.ts';
import { linear, linearText, linearEarly } from './models/linear.ts';
import { bcLstm, bcLstmSpeech, bcLstmFused } from './models/bc-lstm.ts';
import { tfn } from './models/tfn.ts';
import { lmf } from './models/lmf.ts';
import { textCnn } from './models/text-cnn.ts';

/** Every built-in type, in registration order. */
export const BUILTIN_MODELS: readonly ModelDescriptor[] = [
  textLstm, speechCnn, jointCnn, linear, linearText, linearEarly, bcLstm, bcLstmSpeech, bcLstmFused, tfn, lmf, textCnn,
];

setBuiltinModels(BUILTIN_MODELS);
