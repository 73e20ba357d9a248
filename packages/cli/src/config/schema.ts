import { z } from 'zod';
import { CORPUS_TYPES, METRIC_NAMES, SPLIT_PROTOCOLS, nonEmptyText, nonNegInt, oneOf, posInt, type MetricName } from '@emofuse/core';
import { fusionRegistryVersion, fusionRuleNames } from '@emofuse/fusion';
import { modelConfigSchema, modelTypes, registryVersion, trainConfigSchema } from '@emofuse/models/config';

/**
 * The run configuration tree. Strict at every level: an unknown key is refused, so a typo
 * (`epoch:`) never silently falls back to a default. The `model:` and `train:` sections are the
 * models package's own slices, composed here rather than copied; defaults live in defaults.ts.
 */

export const METRICS = METRIC_NAMES as unknown as readonly [MetricName, ...MetricName[]];

/** A registered model type (the paper's three or one a researcher registered). */
export type SystemName = string;
export type { MetricName };

const text = nonEmptyText;
const nonEmpty = <T extends string>(values: readonly T[]) => values as unknown as readonly [T, ...T[]];

/**
 * The whole tree for the model types and fusion rules registered now: `model:` and `train:` are
 * the models package's slices, `systems` and `fusion.rules` take the registered names.
 */
