import * as tf from '@tensorflow/tfjs';
import { EmofuseError } from '@emofuse/core';
import { MODEL_DEFAULTS, modelConfigSchema, type ModelConfig, type ModelType } from './config.ts';
import { EmofuseConv1D, EmofuseLSTM, EmofuseMaxPool1D, EmofuseSequenceMask } from './layers.ts';
import type { EmofuseModel, InputSpec } from './model.ts';

export interface BuildOptions {
  type: ModelType | string;
  /** Class names in posterior order (the corpus's `classes`). */
  classes: string[];
  /** Shapes of the inputs this model will be fed. */
  input: InputSpec;
  /** `model:` section; defaults to MODEL_DEFAULTS. */
  model?: ModelConfig;
  /** Seeds every weight initialiser and the dropout masks. */
  seed?: number;
  /** joint-cnn with textBranch 'frozen' and a sequence text input: the trained text-lstm to take T from. */
  textModel?: EmofuseModel;
}

/** Builds the graph of one model type; `ctx` hands out seeded initialisers and names. */
type Builder = (opts: Required<Pick<BuildOptions, 'classes' | 'input'>> & BuildOptions, ctx: BuildContext) => {
  inputs: tf.SymbolicTensor[];
  output: tf.SymbolicTensor;
  afterBuild?: (net: tf.LayersModel) => void;
};

class BuildContext {
  private n = 0;
  constructor(readonly seed: number, readonly config: ModelConfig) {}
  /** A distinct non-zero seed per initialiser (tfjs treats seed 0 as "unseeded" in places). */
  nextSeed(): number {
    this.n += 1;
    return ((this.seed * 7919 + this.n * 104729) % 2147483629) + 1;
  }
  glorot() {
    return tf.initializers.glorotUniform({ seed: this.nextSeed() });
  }
}

const registry = new Map<string, Builder>();

/** Adds a model type (the three of the paper are registered below). */
export function registerModel(type: string, builder: Builder): void {
  registry.set(type, builder);
}

export function modelTypes(): string[] {
  return [...registry.keys()];
}

export function buildModel(options: BuildOptions): EmofuseModel {
  const builder = registry.get(options.type);
  if (!builder) {
    throw new EmofuseError(`unknown model type ${JSON.stringify(options.type)}; known types: ${modelTypes().join(', ')}`, {
      where: 'model type', fix: `use one of ${modelTypes().join(', ')}`,
    });
  }
  if (!Array.isArray(options.classes) || options.classes.length < 2) {
    throw new EmofuseError(`needs at least 2 classes, got ${JSON.stringify(options.classes)}`, { where: `${options.type}: classes` });
  }
  const parsed = modelConfigSchema.safeParse(options.model ?? MODEL_DEFAULTS);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EmofuseError(`invalid model config at model.${issue.path.join('.')}: ${issue.message}`, {
      where: 'model', fix: 'see MODEL_DEFAULTS in @emofuse/models for the keys and their types',
    });
  }
  const config = parsed.data;
  const seed = options.seed ?? 1;
  const ctx = new BuildContext(seed, config);
  const { inputs, output, afterBuild } = builder({ ...options, model: config }, ctx);
  const net = tf.model({ inputs, outputs: output, name: options.type.replace(/[^a-z0-9]/gi, '_') });
  afterBuild?.(net);
  return { type: options.type as ModelType, classes: [...options.classes], config, input: options.input, seed, net };
}

