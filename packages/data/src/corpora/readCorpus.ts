import { existsSync } from 'node:fs';
import path from 'node:path';
import { CORPUS_TYPES, InputError, asInputError, isEmofuseError, type Corpus, type CorpusType } from '@emofuse/core';
import { readEmodb } from './emodb.ts';
import { readIemocapPickle } from './iemocap.ts';
import { readIemocapFeaturesPickle } from './iemocapFeatures.ts';
import { readIemocapRelease } from './iemocapRelease.ts';
import { readManifest } from './manifest.ts';

/** What corpus to read: its reader (`type`), its file or folder, and a manifest's options. */
export interface CorpusConfig {
  type: string;
  path: string;
  /** manifest only: class order. */
  classes?: string[];
  /** manifest only: corpus name. */
  name?: string;
}

/**
 * Read the corpus `cfg` names. Relative paths resolve against `baseDir` (default: the cwd).
 * An error about one of `cfg`'s fields names it as its `option` (`type`, `path`, `classes`), so an
 * application can say which of its own settings to edit.
 */
export function readCorpus(cfg: CorpusConfig, opts: { baseDir?: string } = {}): Corpus {
  if (!(CORPUS_TYPES as readonly string[]).includes(cfg.type)) {
    throw new InputError(`unknown corpus type ${JSON.stringify(cfg.type)}; valid types: ${CORPUS_TYPES.join(', ')}`, {
      option: 'type',
      fix: `set the corpus type to one of ${CORPUS_TYPES.join(' | ')}`,
    });
  }
  if (typeof cfg.path !== 'string' || cfg.path === '') {
    throw new InputError('no corpus path given', { option: 'path', fix: 'give the path of the corpus file or folder' });
  }
  const p = path.resolve(opts.baseDir ?? process.cwd(), cfg.path);
  if (!existsSync(p)) {
    throw new InputError(`corpus path ${p} does not exist`, {
      option: 'path',
      fix: `set the corpus path (now ${JSON.stringify(cfg.path)}) to an existing ${cfg.type === 'iemocap-raw' || cfg.type === 'emodb' ? 'folder' : 'file'}; relative paths resolve against ${opts.baseDir ?? process.cwd()}`,
    });
  }
  try {
    return readByType(cfg, p);
  } catch (e) {
    if (isEmofuseError(e)) throw asInputError(e);
    // A pickle is arbitrary Python data: a structure the reader did not expect can surface as a
    // TypeError deep inside it. Blame the file, keep the original for the curious.
    if (cfg.type === 'iemocap' || cfg.type === 'iemocap-features') {
      throw new InputError(`the pickle does not have the structure corpus type ${cfg.type} expects (${(e as Error).message ?? String(e)})`, {
        where: p,
        fix: cfg.type === 'iemocap' ? 'pass iemocap.pkl (the 6-item metadata pickle)' : 'pass IEMOCAP_features_raw.pkl (the 9-tuple)',
        cause: e,
      });
    }
    throw e;
  }
}

function readByType(cfg: CorpusConfig, p: string): Corpus {
  switch (cfg.type as CorpusType) {
    case 'iemocap':
      return readIemocapPickle(p);
    case 'iemocap-features':
      return readIemocapFeaturesPickle(p);
    case 'iemocap-raw':
      return readIemocapRelease(p);
    case 'emodb':
      return readEmodb(p);
    case 'manifest':
      return readManifest(p, { classes: cfg.classes, name: cfg.name });
  }
  throw new InputError(`unknown corpus type ${JSON.stringify(cfg.type)}`, { option: 'type' });
}
