// features.text.trainable through the real pipeline: token ids made (and cached) from the
// transcripts, an embedding table per model, saved with the model, and the cached ids and
// vocabulary read back to the same run.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeatureCache } from '@emofuse/data';
import { loadModel } from '@emofuse/models';
import { loadExperiment } from '../../src/config/index.ts';
import { silentContext } from '../../src/context.ts';
import { runExperiment } from '../../src/pipeline/index.ts';
import { useRunStore, writeEmodbManifest } from '../helpers.ts';

const work = mkdtempSync(path.join(tmpdir(), 'emofuse-trainable-'));
useRunStore(path.join(work, 'mlruns'));

const set = (experiment: string) => [
  `experiment=${experiment}`, 'corpus.type=manifest', `corpus.path=${writeEmodbManifest(work)}`, 'split.protocol=loso-speaker', "split.folds=['03']",
  'systems=[text-cnn]', 'features.text.trainable=true', `features.cacheDir=${path.join(work, 'cache')}`, 'model.textcnn.convFilters=4',
  'train.epochs=2', 'train.batchSize=8', `output.dir=${path.join(work, 'runs')}`, 'report.enabled=false',
];

describe('fine-tuned word vectors in a run', () => {
  it('trains on token ids, saves the tuned table with the model, and reads the cached ids back to the same result', async () => {
    const a = await runExperiment(loadExperiment(undefined, { set: set('tuned-a') }), silentContext());
    const dir = a.runs[0].dir;
    const hits = (d: string) => JSON.parse(readFileSync(path.join(d, 'meta.json'), 'utf8')).featureCacheHits as string[];
    expect(hits(dir)).toEqual([]);
    const model = await loadModel(path.join(dir, 'models/text-cnn/03'));
    const spec = model.input.text as { kind: string; vocab?: { size: number } };
    expect(spec.kind).toBe('sequence');
    const table = model.net.getLayer('text_embedding').getWeights()[0];
    expect(table.shape).toEqual([spec.vocab!.size, 100]);
    // The saved table is the vectors it started from (the cached vocabulary), tuned: rows moved.
    const cacheDir = path.join(work, 'cache');
    const vocabKey = readdirSync(cacheDir).find((f) => f.endsWith('-vocab.arrow'))!.replace(/\.arrow$/, '');
    const start = new FeatureCache(cacheDir).get<{ ids: string[]; dim: number; values: Float32Array }>(vocabKey)!;
    expect([start.ids.length, start.dim]).toEqual(table.shape);
    const tuned = table.dataSync();
    let moved = 0;
    for (let r = 0; r < start.ids.length; r++) {
      let d = 0;
      for (let c = 0; c < start.dim; c++) d = Math.max(d, Math.abs(tuned[r * start.dim + c] - start.values[r * start.dim + c]));
      if (d > 1e-6) moved++;
    }
    expect(moved, 'rows of the embedding table changed by training').toBeGreaterThan(start.ids.length / 10);

    const b = await runExperiment(loadExperiment(undefined, { set: set('tuned-b') }), silentContext());
    expect(hits(b.runs[0].dir)).toEqual(['text']);
    const scores = (d: string) => JSON.parse(readFileSync(path.join(d, 'metrics.json'), 'utf8'))['text-cnn'];
    expect(scores(b.runs[0].dir)).toEqual(scores(dir));
  }, 240_000);
});
