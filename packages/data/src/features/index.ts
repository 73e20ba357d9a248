export { tokenize, TOKENIZER_VERSION } from './text/tokenize.ts';
export {
  loadWinkEmbeddings, loadVecFile, winkEmbeddingsFile, embedSequences, embedTokens, embedMean, lookupToken, vocabularyOf, corpusVocabulary, embeddingCacheInputs, BACKOFF,
} from './text/embeddings.ts';
export type { WordEmbeddings, OovStats, EmbedOptions } from './text/embeddings.ts';
export { readWavHeader } from './speech/wav.ts';
export type { WavInfo } from './speech/wav.ts';
export {
  extractOpensmile, locateOpensmile, resolveSmileConfig, opensmileProgressBar, opensmileCacheInputs, defaultPython, KNOWN_DIMS,
} from './speech/opensmile.ts';
export type { OpensmileOptions, OpensmileResult, OpensmileInstall, ExtractFailure, ExtractProgress } from './speech/opensmile.ts';
export { MedianImputer, MinMaxScaler, ZScoreScaler, L2Selector, Pipeline, transformFromJSON, fitSpeechTransform } from './transforms.ts';
export type { Transform, TransformJSON, MedianImputeJSON, MinMaxJSON, ZScoreJSON, L2SelectorJSON, L2SelectorOptions, PipelineJSON, SpeechTransformOptions } from './transforms.ts';
export { FeatureCache, contentHash, featureCacheKey, fileStamp } from './cache.ts';
export type { CachedValue, FileStamp } from './cache.ts';
export { TfidfVectorizer, TFIDF_DEFAULTS } from './text/tfidf.ts';
export type { TfidfOptions, TfidfJSON } from './text/tfidf.ts';
export { readFeatureFile, FEATURE_FILE_FORMATS } from './files/index.ts';
export type { FeatureFileFormat, FeatureFileOptions, FeatureTable } from './files/index.ts';
export { fileFeatures, fileCoverage, formatFileReport } from './sources/file.ts';
export type { FileFeatures, FeatureFileConfig, MissingPolicy } from './sources/file.ts';
export { registerFeatureSource, featureSource, featureSourceNames } from './sources/index.ts';
export type { FeatureSource, SourceContext, SourceOutput, SourceProgress, Modality, EmbeddingSourceOptions, OpensmileSourceOptions } from './sources/index.ts';
