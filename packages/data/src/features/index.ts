export { tokenize, TOKENIZER_VERSION, KEPT_MARKUP } from './text/tokenize.ts';
export {
  loadWinkEmbeddings, loadVecFile, winkEmbeddingsFile, embedSequences, embedTokens, embedMean, lookupToken, vocabularyOf, corpusVocabulary, embeddingCacheInputs, BACKOFF,
} from './text/embeddings.ts';
export type { WordEmbeddings, OovStats, EmbedOptions } from './text/embeddings.ts';
export { readWavHeader } from './speech/wav.ts';
export type { WavInfo } from './speech/wav.ts';
export {
  extractOpensmile, locateOpensmile, resolveSmileConfig, smileArgs, smileSharedArgs, opensmileProgressBar, opensmileCacheInputs, defaultPython, KNOWN_DIMS, SMILEXTRACT_SHIM, FUNC_CSV_SINK,
} from './speech/opensmile.ts';
export type { OpensmileOptions, OpensmileResult, OpensmileInstall, ExtractFailure, ExtractProgress } from './speech/opensmile.ts';
export { MedianImputer, MinMaxScaler, ZScoreScaler, L2Selector, Pipeline, transformFromJSON, fitSpeechTransform } from './transforms.ts';
export { softmaxL2, softmaxL2Sparse, lbfgs, type SolverResult } from './solver.ts';
export type { Transform, TransformJSON, MedianImputeJSON, MinMaxJSON, ZScoreJSON, L2SelectorJSON, L2SelectorOptions, PipelineJSON, SpeechTransformOptions } from './transforms.ts';
export { FeatureCache, contentHash, featureCacheKey, fileStamp, encodeArrow, decodeArrow, FEATURE_CACHE_VERSION } from './cache.ts';
export type { CachedValue, FileStamp } from './cache.ts';
export { TfidfVectorizer, TFIDF_DEFAULTS } from './text/tfidf.ts';
export type { TfidfOptions, TfidfJSON } from './text/tfidf.ts';
export { readFeatureFile, FEATURE_FILE_FORMATS } from './files/index.ts';
export type { FeatureFileFormat, FeatureFileOptions, FeatureTable } from './files/index.ts';
export { fileFeatures, alignTable, fileCoverage, formatFileReport } from './sources/file.ts';
export type { FileFeatures, FeatureFileConfig, MissingPolicy } from './sources/file.ts';
export { registerFeatureSource, featureSource, featureSourceNames } from './sources/index.ts';
export type { FeatureSource, SourceContext, SourceOutput, SourceProgress, Modality, EmbeddingSourceOptions, OpensmileSourceOptions } from './sources/index.ts';
