// The whole chain on real input: EmoDB WAVs (through a manifest) -> openSMILE ComParE -> min-max +
// L2 selection -> speech CNN and text LSTM -> late fusion on validation -> metrics -> local MLflow
// store -> report. Tiny (a few speakers, two epochs) so it runs in CI; it checks plumbing and
// protocol, not accuracy.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRuns } from '@emofuse/tracking';
import { loadPosteriors } from '@emofuse/models';
import { expandSweep, loadExperiment, loadSweep } from '../src/config/index.ts';
import { silentContext } from '../src/context.ts';
import { runExperiment } from '../src/pipeline/index.ts';
import { aggregate } from '../src/sweep/aggregate.ts';
import { sweepPlan } from '../src/sweep/plan.ts';
import { getExecutor } from '../src/sweep/registry.ts';
import '../src/sweep/inline.ts';
import { writeEmodbManifest } from './helpers.ts';

const work = mkdtempSync(path.join(tmpdir(), 'emofuse-pipeline-'));
const store = path.join(work, 'mlruns');
const savedEnv = process.env.EMOFUSE_MLRUNS;

const writeManifest = () => writeEmodbManifest(work);

function experiment(name: string, extra = ''): string {
  const file = path.join(work, `${name}.yaml`);
  writeFileSync(file, `experiment: ${name}
seeds: [1]
corpus: { type: manifest, path: ${writeManifest()} }
split: { protocol: loso-speaker, folds: ['03', '11'] }
features: { cacheDir: ${path.join(work, 'cache')}, speech: { select: 20 } }
systems: [text-lstm, speech-cnn]
fusion: { rules: [weighted, product], systems: [text-lstm, speech-cnn], step: 0.1 }
train: { epochs: 2, batchSize: 8 }
model: { text: { lstmUnits: 16, convFilters: 8 }, speech: { filters: 8 }, dense: [16] }
output: { dir: ${path.join(work, 'runs')} }
${extra}`);
  return file;
}

beforeAll(() => { process.env.EMOFUSE_MLRUNS = store; });
afterAll(() => {
  if (savedEnv === undefined) delete process.env.EMOFUSE_MLRUNS;
  else process.env.EMOFUSE_MLRUNS = savedEnv;
});

