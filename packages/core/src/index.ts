export { EmofuseError, InputError, isEmofuseError, isInputError, asInputError, type ErrorKind } from './errors.ts';
export type { Utterance, Corpus, FeatureMatrix, SequenceMatrix, Posteriors, Split, SplitProtocol } from './contracts.ts';
export { checkFeatureMatrix, checkPosteriors, checkSplit, checkUniqueIds } from './contracts.ts';
export { writeFileAtomic, writeJsonAtomic, buildDirAtomic } from './fs.ts';
export { makeRng, shuffled } from './rng.ts';
export { stableStringify, fingerprint } from './hash.ts';
export type { RunRecord, RunStatus, MetricPoint } from './runs.ts';
export { METRIC_NAMES, BASIC_SCORERS, confusionCounts, scoreConfusion, labelIndices, argmaxRows, type MetricName, type Scorer } from './scoring.ts';
