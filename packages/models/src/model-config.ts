/**
 * `model:` of the run configuration. Its schema and defaults are composed from the registered
 * model types, when asked (never at load); the base holds what every model shares (the dense
 * head), each descriptor adds its own slice. Loads no tfjs. The entry points re-export it:
 * `@emofuse/models/config` (config.ts) and `@emofuse/models`.
 */
import { z } from 'zod';
import { widths } from '@emofuse/core';
import { modelDescriptor, modelTypes, registryVersion } from './descriptor.ts';
import type { ModelDescriptor } from './types-descriptor.ts';
import type { ModelSection } from './types.ts';
import type { TextSlice } from './models/text-lstm.ts';
import type { SpeechSlice } from './models/speech-cnn.ts';
import type { JointSlice } from './models/joint-cnn.ts';

export type { ModelType } from './types.ts';

/** The paper's slices are typed; slices of other registered models are open records. */
export type ModelConfig = ModelSection & { text: TextSlice; speech: SpeechSlice; joint: JointSlice };

const BASE_DEFAULTS = {
  dense: [512, 128], // paper: fully connected 512 -> 128 -> 6
};

/** The `model:` schema and frozen defaults of these descriptors' slices, over the base. */
export function composeModelConfig(descriptors: readonly ModelDescriptor[]): { schema: z.ZodType<ModelConfig>; defaults: ModelConfig } {
  const shape: Record<string, z.ZodType> = {
    /** Fully connected head after every encoder (ReLU), then the softmax layer. */
    dense: widths('[512, 128]'),
  };
  const defaults: Record<string, unknown> = { ...BASE_DEFAULTS };
  for (const d of descriptors) {
    const slice = d.config;
    if (!slice) continue;
    shape[slice.key] = slice.schema;
    defaults[slice.key] = slice.defaults;
  }
  return { schema: z.strictObject(shape) as unknown as z.ZodType<ModelConfig>, defaults: deepFreeze(structuredClone(defaults)) as ModelConfig };
}

let cached: { version: number; schema: z.ZodType<ModelConfig>; defaults: ModelConfig } | undefined;

function compose() {
  if (cached?.version === registryVersion()) return cached;
  cached = { version: registryVersion(), ...composeModelConfig(modelTypes().map((t) => modelDescriptor(t))) };
  return cached;
}

/**
 * The `model:` schema of every registered type. Strict: an unknown key is refused so a typo
 * (`lstmUnit`) never silently falls back to the default.
 */
export function modelConfigSchema(): z.ZodType<ModelConfig> {
  return compose().schema;
}

/** Defaults of every slice (frozen; clone before changing). */
export function modelDefaults(): ModelConfig {
  return compose().defaults;
}

/** Frozen all the way down, so a caller that mutates a merged copy never changes the defaults. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
