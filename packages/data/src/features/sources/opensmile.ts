/**
 * openSMILE over the corpus's WAV files (one long-lived extractor per worker). Cached by every
 * WAV's content, the config and the program; only a complete extraction is cached, so a file
 * fixed later is extracted again.
 */
import { EmofuseError, type FeatureMatrix } from '@emofuse/core';
import { featureCacheKey } from '../cache.ts';
import { extractOpensmile, opensmileCacheInputs } from '../speech/opensmile.ts';
import { registerFeatureSource } from './registry.ts';

export interface OpensmileSourceOptions {
  smileBinary: string | null;
  smileConfig: string;
  workers: number;
}

registerFeatureSource<OpensmileSourceOptions>({
  name: 'opensmile',
  modalities: ['speech'],
  missingInput: (corpus) => (corpus.utterances[0]?.wav ? undefined : `corpus ${corpus.name} (${corpus.source}) has no WAV files: it holds transcripts and labels only`),
  async extract(corpus, _modality, s, ctx) {
    const withWav = corpus.utterances.filter((u) => u.wav);
    const key = featureCacheKey(opensmileCacheInputs(withWav, { binary: s.smileBinary ?? undefined, config: s.smileConfig }));
    const hit = ctx.cache.get<FeatureMatrix>(key);
    if (hit) {
      ctx.log(`speech: feature cache hit (${ctx.cache.pathFor(key)})`);
      return { features: hit, cacheHit: true };
    }
    const bar = ctx.progress?.(`openSMILE ${s.smileConfig}`, withWav.length);
    let r;
    try {
      r = await extractOpensmile(withWav, {
        binary: s.smileBinary ?? undefined, config: s.smileConfig, workers: s.workers, signal: ctx.signal,
        onProgress: (p) => bar?.tick(1, p.error ? `failed: ${p.id}` : p.id),
      });
    } finally {
      bar?.stop();
    }
    for (const f of r.failures) ctx.warn(`openSMILE failed on ${f.wav}: ${f.error} (utterance ${f.id} is left out of this run)`);
    if (r.failures.length === withWav.length) {
      throw new EmofuseError(`openSMILE failed on every file (${withWav.length})`, { where: ctx.where, fix: 'check the SMILExtract installation: the warnings above give each file\'s error' });
    }
    if (r.failures.length === 0) ctx.cache.put(key, r.matrix);
    ctx.log(`speech: ${r.matrix.ids.length} utterances x ${r.matrix.dim} ComParE features`);
    return { features: r.matrix, dropped: r.failures.map((f) => ({ id: f.id, reason: f.error })) };
  },
});
