import type { Corpus, Split } from '@emofuse/core';
import { corpusFromConfig, foldsFromConfig } from '@emofuse/data';
import type { Config } from '../config/schema.ts';
import { atConfigOption } from '../errors.ts';

/** The corpus a config names; an error about one of its options names the `corpus.*` key. */
export function readConfigCorpus(config: Pick<Config, 'corpus'>): Corpus {
  try {
    return corpusFromConfig(config);
  } catch (e) {
    throw atConfigOption(e);
  }
}

/** One seed's folds of the config's split; an error names the `split.*` key (or `seeds`). */
export function configFolds(corpus: Corpus, config: Pick<Config, 'split'>, seed: number, onWarning: (message: string) => void): Split[] {
  try {
    return foldsFromConfig(corpus, config, seed, onWarning);
  } catch (e) {
    throw atConfigOption(e);
  }
}
