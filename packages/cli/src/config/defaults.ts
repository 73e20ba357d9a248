import type { Config } from './schema.ts';

/**
 * Every default of the run configuration, in one place (CONFIG_SPEC.md). An experiment YAML holds
 * only what it changes. Values marked "paper" are PAPER.md Table 1 / section text; the rest are
 * the choices the paper leaves open, each with the reason it was made.
 *
 * Relative paths here resolve against the repository root (see paths.ts), so
 * `../shared/data/...` means the shared data folder beside the clone.
 *
 * `model` and `train` equal MODEL_DEFAULTS / TRAIN_DEFAULTS of @emofuse/models (checked by
 * tests/config/defaults.test.ts). They are written out rather than imported so that reading a
 * config (--help, --dry-run, a config error) does not load tfjs, which takes seconds.
 */
export const DEFAULTS: Config = {
  experiment: 'default',
  tags: {},
  // One seed keeps the default run cheap; shipped experiments use [1, 2, 3, 4, 5] for statistics.
  seeds: [1],
  corpus: {
    // The metadata pickle is the one IEMOCAP file every clone has next to it (transcripts + labels + split).
    type: 'iemocap',
    path: '../shared/data/iemocap/iemocap.pkl',
    classes: null, // manifest only: null = the labels found, sorted
    name: null, // manifest only: null = the file name
  },
  split: {
    // The corpus's own lists (IEMOCAP: sessions 1-4 train/valid by dialogue, session 5 test):
    // exactly the paper's counts, and comparable with the dialogue-level literature.
    protocol: 'official',
    // paper: validation is 20% of the training data. Drawn by whole dialogue (protocol 'paper')
    // so no dialogue leaks between train and valid.
    validFraction: 0.2,
    folds: 'all',
  },
  features: {
    text: {
      // The paper used 300-d FastText vectors, which cannot be downloaded here; wink's 100-d
      // GloVe-style vectors are the offline stand-in. A .vec path switches to real FastText.
      source: 'embeddings',
      embeddings: 'wink',
      // Covers all but the longest IEMOCAP utterances; longer ones are truncated.
      maxTokens: 50,
    },
    speech: {
      source: 'opensmile', // paper: openSMILE ComParE (INTERSPEECH 2013), 6373 functionals
      smileBinary: null, // null = the one found through .venv's opensmile package
      smileConfig: 'ComParE_2016',
      workers: 2, // the machines have 2 cores
      normalise: 'minmax', // paper: min-max normalisation
      // paper: D_S = 100. Ranking by |weight| of an L2-regularised linear model fitted on train only.
      select: 100,
    },
    cacheDir: '.cache/features',
  },
  systems: ['text-lstm'],
  model: {
    dense: [512, 128], // paper: fully connected 512 -> 128 -> 6
    text: {
      convWidths: [3, 4, 5], // paper
      convFilters: 64, // paper: 64 feature maps per width
      dim: 100, // paper: D_T = 100
      lstmUnits: 128, // paper: N1 = 128
      dropout: 0.2, // paper: 20% dropout
      // Open: the LSTM runs over the per-word conv features, because a length-1 sequence
      // (the utterance vector) gives the LSTM nothing to recur over. 'utterance' is the ablation.
      lstmInput: 'words',
    },
    speech: {
      filters: 128, // paper: Nf = 128
      kernel: 5, // paper: Nw = 5, stride 1
      // Open: the paper gives no pool size; 2 (stride 2) halves the length after each conv.
      poolSize: 2,
      convLayers: 2, // paper: two Conv1D + max-pool blocks
    },
    joint: {
      // Open: width of W_f; D_T + D_S = 200 keeps U as wide as its input.
      fusedDim: 200,
      // Open: the paper feeds "the text representation learned by the text model", so T comes
      // from the trained text model, frozen; 'joint' trains it together with the CNN.
      textBranch: 'frozen',
    },
  },
  train: {
    epochs: 'auto', // paper: 20 for the CNNs, 40 for the LSTM
    // Open: the paper gives none; 32 is Keras's default and fits 2 cores.
    batchSize: 32,
    learningRate: 0.001, // paper: Adam, 0.001
    patience: 6, // paper: early stopping on validation loss, patience 6 (best weights restored)
    // Open: the paper does not weight classes; 'balanced' is an ablation (happiness is the smallest class).
    classWeights: 'none',
    backend: 'auto', // tensorflow (tfjs-node) > wasm > cpu: the fastest that works here
  },
  fusion: {
    rules: [],
    systems: ['text-lstm', 'joint-cnn'], // paper: late fusion of the text LSTM and the joint-CNN
    // Open: w1 grid step; 0.05 gives 21 candidates, fine enough for the paper's w1 = 0.3.
    step: 0.05,
    // UA is the paper's headline metric; always scored on the validation split.
    metric: 'ua',
  },
  tracking: {
    uri: null, // null = env MLFLOW_TRACKING_URI, else the local ./mlruns store
    experiment: null, // null = the experiment name
  },
  output: {
    dir: 'runs',
  },
  report: {
    enabled: true,
  },
};

/** Epochs for one system when `train.epochs` is 'auto' (paper: 20 for CNNs, 40 for the LSTM). */
export function epochsFor(system: string, epochs: Config['train']['epochs']): number {
  if (epochs !== 'auto') return epochs;
  return system === 'text-lstm' ? 40 : 20;
}
