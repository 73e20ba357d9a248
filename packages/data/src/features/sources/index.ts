// The built-in feature sources register themselves on import; a new one is one more file and one line here.
import './pkl.ts';
import './embeddings.ts';
import './tfidf.ts';
import './opensmile.ts';
import './file-source.ts';

export { registerFeatureSource, featureSource, featureSourceNames } from './registry.ts';
export type { FeatureSource, SourceContext, SourceOutput, SourceProgress, Modality } from './registry.ts';
export type { EmbeddingSourceOptions } from './embeddings.ts';
export type { OpensmileSourceOptions } from './opensmile.ts';
