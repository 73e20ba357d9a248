/**
 * The memory check of a run (issue #26, item 13), before any feature is computed or run created:
 * the input shapes the features will have are worked out from the config and the corpus (cheaply,
 * nothing is extracted), and @emofuse/models' checkModelMemory builds every system once with them.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Corpus } from '@emofuse/core';
import { corpusVocabulary } from '@emofuse/data';
import { readConfigCorpus } from './inputs.ts';
import { checkModelMemory, inputSpecFor, type ModelInputs } from '@emofuse/models';
import type { Config } from '../config/schema.ts';
import { systemsToTrain } from './systems.ts';

/** ComParE 2016 functionals: openSMILE's output before selection (features.speech.select 0 keeps them all). */
const COMPARE_FUNCTIONALS = 6373;

/** Refuses (InputError, exit 2) a run whose models cannot be trained in this machine's memory; warns when it is tight. */
export function checkRunMemory(config: Config, corpus: Corpus, systems: readonly string[], warn: (m: string) => void): void {
  const { inputs, vocabulary } = expectedInputs(config, corpus);
  // A file's columns or a plugin source's output are not known before they are read.
  const known = ['embeddings', 'pkl', 'tfidf', 'opensmile'];
  const guessedShapes = !known.includes(config.features.text.source) || !known.includes(config.features.speech.source);
  const r = checkModelMemory({
    systems, classes: corpus.classes, input: (s) => inputSpecFor(s, inputs), model: config.model, textVocabulary: vocabulary, guessedShapes,
  });
  if (r.warning) warn(r.warning);
}

/** The same check for every config of a launch whose tasks run in worker processes here (--jobs N): refused once, before any worker starts. */
export function checkLaunchMemory(configs: Iterable<Config>, warn: (m: string) => void): void {
  const corpora = new Map<string, Corpus>();
  for (const c of configs) {
    const key = JSON.stringify(c.corpus);
    if (!corpora.has(key)) corpora.set(key, readConfigCorpus(c));
    checkRunMemory(c, corpora.get(key)!, systemsToTrain(c), warn);
  }
}

/**
 * Stand-ins with the shapes the run's features will have: only `dim`, `steps` and the vocabulary
 * size matter to a model's size. A shape that cannot be known without reading the data (a feature
 * file's columns) is taken as 1, so the check never overstates; a model that cannot be built on
 * such a guess is left unchecked (its real build reports its own problem).
 */
function expectedInputs(config: Config, corpus: Corpus): { inputs: ModelInputs; vocabulary?: Float32Array } {
  const u = corpus.utterances[0];
  const t = config.features.text;
  const s = config.features.speech;
  const matrix = (dim: number) => ({ ids: [], dim, values: new Float32Array(0) }) as unknown as ModelInputs['speech'];
  const inputs: ModelInputs = {};
  let vocabulary: Float32Array | undefined;
  if (t.source === 'embeddings') {
    const dim = t.embeddings === 'wink' ? 100 : vecDim(t.embeddings);
    if (t.trainable) {
      // every corpus word, the padding and the unknown token: at least the vocabulary the run embeds
      const size = corpusVocabulary(corpus.utterances).size + 2;
      vocabulary = new Float32Array(size * dim);
      inputs.text = { ...matrix(dim), steps: t.maxTokens, lengths: new Int32Array(0), vocabulary: { dim, words: new Array<string>(size).fill(''), vectors: vocabulary, fingerprint: 'memory-check' } } as unknown as ModelInputs['text'];
    } else inputs.text = { ...matrix(dim), steps: t.maxTokens, lengths: new Int32Array(0) } as unknown as ModelInputs['text'];
  } else {
    const dim = t.source === 'pkl' ? (u?.vectors?.text?.length ?? 1)
      : t.source === 'tfidf' ? (t.tfidf.maxFeatures ?? corpusVocabulary(corpus.utterances).size) : 1;
    inputs.text = matrix(dim);
  }
  const raw = s.source === 'pkl' ? (u?.vectors?.audio?.length ?? 1) : s.source === 'opensmile' ? COMPARE_FUNCTIONALS : 1;
  inputs.speech = matrix(s.select > 0 ? Math.min(s.select, raw) : raw);
  return { inputs, vocabulary };
}

/** The dimension of a .vec / GloVe text file, from its first line ("<words> <dim>" header or a vector). */
function vecDim(file: string): number {
  try {
    const fd = openSync(file, 'r');
    const buf = Buffer.alloc(1 << 16);
    const n = readSync(fd, buf, 0, buf.length, 0);
    closeSync(fd);
    const first = buf.subarray(0, n).toString('utf8').split('\n')[0].trim().split(/\s+/);
    return first.length === 2 ? Number(first[1]) || 1 : Math.max(1, first.length - 1);
  } catch {
    return 1; // unreadable here: the feature step reports it
  }
}
