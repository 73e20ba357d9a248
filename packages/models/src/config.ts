/**
 * `@emofuse/models/config`: the run configuration's `model:` and `train:` (model-config.ts,
 * train-config.ts) and the model registry (descriptor.ts), with the built-in model types
 * registered (builtins.ts). This entry and what it imports never load tfjs, so `--help`,
 * `--dry-run` and config errors stay fast.
 */
import { BUILTIN_MODELS } from './builtins.ts';
import { composeModelConfig, type ModelConfig } from './model-config.ts';

export { modelConfigSchema, modelDefaults, type ModelConfig, type ModelType } from './model-config.ts';
export { trainConfigSchema, TRAIN_DEFAULTS, autoEpochs, epochsFor, type TrainConfig } from './train-config.ts';
export {
  registerModel, modelDescriptor, modelTypes, registryVersion, resetModelRegistry, trainingOrder, modalitiesOf, inputSpecFor, inputsFor,
  textVocabularyOf, TOKEN_INPUT_KERNELS,
} from './descriptor.ts';
export type {
  InputSpec, TokenVocab, DialogueIndex, ModelInputs, ModelReads, ModelQuestion, ModelConfigIssue, ConfigSlice,
  BuildRequest, BuiltGraph, BuiltModelLike,
} from './types.ts';
export type { BuildTools, ModelDescriptor } from './types-descriptor.ts';
export { BUILTIN_MODELS } from './builtins.ts';

/**
 * Defaults of the built-in types' slices (frozen): the same whatever else is registered, or when,
 * since they come from the built-in descriptors, not from the registry. modelDefaults() adds the
 * slices of every type registered so far.
 */
export const MODEL_DEFAULTS: ModelConfig = composeModelConfig(BUILTIN_MODELS).defaults;