/** Dense 512 -> 128 (ReLU) -> softmax, the head every system of the paper shares. */
function head(x: tf.SymbolicTensor, classes: number, ctx: BuildContext): tf.SymbolicTensor {
  ctx.config.dense.forEach((units, i) => {
    x = tf.layers.dense({ units, activation: 'relu', kernelInitializer: ctx.glorot(), name: `dense_${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  return tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: ctx.glorot(), name: 'posteriors' }).apply(x) as tf.SymbolicTensor;
}

interface TextInputs {
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
function textBranch(input: InputSpec['text'], ctx: BuildContext, withSteps: boolean): TextInputs {
  const cfg = ctx.config.text;
  if (!input) throw new EmofuseError('this model needs a text input', { where: 'model input', fix: 'pass input.text (sequence or vector)' });
  if (input.kind === 'vector') {
    const x = tf.input({ shape: [input.dim], name: 'text' });
    return { inputs: [x], t: x, extractor: [] };
  }
  const x = tf.input({ shape: [input.steps, input.dim], name: 'text' });
  const mask = tf.input({ shape: [input.steps], name: 'text_mask' });
  const maps = cfg.convWidths.map((w) =>
    new EmofuseConv1D({ filters: cfg.convFilters, kernelSize: w, padding: 'same', activation: 'relu', seed: ctx.nextSeed(), name: `text_conv_w${w}` })
      .apply(x) as tf.SymbolicTensor);
  const conv = maps.length === 1 ? maps[0] : (tf.layers.concatenate({ axis: -1, name: 'text_conv' }).apply(maps) as tf.SymbolicTensor);
  const masked = new EmofuseSequenceMask({ name: 'text_conv_masked' }).apply([conv, mask]) as tf.SymbolicTensor;
  const pooled = tf.layers.globalMaxPooling1d({ name: 'text_pool' }).apply(masked) as tf.SymbolicTensor;
  const project = tf.layers.dense({ units: cfg.dim, activation: 'tanh', kernelInitializer: ctx.glorot(), name: 'text_T' });
  const t = project.apply(pooled) as tf.SymbolicTensor;
  const extractor = [...cfg.convWidths.map((w) => `text_conv_w${w}`), 'text_T'];
  if (!withSteps) return { inputs: [x, mask], t, extractor };
  const perStep = project.apply(conv) as tf.SymbolicTensor;
  const steps = new EmofuseSequenceMask({ emitMask: true, name: 'text_steps' }).apply([perStep, mask]) as tf.SymbolicTensor;
  return { inputs: [x, mask], t, steps, extractor };
}

/** (Conv1D -> max-pool) x convLayers over a (batch, length, 1) signal, then flatten. */
function cnnStack(signal: tf.SymbolicTensor, ctx: BuildContext): tf.SymbolicTensor {
  const s = ctx.config.speech;
  let x = signal;
  for (let i = 1; i <= s.convLayers; i++) {
    const len = x.shape[1] as number;
    if (len < s.kernel) {
      throw new EmofuseError(`conv layer ${i} gets a signal of length ${len}, shorter than the kernel width ${s.kernel}`, {
        where: 'model.speech', fix: 'use fewer convLayers, a smaller kernel or poolSize, or a longer input',
      });
    }
    x = new EmofuseConv1D({ filters: s.filters, kernelSize: s.kernel, padding: 'valid', activation: 'relu', seed: ctx.nextSeed(), name: `cnn_conv_${i}` })
      .apply(x) as tf.SymbolicTensor;
    x = new EmofuseMaxPool1D({ poolSize: s.poolSize, name: `cnn_pool_${i}` }).apply(x) as tf.SymbolicTensor;
  }
  return tf.layers.flatten({ name: 'cnn_flatten' }).apply(x) as tf.SymbolicTensor;
}

function speechInput(input: InputSpec['speech']): tf.SymbolicTensor {
  if (!input) throw new EmofuseError('this model needs a speech input', { where: 'model input', fix: 'pass input.speech = { dim }' });
  return tf.input({ shape: [input.dim], name: 'speech' });
}

function asSignal(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.reshape({ targetShape: [x.shape[1] as number, 1], name }).apply(x) as tf.SymbolicTensor;
}

registerModel('text-lstm', (opts, ctx) => {
  const cfg = ctx.config.text;
  const words = cfg.lstmInput === 'words';
  if (words && opts.input.text?.kind === 'vector') {
    throw new EmofuseError('model.text.lstmInput is "words" but the text input is one vector per utterance', {
      where: 'model.text.lstmInput', fix: 'set model.text.lstmInput: utterance, or use features.text.source: embeddings',
    });
  }
  const text = textBranch(opts.input.text, ctx, words);
  const seq = words
    ? text.steps!
    : (tf.layers.reshape({ targetShape: [1, text.t.shape[1] as number], name: 'text_as_sequence' }).apply(text.t) as tf.SymbolicTensor);
  const lstm = new EmofuseLSTM({ units: cfg.lstmUnits, dropout: cfg.dropout, seed: ctx.nextSeed(), name: 'text_lstm' }).apply(seq) as tf.SymbolicTensor;
  return { inputs: text.inputs, output: head(lstm, opts.classes.length, ctx) };
});

registerModel('speech-cnn', (opts, ctx) => {
  const s = speechInput(opts.input.speech);
  return { inputs: [s], output: head(cnnStack(asSignal(s, 'speech_signal'), ctx), opts.classes.length, ctx) };
});

registerModel('joint-cnn', (opts, ctx) => {
  const joint = ctx.config.joint;
  const frozen = joint.textBranch === 'frozen' && opts.input.text?.kind === 'sequence';
  if (frozen) {
    const tm = opts.textModel;
    if (!tm) {
      throw new EmofuseError('model.joint.textBranch is "frozen" but no trained text model was given', {
        where: 'joint-cnn', fix: 'train text-lstm first and pass it as textModel, or set model.joint.textBranch: joint',
      });
    }
    const want = opts.input.text as { steps: number; dim: number };
    const have = tm.input.text;
    if (tm.type !== 'text-lstm' || have?.kind !== 'sequence' || have.dim !== want.dim || have.steps !== want.steps
      || JSON.stringify(tm.config.text.convWidths) !== JSON.stringify(ctx.config.text.convWidths)
      || tm.config.text.convFilters !== ctx.config.text.convFilters || tm.config.text.dim !== ctx.config.text.dim) {
      throw new EmofuseError('the text model given for the frozen text branch does not match this model (type, text input shape or model.text)', {
        where: 'joint-cnn textModel', fix: 'pass the text-lstm trained on the same features with the same model.text settings',
      });
    }
  }
  const text = textBranch(opts.input.text, ctx, false);
  const s = speechInput(opts.input.speech);
  const ts = tf.layers.concatenate({ axis: -1, name: 'joint_TS' }).apply([text.t, s]) as tf.SymbolicTensor;
  const u = tf.layers.dense({ units: joint.fusedDim, activation: 'tanh', kernelInitializer: ctx.glorot(), name: 'joint_U' }).apply(ts) as tf.SymbolicTensor;
  const output = head(cnnStack(asSignal(u, 'joint_signal'), ctx), opts.classes.length, ctx);
  const afterBuild = frozen
    ? (net: tf.LayersModel) => {
      for (const name of text.extractor) {
        const layer = net.getLayer(name);
        layer.setWeights(opts.textModel!.net.getLayer(name).getWeights());
        layer.trainable = false;
      }
    }
    : undefined;
  return { inputs: [...text.inputs, s], output, afterBuild };
});
