import { underOption, type Corpus, type Split } from '@emofuse/core';
import { readCorpus, type CorpusConfig } from '../corpora/readCorpus.ts';
import { makeFolds, type FoldOptions } from './makeSplit.ts';
import { formatSplitSummary } from './summary.ts';

/** The `split:` block of a run config, as far as the data package reads it. */
export interface SplitConfig {
  protocol: string;
  validFraction?: number;
  folds?: 'all' | string[];
  /** refuse (default) | warn. */
  speakerLeakage?: string;
  /** holdout: the held-out sessions or groups. */
  test?: string[] | null;
}

/** makeFolds options from the config's split block (one place, so run and dry-run agree). */
export function splitOptionsFromConfig(split: SplitConfig, seed: number, onWarning?: (message: string) => void): FoldOptions {
  return {
    protocol: split.protocol,
    validFraction: split.validFraction,
    seed,
    folds: split.folds,
    ...(split.speakerLeakage !== undefined ? { speakerLeakage: split.speakerLeakage } : {}),
    ...(split.test ? { test: split.test } : {}),
    ...(onWarning ? { onWarning } : {}),
  };
}

export interface InputsPreview {
  corpus: Corpus;
  /** seed -> its folds. */
  folds: Map<number, Split[]>;
  /** The corpus line and the first seed's per-fold class tables, ready to print. */
  text: string;
}

/**
 * Read and check the corpus a config names and make every seed's folds, without features: what
 * `run --dry-run` does so that a bad corpus or split fails there, not after the first model.
 * Throws the readers' and makeSplit's InputErrors, their option named within `config`
 * (`corpus.path`, `split.test`, `seeds`); warnings (each once) go to onWarning.
 */
export function previewInputs(
  config: { corpus: { type: string; path: string; classes?: string[] | null; name?: string | null }; split: SplitConfig; seeds: number[] },
  opts: { baseDir?: string; onWarning?: (message: string) => void } = {},
): InputsPreview {
  const cfg: CorpusConfig = { type: config.corpus.type, path: config.corpus.path, classes: config.corpus.classes ?? undefined, name: config.corpus.name ?? undefined };
  let corpus: Corpus;
  try {
    corpus = readCorpus(cfg, { baseDir: opts.baseDir });
  } catch (e) {
    throw underOption(e, 'corpus');
  }
  const seen = new Set<string>();
  const warn = (m: string) => {
    // Warnings differ per seed only by the seed's validation draw; say each once.
    if (seen.has(m)) return;
    seen.add(m);
    (opts.onWarning ?? ((x: string) => process.stderr.write(`warning: ${x}\n`)))(m);
  };
  const folds = new Map<number, Split[]>();
  for (const seed of config.seeds) {
    try {
      folds.set(seed, makeFolds(corpus, splitOptionsFromConfig(config.split, seed, warn)));
    } catch (e) {
      // makeFolds' one seed is an entry of this call's seeds.
      throw underOption(e, (option) => (option === 'seed' ? 'seeds' : `split.${option}`));
    }
  }
  const first = folds.get(config.seeds[0]) ?? [];
  const counts = new Map<string, number>();
  for (const u of corpus.utterances) counts.set(u.label, (counts.get(u.label) ?? 0) + 1);
  const text = [
    `corpus ${corpus.name}: ${corpus.utterances.length} utterances, ${new Set(corpus.utterances.map((u) => u.speaker)).size} speakers, ` +
      `${corpus.classes.length} classes in this order: ${corpus.classes.map((c) => `${c} ${counts.get(c) ?? 0}`).join(', ')} (${corpus.source})`,
    ...first.map((s) => formatSplitSummary(corpus, s)),
    ...(config.seeds.length > 1 ? [`(seeds ${config.seeds.slice(1).join(', ')} were split and checked too; their validation parts are drawn by their own seeds)`] : []),
  ].join('\n');
  return { corpus, folds, text };
}
