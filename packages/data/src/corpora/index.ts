export { readIemocapPickle, IEMOCAP_CLASSES, positionalId } from './iemocap.ts';
export { readIemocapFeaturesPickle } from './iemocapFeatures.ts';
export { readIemocapRelease } from './iemocapRelease.ts';
export { readEmodb, EMODB_CLASSES, EMODB_CODES } from './emodb.ts';
export { readManifest, MANIFEST_REQUIRED, MANIFEST_OPTIONAL, type ManifestOptions } from './manifest.ts';
export { readCorpus, CORPUS_TYPES, type CorpusType, type CorpusConfig } from './readCorpus.ts';
export { loadPickle, NdArray } from './pickle.ts';
export { checkCorpus } from './checkCorpus.ts';
export * from '../splits/index.ts';
