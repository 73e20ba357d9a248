// A researcher's own model and fusion rule, each registered from one file outside packages/models
// and packages/fusion, run through the real pipeline (config validation, training, fusion on
// validation, scoring, tracking, save/load) with no other file changed.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { loadModel, registerModel } from '@emofuse/models';
import { alignSystems, registerFusionRule } from '@emofuse/fusion';
import { loadExperiment } from '../../src/config/index.ts';
import { ConfigError } from '../../src/config/load.ts';
import { silentContext } from '../../src/context.ts';
import { runExperiment } from '../../src/pipeline/index.ts';
import { useRunStore, writeEmodbManifest } from '../helpers.ts';

// --- what the researcher writes: one model file ...
registerModel({
  type: 'speech-logreg',
  summary: 'multinomial logistic regression over the speech vector',
  reads: { speech: true },
  context: 'utterance',
  defaultEpochs: 30,
  config: { key: 'logreg', schema: z.strictObject({ l2: z.number().min(0) }), defaults: { l2: 0.001 } },
  build(req, t) {
    const x = t.blocks.speechInput(req.input.speech);
    const l2 = (t.config.logreg as { l2: number }).l2;
    const out = t.tf.layers.dense({ units: req.classes.length, activation: 'softmax', kernelInitializer: t.glorot(), kernelRegularizer: t.tf.regularizers.l2({ l2 }), name: 'posteriors' }).apply(x);
    return { inputs: [x], output: out as typeof x };
  },
});
// ... and one fusion rule file: the class-wise maximum, renormalised (not fitted on anything).
registerFusionRule({
  name: 'max',
  summary: 'class-wise maximum of the posteriors, renormalised',
  fitted: false,
  apply(systems) {
    const a = alignSystems(systems);
    const k = a.classes.length;
    const probs = new Float64Array(a.ids.length * k);
    for (let r = 0; r < a.ids.length; r++) {
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const v = Math.max(...a.rows.map((m) => m[r * k + c]));
        probs[r * k + c] = v;
        sum += v;
      }
      for (let c = 0; c < k; c++) probs[r * k + c] /= sum;
    }
    return { ids: a.ids, classes: a.classes, probs };
  },
});
// --- end of the researcher's code.

const work = mkdtempSync(path.join(tmpdir(), 'emofuse-ext-'));
useRunStore(path.join(work, 'mlruns'));

const manifest = () => writeEmodbManifest(work);

const set = () => [
  'experiment=ext', 'corpus.type=manifest', `corpus.path=${manifest()}`, 'split.protocol=loso-speaker', "split.folds=['03']",
  'systems=[speech-logreg, speech-cnn]', 'fusion.rules=[max, weighted]', 'fusion.systems=[speech-logreg, speech-cnn]', 'fusion.step=0.25',
  'features.speech.select=20', `features.cacheDir=${path.join(work, 'cache')}`, 'train.batchSize=8', 'model.speech.filters=8', 'model.dense=[16]',
  `output.dir=${path.join(work, 'runs')}`, 'report.enabled=false',
];

describe('a model type and a fusion rule registered from outside their packages', () => {
  it('are validated like the built-in ones', () => {
    const c = loadExperiment(undefined, { set: [...set(), 'model.logreg.l2=0.01'], checkFiles: false });
    expect(c.model.logreg).toEqual({ l2: 0.01 });
    let err: unknown;
    try { loadExperiment(undefined, { set: [...set(), 'model.logreg.l3=0.01'], checkFiles: false }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]).toMatchObject({ key: 'model.logreg.l3', message: 'unknown key' });
    expect(() => loadExperiment(undefined, { set: [...set(), 'fusion.rules=[maximum]'], checkFiles: false })).toThrow(/expected one of .*'max'/);
  });

  it('train, fuse, score and save through the real pipeline', async () => {
    const config = loadExperiment(undefined, { set: [...set(), 'train.epochs=3'] });
    const result = await runExperiment(config, silentContext());
    const dir = result.runs[0].dir;
    const metrics = JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
    // Trained in registration order (the built-in models first), then fused in the order listed.
    expect(Object.keys(metrics)).toEqual(['speech-cnn', 'speech-logreg', 'late-max', 'late-weighted']);
    for (const m of Object.values(metrics) as { test: { ua: number }; valid: { ua: number } }[]) {
      expect(m.test.ua).toBeGreaterThan(0);
      expect(m.valid.ua).toBeGreaterThan(0);
    }
    // Trained for 3 epochs (train.epochs overrides its defaultEpochs), and reloads to the same posteriors.
    const history = JSON.parse(readFileSync(path.join(dir, 'history/speech-logreg/03.json'), 'utf8'));
    expect(history.history).toHaveLength(3);
    const model = await loadModel(path.join(dir, 'models/speech-logreg/03'));
    expect(model.type).toBe('speech-logreg');
    expect(model.config.logreg).toEqual({ l2: 0.001 });
    expect(existsSync(path.join(dir, 'fusion/weighted/03.json'))).toBe(true);
    expect(existsSync(path.join(dir, 'fusion/max'))).toBe(false); // nothing fitted, nothing written
    const saved = JSON.parse(readFileSync(path.join(dir, 'posteriors/speech-logreg/03/test.json'), 'utf8'));
    const transform = JSON.parse(readFileSync(path.join(dir, 'transforms/03.json'), 'utf8'));
    expect(transform.steps[1].indices).toHaveLength(20);
    expect(saved.ids.length).toBeGreaterThan(0);
  });

  it("'auto' epochs come from the descriptor", async () => {
    const config = loadExperiment(undefined, { set: [...set(), 'experiment=ext-auto', 'systems=[speech-logreg]', 'fusion.rules=[]', 'train.patience=100'] });
    const result = await runExperiment(config, silentContext());
    const history = JSON.parse(readFileSync(path.join(result.runs[0].dir, 'history/speech-logreg/03.json'), 'utf8'));
    expect(history.epochs).toBe(30);
  });
});
