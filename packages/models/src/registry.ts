/**
 * `buildModel`: the tfjs half of the model registry. Looks the type up among the registered
 * descriptors (descriptor.ts), validates the `model:` section against every registered slice, and
 * hands the descriptor's `build` tfjs, the custom layers, the shared blocks and seeded initialisers.
 */
import * as tf from '@tensorflow/tfjs';
import { EmofuseError } from '@emofuse/core';
import * as blocks from './blocks.ts';
import { modelDescriptor } from './descriptor.ts';
import * as layers from './layers/index.ts';
import { modelConfigSchema, modelDefaults, type ModelConfig } from './model-config.ts';
import type { BuildTools } from './types-descriptor.ts';
import type { BuiltModelLike, EmofuseModel, InputSpec } from './types.ts';

export interface BuildOptions {
  type: string;
  /** Class names in posterior order (the corpus's `classes`). */
  classes: string[];
  /** Shapes of the inputs this model will be fed. */
  input: InputSpec;
  /** `model:` section; missing slices take their defaults. */
  model?: Partial<ModelConfig>;
  /** Seeds every weight initialiser and the dropout masks. */
  seed?: number;
  /** Trained models of the systems the descriptor `takes`, by system name. */
  from?: Readonly<Record<string, BuiltModelLike>>;
  /** Initial vectors of a token input's vocabulary (textVocabularyOf(inputs)); needed when input.text has `vocab`. */
  textVocabulary?: Float32Array;
  /** Shorthand for `from: { 'text-lstm': textModel }` (joint-cnn's frozen text branch). */
  textModel?: EmofuseModel;
}

/** A distinct non-zero seed per initialiser (tfjs treats seed 0 as "unseeded" in places). */
function seeder(seed: number) {
  let n = 0;
  return () => {
    n += 1;
    return ((seed * 7919 + n * 104729) % 2147483629) + 1;
  };
}

export function buildModel(options: BuildOptions): EmofuseModel {
  const d = modelDescriptor(options.type);
  if (!Array.isArray(options.classes) || options.classes.length < 2) {
    throw new EmofuseError(`needs at least 2 classes, got ${JSON.stringify(options.classes)}`, { where: `${options.type}: classes` });
  }
  const parsed = modelConfigSchema().safeParse({ ...modelDefaults(), ...(options.model ?? {}) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EmofuseError(`invalid model config at model.${issue.path.join('.')}: ${issue.message}`, {
      where: 'model', fix: 'see modelDefaults() in @emofuse/models/config for the keys and their types',
    });
  }
  const config = parsed.data;
  const seed = options.seed ?? 1;
  const nextSeed = seeder(seed);
  const vocab = options.input.text?.kind === 'sequence' ? options.input.text.vocab : undefined;
  if (vocab && options.textVocabulary?.length !== vocab.size * options.input.text!.dim) {
    throw new EmofuseError(`the text input is ${vocab.size} token ids of ${options.input.text!.dim}-d vectors, but ${options.textVocabulary ? `textVocabulary has ${options.textVocabulary.length} numbers` : 'no textVocabulary was given'}`, {
      where: `${options.type}: textVocabulary`, fix: 'pass textVocabulary: textVocabularyOf(inputs) (the token inputs\' vocabulary.vectors)',
    });
  }
  const tools: BuildTools = {
    tf, layers, blocks, config, nextSeed, textVocabulary: vocab ? options.textVocabulary : undefined,
    glorot: () => tf.initializers.glorotUniform({ seed: nextSeed() }),
  };
  const from = { ...(options.textModel ? { 'text-lstm': options.textModel } : {}), ...(options.from ?? {}) };
  const { inputs, output, afterBuild } = d.build({ type: d.type, classes: options.classes, input: options.input, seed, from }, tools);
  const net = tf.model({ inputs, outputs: output, name: options.type.replace(/[^a-z0-9]/gi, '_') });
  afterBuild?.(net);
  return { type: d.type, classes: [...options.classes], config, input: options.input, seed, net };
}
