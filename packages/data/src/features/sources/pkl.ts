/** The corpus's own utterance vectors (the IEMOCAP features pickle holds text and audio vectors). */
import { EmofuseError, type Corpus, type FeatureMatrix } from '@emofuse/core';
import { registerFeatureSource, type Modality } from './registry.ts';

const field = (m: Modality) => (m === 'speech' ? 'audio' : 'text');

function vectorsOf(corpus: Corpus, modality: Modality): FeatureMatrix {
  const utts = corpus.utterances;
  const key = field(modality);
  const dim = utts[0]?.vectors?.[key]?.length ?? 0;
  const values = new Float32Array(utts.length * dim);
  utts.forEach((u, i) => {
    const v = u.vectors?.[key];
    if (!v || v.length !== dim) throw new EmofuseError(`utterance ${u.id} has ${v ? `a ${v.length}-d` : 'no'} ${key} vector, expected ${dim}-d`, { where: corpus.source });
    values.set(v, i * dim);
  });
  return { ids: utts.map((u) => u.id), dim, values };
}

registerFeatureSource({
  name: 'pkl',
  modalities: ['text', 'speech'],
  missingInput: (corpus, modality) => (corpus.utterances[0]?.vectors?.[field(modality)] ? undefined : `corpus ${corpus.name} (${corpus.source}) has no ${field(modality)} vectors`),
  extract: async (corpus, modality) => ({ features: vectorsOf(corpus, modality) }),
});