function buildSchema() {
  return z.strictObject({
    /** Run folder name: runs/<experiment>/<run-id>/, so it must be a safe file name. */
    experiment: z.string({ error: 'expected a string' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ".", "_" or "-" (it becomes a folder name)'),
    tags: z.record(z.string(), z.string({ error: 'expected a string (quote numbers: "1")' })),
    /** Files that register model types or fusion rules, imported before the config is checked. */
    plugins: z.array(text, { error: 'expected a list of file paths, e.g. [./my_model.ts]' }),
    seeds: z.array(nonNegInt, { error: 'expected a list of seeds, e.g. [1, 2, 3]' }).min(1, 'expected at least one seed'),
    corpus: z.strictObject({
      type: oneOf(CORPUS_TYPES),
      path: text,
      /** manifest only: class order (null = sorted labels found) and corpus name. */
      classes: z.array(text, { error: 'expected a list of class names' }).min(2).nullable(),
      name: text.nullable(),
    }),
    split: z.strictObject({
      protocol: oneOf(SPLIT_PROTOCOLS),
      validFraction: z.number({ error: 'expected a number' }).gt(0, 'expected a fraction in (0, 1)').lt(1, 'expected a fraction in (0, 1)'),
      folds: z.union([z.literal('all'), z.array(text).min(1)], { error: "expected 'all' or a list of held-out groups as strings, e.g. ['Ses05'] or ['03'] (quote numbers)" }),
      /** holdout only: the held-out sessions or groups (session:<name> / group:<name> when a name is both). */
      test: z.array(text, { error: "expected a list of sessions or groups as strings, e.g. [Ses05] or ['3'] (quote numbers)" }).min(1, 'expected at least one session or group').nullable(),
      /** A test speaker also in train or valid: refuse (default) or warn and go on (results are speaker-dependent). */
      speakerLeakage: oneOf(['refuse', 'warn']),
    }),
    features: z.strictObject({
      text: z.strictObject({
        /** A registered feature source: embeddings, pkl, tfidf, file, or one a plugin registers (checked when the run starts). */
        source: text,
        /** Settings of a source a plugin registers (the source checks them). */
        options: z.record(z.string(), z.unknown(), { error: 'expected a map of settings, e.g. { model: small }' }),
        /** 'wink' or a path to a FastText/GloVe .vec file. */
        embeddings: text,
        maxTokens: posInt,
        /** Feed token ids; the model's embedding table starts from the vectors and is fine-tuned. */
        trainable: z.boolean({ error: 'expected true or false' }),
        /** source tfidf: word n-grams with vocabulary and idf fitted on each fold's training part. */
        tfidf: z.strictObject({
          ngrams: z.tuple([posInt, posInt], { error: 'expected [min, max], e.g. [1, 2]' }),
          minDf: posInt,
          maxFeatures: posInt.nullable(),
          sublinearTf: z.boolean({ error: 'expected true or false' }),
          tokens: oneOf(['sklearn', 'emofuse']),
        }),
        /** source file: one vector per utterance from your own file (sentence embeddings, ...). */
        file: featureFileSchema(),
      }),
      speech: z.strictObject({
        /** A registered feature source: opensmile, pkl, file, or one a plugin registers (checked when the run starts). */
        source: text,
        options: z.record(z.string(), z.unknown(), { error: 'expected a map of settings, e.g. { frameMs: 25 }' }),
        smileBinary: text.nullable(),
        smileConfig: text,
        workers: posInt,
        normalise: oneOf(['minmax', 'zscore']),
        select: nonNegInt,
        /** source file: functionals or embeddings from your own file (openSMILE CSV, Praat, .npy, Parquet). */
        file: featureFileSchema(),
      }),
      cacheDir: text,
    }),
    systems: z.array(oneOf(nonEmpty(modelTypes())), { error: 'expected a list of systems, e.g. [text-lstm]' }).min(1, 'expected at least one system'),
    model: modelConfigSchema(),
    train: trainConfigSchema,
    fusion: z.strictObject({
      rules: z.array(oneOf(nonEmpty(fusionRuleNames())), { error: 'expected a list of rules, e.g. [average, weighted]' }),
      systems: z.array(oneOf(nonEmpty(modelTypes())), { error: 'expected a list of systems, e.g. [text-lstm, joint-cnn]' }).min(2, 'expected at least two systems'),
      step: z.number({ error: 'expected a number' }).gt(0, 'expected a step in (0, 0.5]').max(0.5, 'expected a step in (0, 0.5]'),
      metric: oneOf(METRICS),
    }),
    tracking: z.strictObject({
      uri: text.nullable(),
      experiment: text.nullable(),
    }),
    output: z.strictObject({
      dir: text,
    }),
    report: z.strictObject({
      enabled: z.boolean({ error: 'expected true or false' }),
    }),
  });
}

/** A feature file as a source (`features.<modality>.file`); read by @emofuse/data's readFeatureFile. */
function featureFileSchema() {
  return z.strictObject({
    path: text.nullable(),
    format: oneOf(['auto', 'csv', 'tsv', 'parquet', 'arrow', 'npy', 'npz', 'opensmile-csv']),
    /** The id column (CSV, Parquet, Arrow); openSMILE CSVs map their `file` column's base name. */
    id: text,
    /** null: every column but the id; a list of names; or '/regex/' on the column names. */
    columns: z.union([z.array(text).min(1), text], { error: "expected a list of column names or a '/regex/'" }).nullable(),
    /** .npy: the ids file (one id a line); .npz: the ids array's name (null: 'ids'). */
    ids: text.nullable(),
    /** .npz: the feature array's name (null: the only 2-D one). */
    array: text.nullable(),
    /** impute: the training part's median per column (fitted per fold); drop: those utterances leave every system of the run; refuse: exit 2. */
    missing: oneOf(['impute', 'drop', 'refuse']),
  });
}

let cached: { key: string; schema: ReturnType<typeof buildSchema> } | undefined;

/** The run config schema, rebuilt when a model type or fusion rule is registered. */
export function configSchema(): ReturnType<typeof buildSchema> {
  const key = `${registryVersion()}:${fusionRegistryVersion()}`;
  if (cached?.key !== key) cached = { key, schema: buildSchema() };
  return cached.schema;
}

/** A fully resolved run configuration: every key present, paths absolute. */
export type Config = z.infer<ReturnType<typeof buildSchema>>;

/** Paths in the tree whose string values are file system paths (resolved while loading). */
export const PATH_KEYS = [
  'corpus.path',
  'features.text.embeddings',
  'features.text.file.path',
  'features.text.file.ids',
  'features.speech.smileBinary',
  'features.speech.file.path',
  'features.speech.file.ids',
  'features.speech.smileConfig',
  'features.cacheDir',
  'output.dir',
  'tracking.uri',
] as const;

/** Values of path keys that are names, not paths. */
export function isPathValue(key: string, value: string): boolean {
  // .npz: `ids` names an array inside the archive, not a file.
  if (key.endsWith('.file.ids')) return !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value) || /\.(txt|csv|tsv|json)$/.test(value);
  if (key === 'features.text.embeddings') return value !== 'wink';
  // A bare config name ("ComParE_2016") is looked up in opensmile's config dir.
  if (key === 'features.speech.smileConfig') return value.includes('/') || value.endsWith('.conf');
  // URIs (http://, sqlite:///, file://) stay as written.
  if (key === 'tracking.uri') return !/^[a-z][a-z0-9+.-]*:/i.test(value);
  return true;
}

export const sweepSchema = z.strictObject({
  /** Optional name; default: the sweep file's base name. Runs go to runs/sweep-<name>/. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ".", "_" or "-"').optional(),
  base: text,
  grid: z.record(z.string(), z.array(z.unknown(), { error: 'expected a list of values, e.g. [16, 32]' }).min(1, 'expected at least one value')),
  metric: oneOf(METRICS),
  split: z.literal('valid', {
    error: "expected 'valid': a sweep chooses hyperparameters on the validation split only; the test split is scored once per run and never used for a choice (honest protocol)",
  }),
  mode: oneOf(['max', 'min']).default('max'),
});
export type SweepFile = z.infer<typeof sweepSchema>;
