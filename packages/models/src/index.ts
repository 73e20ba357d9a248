// Public API of @emofuse/models. Config, descriptors and the registry's metadata are also
// reachable without tfjs through '@emofuse/models/config'.
export {
  MODEL_DEFAULTS, TRAIN_DEFAULTS, MODEL_TYPES, modelConfigSchema, modelDefaults, trainConfigSchema, autoEpochs, epochsFor,
  registerModel, modelDescriptor, modelTypes, trainingOrder, modalitiesOf, inputSpecFor, inputsFor, textVocabularyOf, TOKEN_INPUT_KERNELS,
} from './config.ts';
export type {
  ModelConfig, TrainConfig, ModelType, ModelDescriptor, ModelReads, ModelQuestion, ModelConfigIssue, ConfigSlice,
  BuildTools, BuildRequest, BuiltGraph, InputSpec, ModelInputs, DialogueIndex,
} from './config.ts';
export type { EmofuseModel } from './model.ts';
export { buildModel, type BuildOptions } from './registry.ts';
export { trainModel, predictModel } from './system.ts';
export { EmofuseConv1D, EmofuseLSTM, EmofuseMaxPool1D, EmofuseSequenceMask, setConvImplementation } from './layers.ts';
export { EmofuseContextBiLSTM } from './layers/context-bilstm.ts';
export { FlatAdam } from './optimizer.ts';
export { train, formatEpochLine, balancedClassWeights } from './train.ts';
export type { TrainData, TrainOptions, TrainResult, EpochLog, BatchProgress, LabelledPart } from './train.ts';
export type { Labels } from './tensors.ts';
export { predict, savePosteriors, loadPosteriors } from './predict.ts';
export { saveModel, loadModel } from './io.ts';
export { selectBackend, missingKernels, type BackendChoice, type BackendName, type BackendPreference } from './backend.ts';
export { setFastPaths, FAST_PATHS, type FastPath } from './tensors.ts';
export { checkModelMemory, memoryLimit, TRAINING_COPIES, type MemoryEstimate, type MemoryLimit, type MemoryCheckOptions, type ModelSize } from './memory.ts';
