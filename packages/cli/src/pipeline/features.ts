/**
 * Features for a run: corpus-level extraction (cached on disk) and per-fold transforms that are
 * fitted on the fold's training part only and applied unchanged to validation and test.
 */
import {
  InputError, pickRows,
  type Corpus, type FeatureMatrix, type SequenceMatrix, type SparseMatrix, type Split, type TokenSequences,
} from '@emofuse/core';
import {
  FeatureCache, featureSource, fileCoverage, fitSpeechTransform, formatFileReport, MedianImputer, TfidfVectorizer,
  type FileFeatures, type OovStats, type PipelineJSON, type TransformJSON, type TfidfJSON,
} from '@emofuse/data';
import { modalitiesOf, type DialogueIndex, type ModelInputs } from '@emofuse/models/config';
import type { Config } from '../config/schema.ts';
import type { RunContext } from '../context.ts';
import { atConfigKey } from '../errors.ts';

export interface CorpusFeatures {
  /** Word-vector sequences (source embeddings), token ids (trainable) or utterance vectors (source pkl). */
  text?: SequenceMatrix | TokenSequences | FeatureMatrix | SparseMatrix;
  /** Raw speech features (before normalisation and selection). */
  speech?: FeatureMatrix;
  textStats?: OovStats;
  /** source tfidf: each utterance's transcript; the vectorizer is fitted per fold on its training part. */
  texts?: ReadonlyMap<string, string>;
  /** Feature files read for a modality (source file), with their missing-value accounting. */
  files: Partial<Record<'text' | 'speech', FileFeatures>>;
  /** Utterances dropped because their features could not be made (unreadable WAV, ...). */
  dropped: { id: string; reason: string }[];
  cacheHits: string[];
}

const MODALITIES = ['text', 'speech'] as const;

/** The registered source a modality's config names; an unknown name is the config's error (exit 2, the known ones listed). */
function sourceOf(config: Config, modality: 'text' | 'speech') {
  try {
    return featureSource(config.features[modality].source, modality);
  } catch (e) {
    throw atConfigKey(e, `features.${modality}.source`);
  }
}

/** A source's error seen from the config: the key that chose the failing input, and the CLI's own hints. */
function sourceErrorAtKey(e: unknown, modality: 'text' | 'speech', config: Config): unknown {
  const opts = config.features[modality];
  if (opts.source === 'embeddings') {
    const t = config.features.text;
    return atConfigKey(e, 'features.text.embeddings', t.embeddings === 'wink' ? 'or set features.text.embeddings to a .vec file' : undefined);
  }
  if (opts.source === 'opensmile') {
    // A missing Python or opensmile: the clone's setup script makes one.
    const noPython = e instanceof Error && /\bPython\b/.test(e.message);
    return atConfigKey(e, 'features.speech', noPython ? 'in the emofuse clone, `bash scripts/setup.sh` makes .venv with opensmile; `emofuse doctor` checks it' : '`emofuse doctor` checks SMILExtract');
  }
  return atConfigKey(e, `features.${modality}`);
}

/** What to do when a source cannot read the corpus, by source (the sources themselves never name config keys). */
const MISSING_FIX: Record<string, string> = {
  pkl: 'use corpus.type iemocap-features with your IEMOCAP_features_raw.pkl, or another features.<modality>.source',
  opensmile: 'give the raw release (corpus.type iemocap-raw, corpus.path <IEMOCAP_full_release>) or the features pickle (corpus.type iemocap-features, features.speech.source pkl), or a feature file (features.speech.source file), or run the text systems only (systems: [text-lstm])',
  embeddings: 'run the speech systems only, or give a corpus with transcripts',
  tfidf: 'run the speech systems only, or give a corpus with transcripts',
};

/**
 * Refuse, before any work starts, a run whose systems need an input the corpus does not have
 * (e.g. the speech CNN on the transcripts-only iemocap.pkl): each modality's source says what it lacks.
 */
export function checkInputsAvailable(corpus: Corpus, config: Config, systems: readonly string[]): void {
  const need = modalitiesOf(systems);
  for (const modality of MODALITIES) {
    if (!need[modality]) continue;
    const { source } = config.features[modality];
    const problem = sourceOf(config, modality).missingInput?.(corpus, modality, config.features[modality] as never);
    if (!problem) continue;
    const readers = systems.filter((s) => modalitiesOf([s])[modality]);
    throw new InputError(`${readers.join(', ')} need ${modality} features (features.${modality}.source ${source}), but ${problem}`, {
      where: `features.${modality}.source`,
      fix: MISSING_FIX[source] ?? `choose another features.${modality}.source`,
    });
  }
}

/** Extract (or read from the cache) every feature the run's systems need, for the whole corpus, through each modality's registered source. */
export async function corpusFeatures(corpus: Corpus, config: Config, systems: readonly string[], ctx: RunContext): Promise<CorpusFeatures> {
  const need = modalitiesOf(systems);
  const cache = new FeatureCache(config.features.cacheDir, { onWarning: ctx.warn });
  cache.removeStrayTemps();
  const out: CorpusFeatures = { dropped: [], cacheHits: [], files: {} };
  for (const modality of MODALITIES) {
    if (!need[modality]) continue;
    const opts = config.features[modality];
    const source = sourceOf(config, modality);
    let r;
    try {
      r = await source.extract(corpus, modality, opts as never, {
        cache, log: ctx.log, warn: ctx.warn, progress: ctx.progress, signal: ctx.signal, where: `features.${modality}`,
      });
    } catch (e) {
      throw sourceErrorAtKey(e, modality, config);
    }
    if (r.cacheHit) out.cacheHits.push(modality);
    if (r.file) out.files[modality] = r.file;
    out.dropped.push(...(r.dropped ?? []));
    if (modality === 'text') {
      out.text = r.features;
      out.textStats = r.stats;
      out.texts = r.texts;
    } else out.speech = r.features as FeatureMatrix;
  }
  return out;
}

