import { z } from 'zod';

/** The three systems of the paper; the registry in registry.ts builds each. */
export const MODEL_TYPES = ['text-lstm', 'speech-cnn', 'joint-cnn'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

const posInt = z.number().int().positive();

/**
 * `model:` of the run config (PAPER.md Table 1). Strict: an unknown key is refused so a typo
 * (`lstmUnit`) never silently falls back to the default.
 */
export const modelConfigSchema = z.strictObject({
  /** Fully connected head after every encoder (ReLU), then the softmax layer. */
  dense: z.array(posInt).min(1),
  text: z.strictObject({
    /** One 1-D convolution per width over the word embeddings ('same' padding, ReLU). */
    convWidths: z.array(posInt).min(1),
    convFilters: posInt,
    /** D_T: width of the text representation T (tanh projection of the pooled conv maps). */
    dim: posInt,
    lstmUnits: posInt,
    /** Input dropout of the LSTM (Keras `LSTM(dropout=...)`), not recurrent dropout. */
    dropout: z.number().min(0).max(0.95),
    /**
     * What the LSTM runs over. 'words': the per-word conv feature sequence, each step projected
     * by the same D_T layer that makes T (padded steps masked). 'utterance': T itself (or a given
     * utterance vector such as the features pkl's 100-d text vector) as a length-1 sequence.
     */
    lstmInput: z.enum(['words', 'utterance']),
  }),
  speech: z.strictObject({
    filters: posInt,
    kernel: posInt,
    /** Max-pool size (stride = size) after each conv; the paper gives none, 2 halves the length. */
    poolSize: posInt,
    convLayers: posInt,
  }),
  joint: z.strictObject({
    /** Width of U = tanh(W_f [T; S] + b_f); the paper leaves it open, 200 = D_T + D_S. */
    fusedDim: posInt,
    /**
     * 'frozen': T comes from an already trained text model's extractor, copied in and not
     * trained further (the paper's "text representation learned by the text model").
     * 'joint': the text extractor is trained together with the CNN from the embeddings.
     */
    textBranch: z.enum(['frozen', 'joint']),
  }),
});
export type ModelConfig = z.infer<typeof modelConfigSchema>;

/** `train:` of the run config. */
export const trainConfigSchema = z.strictObject({
  /** 'auto' = 20 for the CNNs, 40 for the LSTM (PAPER.md). */
  epochs: z.union([z.literal('auto'), posInt]),
  batchSize: posInt,
  learningRate: z.number().positive(),
  /** Early stopping on validation loss; the best epoch's weights are restored. */
  patience: z.number().int().min(0),
  /** 'balanced': weight_c = n / (k * n_c) on the training part (sklearn's 'balanced'). */
  classWeights: z.enum(['none', 'balanced']),
  backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']),
});
export type TrainConfig = z.infer<typeof trainConfigSchema>;

export const MODEL_DEFAULTS: ModelConfig = deepFreeze({
  dense: [512, 128],
  text: { convWidths: [3, 4, 5], convFilters: 64, dim: 100, lstmUnits: 128, dropout: 0.2, lstmInput: 'words' },
  speech: { filters: 128, kernel: 5, poolSize: 2, convLayers: 2 },
  joint: { fusedDim: 200, textBranch: 'frozen' },
});

export const TRAIN_DEFAULTS: TrainConfig = deepFreeze({
  epochs: 'auto',
  batchSize: 32,
  learningRate: 0.001,
  patience: 6,
  classWeights: 'none',
  backend: 'auto',
});

/** Epochs the paper trains each kind of model for. */
export function autoEpochs(type: ModelType): number {
  return type === 'text-lstm' ? 40 : 20;
}

/** Frozen all the way down, so a caller that mutates a merged copy never changes the defaults. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