describe('emofuse run, end to end on EmoDB audio', () => {
  it('trains, fuses on validation, scores test once, tracks every system and writes the report', async () => {
    const config = loadExperiment(experiment('e2e'));
    const ctx = silentContext();
    const result = await runExperiment(config, ctx);

    expect(result.runs).toHaveLength(1);
    const dir = result.runs[0].dir;
    for (const f of ['config.resolved.yaml', 'meta.json', 'metrics.json', 'splits/03.json', 'transforms/03.json', 'fusion/weighted/03.json']) {
      expect(existsSync(path.join(dir, f)), f).toBe(true);
    }
    const metrics = JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
    expect(Object.keys(metrics).sort()).toEqual(['late-product', 'late-weighted', 'speech-cnn', 'text-lstm']);
    for (const m of Object.values(metrics) as { test: { ua: number } }[]) expect(m.test.ua).toBeGreaterThanOrEqual(0);

    // The speech transform was fitted on the 2 training speakers only and kept 20 features.
    const transform = JSON.parse(readFileSync(path.join(dir, 'transforms/03.json'), 'utf8'));
    expect(transform.steps.map((s: { kind: string }) => s.kind)).toEqual(['minmax', 'l2-select']);
    expect(transform.steps[1].indices).toHaveLength(20);
    const split = JSON.parse(readFileSync(path.join(dir, 'splits/03.json'), 'utf8'));
    const choice = JSON.parse(readFileSync(path.join(dir, 'fusion/weighted/03.json'), 'utf8'));
    expect(choice.curve).toHaveLength(11);
    expect(split.summary.test.speakers).toEqual(['03']);

    const runs = await listRuns({ store }, { experiment: 'e2e' });
    const children = runs.filter((r) => r.tags['emofuse.system']);
    expect(children.map((r) => r.tags['emofuse.system']).sort()).toEqual(['late-product', 'late-weighted', 'speech-cnn', 'text-lstm']);
    for (const r of runs) expect(r.status).toBe('FINISHED');
    const text = children.find((r) => r.tags['emofuse.system'] === 'text-lstm')!;
    expect(text.params.seed).toBe('1');
    // MLflow's own conventions: the UI's version column, a description, and which runs use context.
    expect(text.tags['mlflow.source.git.commit']).toMatch(/^[0-9a-f]{40}$/);
    expect(text.tags['mlflow.note.content']).toMatch(/^text-lstm, seed 1 \(utterance-level\)/);
    expect(text.tags['emofuse.context']).toBe('utterance');
    // The restored epoch's validation figures, not the last epoch's.
    const best = text.metrics['fold_03/best_epoch'];
    expect(text.metrics['fold_03/best_valid_loss']).toBe(text.metricHistory['fold_03/valid_loss'].find((p) => p.step === best)!.value);
    // The trained model travels with the run, in the layout loadModel reads back.
    expect(existsSync(path.join(text.localArtifactDir!, 'model', '03', 'model.json'))).toBe(true);
    expect(text.params['meta.backend']).toMatch(/tensorflow|wasm|cpu/);
    // tfjs-node's numbers depend on its thread count: recorded with every run.
    expect(text.params['meta.tf_threads']).toMatch(process.env.TF_NUM_INTRAOP_THREADS ? /^\d+$/ : /^default \(\d+ CPUs\)$/);
    // One key scheme for every fold: fold_<name>/<quantity>, step = epoch; no fold under the plain keys.
    expect(text.metricHistory['fold_03/train_loss'].map((p) => p.step)).toEqual([1, 2]);
    expect(text.metricHistory['fold_11/valid_loss'].map((p) => p.step)).toEqual([1, 2]);
    expect(text.metricHistory.train_loss).toBeUndefined();
    // Per-class test metrics, and the confusion matrix as an image.
    const perClass = JSON.parse(readFileSync(path.join(text.localArtifactDir!, 'metrics.json'), 'utf8')).perClass as { class: string; recall: number; support: number }[];
    for (const c of perClass) {
      expect(text.metrics[`test_recall_by_class/${c.class}`]).toBe(c.recall);
      expect(text.metrics[`test_support_by_class/${c.class}`]).toBe(c.support);
    }
    expect(readFileSync(path.join(text.localArtifactDir!, 'confusion_test.svg'), 'utf8')).toMatch(/^<svg/);
    // The parent's row in the MLflow runs table: each system's mean test and validation scores.
    const parentRun = runs.find((r) => r.tags['emofuse.kind'] === 'invocation')!;
    expect(parentRun.metrics['text-lstm.test_ua']).toBe(metrics['text-lstm'].test.ua);
    expect(parentRun.metrics['late-weighted.valid_ua']).toBe(metrics['late-weighted'].valid.ua);
    expect(parentRun.metrics['text-lstm.test_ua_sd']).toBeUndefined(); // one seed: no sd
    expect(text.metricHistory.fold_test_ua.map((p) => p.step)).toEqual([0, 1]);
    expect(text.metrics.test_ua).toBeCloseTo(metrics['text-lstm'].test.ua, 12);
    expect(existsSync(path.join(text.localArtifactDir!, 'confusion_test.json'))).toBe(true);
    const weighted = children.find((r) => r.tags['emofuse.system'] === 'late-weighted')!;
    const curve = JSON.parse(readFileSync(path.join(weighted.localArtifactDir!, 'fusion_curve.json'), 'utf8'));
    expect(curve.chosen.w1).toBe(choice.weights[0]);
    // Every fold's choice, not the first fold's only: in the artifact and as one metric key with step = fold.
    expect(curve.folds.map((f: { fold: string }) => f.fold)).toEqual(['03', '11']);
    for (const [i, fold] of ['03', '11'].entries()) {
      const chosen = JSON.parse(readFileSync(path.join(dir, `fusion/weighted/${fold}.json`), 'utf8'));
      expect(curve.folds[i].chosen.weights).toEqual(chosen.weights);
      expect(curve.folds[i].curve).toHaveLength(11);
      expect(weighted.metricHistory['fusion_weight.text-lstm'].find((p) => p.step === i)!.value).toBe(chosen.weights[0]);
      expect(weighted.metricHistory['fusion_weight.speech-cnn'].find((p) => p.step === i)!.value).toBe(chosen.weights[1]);
    }
    expect(curve.test.ua).toBeCloseTo(metrics['late-weighted'].test.ua, 12);
    // Test is pooled over the folds: every utterance of speakers 03 and 11 scored once.
    const testPosteriors = loadPosteriors(path.join(text.localArtifactDir!, 'posteriors_test.json'));
    const heldOut = readFileSync(config.corpus.path, 'utf8').split('\n').filter((l) => /,(03|11),/.test(l)).length;
    expect(testPosteriors.ids).toHaveLength(heldOut);

    expect(ctx.lines.filter((l) => l.startsWith('warning: the report')), 'report warnings').toEqual([]);
    expect(result.report && existsSync(result.report)).toBe(true);
    // The report tests every fused system against both systems it fuses, from the kept test predictions.
    const preds = JSON.parse(readFileSync(path.join(text.localArtifactDir!, 'predictions_test.json'), 'utf8'));
    expect(preds.ids).toEqual(testPosteriors.ids);
    const labels = new Map(readFileSync(config.corpus.path, 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split(',')).map((f) => [f[0], f]));
    expect(preds.truth.every((t: string, i: number) => labels.get(preds.ids[i])![2] === t)).toBe(true);
    const reportJson = JSON.parse(readFileSync(path.join(path.dirname(result.report!), 'report.json'), 'utf8'));
    expect(reportJson.significance.map((t: { a: string; b: string }) => `${t.a} - ${t.b}`).sort()).toEqual(['late-product - speech-cnn', 'late-product - text-lstm', 'late-weighted - speech-cnn', 'late-weighted - text-lstm']);
    expect(reportJson.fusionChoices[0].choices).toBe(2);

    // A second run of the same corpus reads the ComParE features from the cache.
    const again = await runExperiment(loadExperiment(experiment('e2e-cache', 'report: { enabled: false }'), { set: ['systems=[speech-cnn]', 'fusion.rules=[]', 'train.epochs=1'] }), silentContext());
    expect(again.runs).toHaveLength(1);
  });

  it('refuses a speech system on a transcripts-only corpus before any work starts', async () => {
    const file = path.join(work, 'bad.yaml');
    writeFileSync(file, `systems: [speech-cnn]\noutput: { dir: ${path.join(work, 'bad-runs')} }\n`);
    expect(() => loadExperiment(file)).toThrow(/openSMILE needs audio, and corpus.type 'iemocap' has none/);
    // The pipeline checks the corpus it actually read as well (a manifest without a wav column, say).
    const config = loadExperiment(experiment('no-wav'), { set: ['systems=[speech-cnn]', 'fusion.rules=[]'] });
    writeFileSync(config.corpus.path, 'id,text,label,speaker\na,x,W,03\nb,y,L,08\nc,z,W,09\nd,w,L,03\n');
    await expect(runExperiment(config, silentContext())).rejects.toThrow(/no WAV files/);
    expect(existsSync(path.join(work, 'runs', 'no-wav'))).toBe(false);
  });

  it('leaves no run directory and marks tracked runs KILLED when interrupted', async () => {
    const controller = new AbortController();
    const ctx = silentContext(controller.signal);
    const log = ctx.log;
    ctx.log = (m: string) => { log(m); if (m.includes('epoch 1/')) controller.abort(); };
    const config = loadExperiment(experiment('killed', 'report: { enabled: false }'), { set: ['systems=[speech-cnn]', 'fusion.rules=[]'] });
    await expect(runExperiment(config, ctx)).rejects.toThrow(/interrupted/);
    const runsDir = path.join(work, 'runs', 'killed');
    expect(existsSync(runsDir) ? readdirSync(runsDir) : []).toEqual([]);
    const runs = await listRuns({ store }, { experiment: 'killed' });
    expect(runs.length).toBeGreaterThan(0);
    for (const r of runs) expect(r.status).toBe('KILLED');
  });

  it('runs a sweep and chooses the point with the best validation score', async () => {
    const base = experiment('sweep-base');
    const file = path.join(work, 'filters.yaml');
    writeFileSync(file, `base: ${base}\ngrid: { model.speech.filters: [4, 8] }\nmetric: ua\nsplit: valid\nmode: max\n`);
    const sweep = loadSweep(file);
    const points = expandSweep(sweep, { set: ['systems=[speech-cnn]', 'fusion.rules=[]', "split.folds=['03']", 'train.epochs=1'] });
    // As `emofuse sweep` runs it: the plan, the inline executor, then the choice on validation.
    const plan = Object.assign(sweepPlan(sweep, points, 'inline'), { report: false });
    const ctx = silentContext();
    expect(await getExecutor('inline')!.launch(plan, plan.tasks, { jobs: 1, slurm: { cpusPerTask: 1, extra: [] } }, ctx)).toBe(0);
    const result = await aggregate(plan, ctx);
    expect(result.points.map((p) => p.name)).toEqual(points.map((p) => p.name));
    const best = result.points.reduce((b, p) => (p.score! > b.score! ? p : b));
    expect(result.best).toBe(best.name);
    for (const p of result.points) {
      expect(p.score).toBeGreaterThanOrEqual(0);
      const metrics = JSON.parse(readFileSync(path.join(p.runs[0], 'metrics.json'), 'utf8'));
      expect(p.score).toBeCloseTo(metrics['speech-cnn'].valid.ua, 12);
    }
  });
});
