/** `source: file`: a modality's features from the user's own file (CSV, Parquet, Arrow, npy/npz, openSMILE CSV). */
import { fileFeatures, type FeatureFileConfig } from './file.ts';
import { registerFeatureSource } from './registry.ts';

/** `source: file` for any modality: the user's own features, aligned with the corpus under the missing-value policy. */
registerFeatureSource<{ file: FeatureFileConfig }>({
  name: 'file',
  modalities: ['text', 'speech'],
  async extract(corpus, modality, opts, ctx) {
    const started = Date.now();
    const f = await fileFeatures(corpus.utterances.map((u) => u.id), opts.file, `${ctx.where}.file`);
    ctx.log(`${modality}: ${f.matrix.ids.length} utterances x ${f.columns.length} columns from ${f.file} (${f.format}, sha256 ${f.contentHash.slice(0, 12)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (f.unknownIds.length) ctx.log(`${modality}: ${f.unknownIds.length} id(s) of the file are not in the corpus and are ignored (e.g. ${f.unknownIds.slice(0, 3).join(', ')})`);
    const gaps = f.withMissing.length + f.noRow.length;
    if (gaps) {
      const what = f.policy === 'drop' ? 'they leave every system of the run' : "their cells get the fold's training median";
      ctx.log(`${modality}: ${f.withMissing.length} utterance(s) with missing cells, ${f.noRow.length} without a row (missing: ${f.policy}: ${what})`);
    }
    if (f.constantColumns.length) ctx.warn(`${modality}: ${f.constantColumns.length} constant column(s) in ${f.file} carry nothing (${f.constantColumns.slice(0, 5).join(', ')})`);
    return { features: f.matrix, file: f, dropped: f.dropped };
  },
  preview: (corpus, _modality, opts, where) => fileFeatures(corpus.utterances.map((u) => u.id), opts.file, `${where}.file`),
});
