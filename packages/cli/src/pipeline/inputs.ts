import { underOption, type Corpus, type Split } from '@emofuse/core';
import { makeFolds, readCorpus, splitOptionsFromConfig } from '@emofuse/data';
import type { Config } from '../config/schema.ts';
import { atConfigOption } from '../errors.ts';

/** The corpus a config names; an error about one of its options names the `corpus.*` key. */
export function readConfigCorpus(config: Pick<Config, 'corpus'>): Corpus {
  const c = config.corpus;
  try {
    return readCorpus({ type: c.type, path: c.path, classes: c.classes ?? undefined, name: c.name ?? undefined });
  } catch (e) {
    throw atConfigOption(e, 'corpus');
  }
}

/** One seed's folds of the config's split; an error names the `split.*` key (or `seeds`). */
export function configFolds(corpus: Corpus, config: Pick<Config, 'split'>, seed: number, onWarning: (message: string) => void): Split[] {
  try {
    return makeFolds(corpus, splitOptionsFromConfig(config.split, seed, onWarning));
  } catch (e) {
    throw atConfigOption(underOption(e, (option) => (option === 'seed' ? 'seeds' : `split.${option}`)));
  }
}
