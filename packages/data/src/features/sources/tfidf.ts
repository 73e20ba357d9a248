/** TF-IDF of the transcripts: nothing is computed for the corpus; the vectorizer is fitted on each fold's training part. */
import type { TfidfOptions } from '../text/tfidf.ts';
import { registerFeatureSource } from './registry.ts';

registerFeatureSource<{ tfidf: TfidfOptions }>({
  name: 'tfidf',
  modalities: ['text'],
  missingInput: (corpus) => (corpus.utterances.every((u) => !u.text.trim()) ? `every utterance of corpus ${corpus.name} has empty text` : undefined),
  async extract(corpus, _modality, opts, ctx) {
    ctx.log(`text: TF-IDF of word ${opts.tfidf.ngrams.join('-')}-grams, fitted on each fold's training part`);
    return { texts: new Map(corpus.utterances.map((u) => [u.id, u.text])) };
  },
});
