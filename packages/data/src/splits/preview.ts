import { underOption, type Corpus, type Split } from '@emofuse/core';
import { readCorpus } from '../corpora/readCorpus.ts';
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

/** The `corpus:` block of a run config, as far as the data package reads it. */
export interface CorpusBlock {
  type: string;
  path: string;
  classes?: string[] | null;
  name?: string | null;
}

/** The corpus a config's `corpus:` block names; an error's option is named within the config (`corpus.path`). */
export function corpusFromConfig(config: { corpus: CorpusBlock }, opts: { baseDir?: string } = {}): Corpus {
  const c = config.corpus;
  try {
    return readCorpus({ type: c.type, path: c.path, classes: c.classes ?? undefined, name: c.name ?? undefined }, opts);
  } catch (e) {
    throw underOption(e, 'corpus');
  }
}

/** One seed's folds of a config's `split:` block; an error's option is named within the config (`split.test`, `seeds`). */
export function foldsFromConfig(corpus: Corpus, config: { split: SplitConfig }, seed: number, onWarning?: (message: string) => void): Split[] {
  try {
    return makeFolds(corpus, splitOptionsFromConfig(config.split, seed, onWarning));
  } catch (e) {
    // makeFolds' one seed is an entry of the config's seeds.
    throw underOption(e, (option) => (option === 'seed' ? 'seeds' : `split.${option}`));
  }
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
  config: { corpus: CorpusBlock; split: SplitConfig; seeds: number[] },
  opts: { baseDir?: string; onWarning?: (message: string) => void } = {},
): InputsPreview {
  const corpus = corpusFromConfig(config, { baseDir: opts.baseDir });
  const seen = new Set<string>();
  const warn = (m: string) => {
    // Warnings differ per seed only by the seed's validation draw; say each once.
    if (seen.has(m)) return;
    seen.add(m);
    (opts.onWarning ?? ((x: string) => process.stderr.write(`warning: ${x}\n`)))(m);
  };
  const folds = new Map<number, Split[]>();
  for (const seed of config.seeds) folds.set(seed, foldsFromConfig(corpus, config, seed, warn));
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