export interface FoldInputs {
  /** Every utterance of the fold (train, valid, test), normalised with training statistics. */
  all: ModelInputs;
  /** Fitted speech transform, saved with the run (null without speech). */
  speechTransform: PipelineJSON | null;
  /** Fitted text transform (TF-IDF vocabulary and idf, or a feature file's imputer), saved with the run. */
  textTransform: TfidfJSON | TransformJSON | null;
}

/**
 * Fit normalisation and selection on the fold's training part only (they never see validation or
 * test rows), then apply the fitted transform unchanged to every row of the fold.
 */
export function foldInputs(feats: CorpusFeatures, split: Split, labels: ReadonlyMap<string, string>, config: Config, dialogues?: DialogueIndex): FoldInputs {
  const ids = [...split.train, ...split.valid, ...split.test];
  const all: ModelInputs = { dialogues };
  let textTransform: FoldInputs['textTransform'] = null;
  if (feats.texts) {
    const texts = feats.texts;
    let vec: TfidfVectorizer;
    try {
      vec = new TfidfVectorizer(config.features.text.tfidf).fit(split.train.map((id) => texts.get(id)!));
    } catch (e) {
      throw atConfigKey(e, 'features.text.tfidf');
    }
    all.text = vec.apply(ids, ids.map((id) => texts.get(id)!)) as SparseMatrix;
    textTransform = vec.toJSON();
  } else if (feats.text && feats.files.text) {
    const imputer = new MedianImputer().fit(pickRows(feats.text as FeatureMatrix, split.train));
    all.text = imputer.apply(pickRows(feats.text as FeatureMatrix, ids));
    textTransform = imputer.toJSON();
  } else if (feats.text) all.text = pickRows(feats.text, ids);
  let speechTransform: PipelineJSON | null = null;
  if (feats.speech) {
    const pipe = fitSpeechTransform(pickRows(feats.speech, split.train), split.train.map((id) => labels.get(id)!), { ...config.features.speech, impute: !!feats.files.speech });
    all.speech = pipe.apply(pickRows(feats.speech, ids));
    speechTransform = pipe.toJSON();
  }
  return { all, speechTransform, textTransform };
}

/** Each utterance's dialogue and position in it (corpus order where the reader gives none). */
export function dialogueIndex(corpus: Corpus): DialogueIndex {
  const dialogue = new Map<string, string>();
  const order = new Map<string, number>();
  const seen = new Map<string, number>();
  for (const u of corpus.utterances) {
    const n = seen.get(u.dialogue) ?? 0;
    seen.set(u.dialogue, n + 1);
    dialogue.set(u.id, u.dialogue);
    order.set(u.id, (u as { order?: number }).order ?? n);
  }
  return { dialogue, order };
}

/** meta.json's record of each feature file: content hash, policy and, per fold, the counts per split part. */
export function featureFileSummary(feats: CorpusFeatures, folds: readonly Split[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(feats.files).map(([modality, f]) => [modality, {
    file: f.file, format: f.format, sha256: f.contentHash, columns: f.columns.length, missing: f.policy,
    unknownIds: f.unknownIds.length, noRow: f.noRow.length, withMissing: f.withMissing.length, dropped: f.dropped.length,
    folds: Object.fromEntries(folds.map((s) => [s.fold ?? 'main', fileCoverage(f, s)])),
  }]));
}

/** The same as tracked params (flat keys; counts per split part of the first fold). */
export function featureFileParams(feats: CorpusFeatures, split: Split): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [modality, f] of Object.entries(feats.files)) {
    const k = `features.${modality}.file`;
    out[`${k}.sha256`] = f.contentHash;
    out[`${k}.unknown_ids`] = f.unknownIds.length;
    const cov = fileCoverage(f, split);
    for (const part of ['train', 'valid', 'test'] as const) {
      out[`${k}.${part}.no_row`] = cov[part].noRow;
      out[`${k}.${part}.with_missing`] = cov[part].withMissing;
    }
    out[`${k}.dropped`] = f.dropped.length;
  }
  return out;
}

/**
 * What `run --dry-run` says about each feature file the run reads: ids matched per split part,
 * ids unknown to the corpus, missing and constant columns (checked exactly as a run checks them).
 */
export async function previewFeatureFiles(config: Config, corpus: Corpus, split: Split, systems: readonly string[]): Promise<string[]> {
  const need = modalitiesOf(systems);
  const out: string[] = [];
  for (const modality of MODALITIES) {
    if (!need[modality]) continue;
    const opts = config.features[modality];
    const f = await sourceOf(config, modality).preview?.(corpus, modality, opts as never, `features.${modality}`);
    if (f) out.push(formatFileReport(f, split, `features.${modality}.file`));
  }
  return out;
}
