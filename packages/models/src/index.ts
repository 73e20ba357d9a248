// Public API of @emofuse/models. Config, descriptors and the registry's metadata are also
// reachable without tfjs through '@emofuse/models/config'. Both entries register the built-in
// model types (builtins.ts); nothing below them does.
import './builtins.ts';

export {
  MODEL_DEFAULTS, TRAIN_DEFAULTS, modelConfigSchema, modelDefaults, trainConfigSchema, autoEpochs, epochsFor,
  registerModel, modelDescriptor, modelTypes, resetModelRegistry, trainingOrder, modalitiesOf, inputSpecFor, inputsFor, textVocabularyOf, TOKEN_INPUT_KERNELS,
} from './config.ts';
export type {
  ModelConfig, TrainConfig, ModelType, ModelDescriptor, ModelReads, ModelQuestion, ModelConfigIssue, ConfigSlice,
  BuildTools, BuildRequest, BuiltGraph, InputSpec, ModelInputs, DialogueIndex,
} from './config.ts';
export type { EmofuseModel, TrainData, TrainOptions, TrainResult, EpochLog, BatchProgress, LabelledPart, Labels } from './types.ts';
export { buildModel, type BuildOptions } from './registry.ts';
export { trainModel, predictModel } from './system.ts';
export { EmofuseConv1D, EmofuseLSTM, EmofuseMaxPool1D, EmofuseSequenceMask, setConvImplementation, EmofuseContextBiLSTM } from './layers/index.ts';
export { FlatAdam } from './optimizer.ts';
export { train, formatEpochLine, balancedClassWeights } from './train.ts';
export { predict, savePosteriors, loadPosteriors } from './predict.ts';
export { saveModel, loadModel } from './io.ts';
export { selectBackend, missingKernels, type BackendChoice, type BackendName, type BackendPreference } from './backend.ts';
export { installGradientPatches } from './native.ts';
export { setFastPaths, FAST_PATHS, type FastPath } from './tensors.ts';
export { checkModelMemory, memoryLimit, TRAINING_COPIES, type MemoryEstimate, type MemoryLimit, type MemoryCheckOptions, type ModelSize } from './memory.ts';
