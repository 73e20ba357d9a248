/**
 * Feature sources: where a modality's corpus-level features come from (openSMILE over WAVs, a
 * corpus's own vectors, word embeddings, TF-IDF, a feature file, later pretrained encoders). Each
 * is one file that registers itself here, as a model type does; the CLI asks for the source its
 * config names and never switches on the name.
 */
import { InputError, type Corpus, type FeatureMatrix, type SequenceMatrix, type TokenSequences } from '@emofuse/core';
import type { FeatureCache } from '../cache.ts';
import type { OovStats } from '../text/embeddings.ts';
import type { FileFeatures } from './file.ts';

export type Modality = 'text' | 'speech';

/** A progress display for one long step (the CLI passes a bar; `stop()` always, even on error). */
export interface SourceProgress {
  tick(n?: number, label?: string): void;
  stop(): void;
}

export interface SourceContext {
  cache: FeatureCache;
  log(message: string): void;
  warn(message: string): void;
  progress?(label: string, total: number): SourceProgress;
  signal?: AbortSignal;
  /** Where the source's options sit, for messages (e.g. the config key `features.speech`). */
  where: string;
}

export interface SourceOutput {
  /** One row (or sequence) per utterance, corpus order. */
  features?: FeatureMatrix | SequenceMatrix | TokenSequences;
  /** A per-fold source (TF-IDF) hands over each utterance's text; it is fitted on each training part. */
  texts?: ReadonlyMap<string, string>;
  /** A feature file, with its missing-value accounting (its cells are imputed per fold). */
  file?: FileFeatures;
  stats?: OovStats;
  /** Utterances whose features could not be made (an unreadable WAV, no row under `drop`). */
  dropped?: { id: string; reason: string }[];
  cacheHit?: boolean;
}

export interface FeatureSource<O = Record<string, unknown>> {
  name: string;
  modalities: readonly Modality[];
  /** What the corpus lacks for this source, or undefined when it has what the source reads. */
  missingInput?(corpus: Corpus, modality: Modality, opts: O): string | undefined;
  extract(corpus: Corpus, modality: Modality, opts: O, ctx: SourceContext): Promise<SourceOutput>;
  /** For a dry run: what the source would read, checked as a run checks it (feature files). */
  preview?(corpus: Corpus, modality: Modality, opts: O, where: string): Promise<FileFeatures | undefined>;
}

const sources = new Map<string, FeatureSource>();

export function registerFeatureSource<O>(source: FeatureSource<O>): void {
  sources.set(source.name, source as unknown as FeatureSource);
}

export function featureSource(name: string, modality?: Modality): FeatureSource {
  const s = sources.get(name);
  if (!s || (modality && !s.modalities.includes(modality))) {
    const known = [...sources.values()].filter((x) => !modality || x.modalities.includes(modality)).map((x) => x.name);
    throw new InputError(`no feature source ${JSON.stringify(name)}${modality ? ` for ${modality}` : ''}`, { fix: `choose one of: ${known.join(', ')} (or name the file that registers it under plugins:)` });
  }
  return s;
}

export function featureSourceNames(modality?: Modality): string[] {
  return [...sources.values()].filter((x) => !modality || x.modalities.includes(modality)).map((x) => x.name);
}
