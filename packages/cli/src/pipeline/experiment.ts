/**
 * One experiment invocation: corpus -> split -> features -> models -> posteriors -> fusion ->
 * metrics -> tracking -> report. Each seed is one run directory, built under a temporary name and
 * renamed into place only when everything in it is written.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import {
  EmofuseError, buildDirAtomic, fingerprint, writeJsonAtomic,
  type Corpus, type Posteriors,
} from '@emofuse/core';
import { makeFolds, readCorpus, splitFingerprint, splitToJson, summariseSplit } from '@emofuse/data';
import {
  buildModel, formatEpochLine, predict, saveModel, savePosteriors, selectBackend, train,
  type BackendChoice, type EmofuseModel, type EpochLog, type ModelInputs,
} from '@emofuse/models';
import { applyWeights, fuse, searchWeights, type SystemPosteriors, type WeightChoice } from '@emofuse/fusion';
import { metricsFromPosteriors, type MetricsReport } from '@emofuse/eval';
import type { Tracker, TrackerRun } from '@emofuse/tracking';
import type { Config, SystemName } from '../config/schema.ts';
import { toResolvedYaml } from '../config/index.ts';
import type { RunContext } from '../context.ts';
import { collectRunMeta, type RunMeta } from '../env.ts';
import { checkInputsAvailable, corpusFeatures, foldInputs, pickRows, type CorpusFeatures } from './features.ts';
import { flattenConfig, makeTracker, readableStore } from './tracking.ts';

const TRAIN_ORDER: SystemName[] = ['text-lstm', 'speech-cnn', 'joint-cnn'];
const PARTS = ['train', 'valid', 'test'] as const;
type Part = (typeof PARTS)[number];

/** Name of a late-fusion system in runs, reports and reference.json. */
export const fusionSystemName = (rule: string) => `late-${rule}`;

export interface SeedRun {
  runId: string;
  dir: string;
  seed: number;
  /** system -> split -> metrics (test pooled over folds; valid averaged over folds). */
  metrics: Record<string, Partial<Record<Part, Scores>>>;
}
export interface Scores { ua: number; wa: number; f1: number; macroF1: number }

export interface ExperimentResult {
  invocation: string;
  runs: SeedRun[];
  trackingLocation: string;
  parentRunId: string;
  report?: string;
}

/** The systems a run must train: those listed, those fusion needs, and the text model a frozen joint-CNN reads T from. */
export function systemsToTrain(config: Config): SystemName[] {
  const want = new Set<SystemName>(config.systems);
  if (config.fusion.rules.length) for (const s of config.fusion.systems) want.add(s);
  if (want.has('joint-cnn') && config.model.joint.textBranch === 'frozen' && config.features.text.source === 'embeddings') want.add('text-lstm');
  return TRAIN_ORDER.filter((s) => want.has(s));
}

export async function runExperimentImpl(config: Config, ctx: RunContext): Promise<ExperimentResult> {
  // Everything that can be refused is checked before the first model trains.
  const corpus = readCorpus({ type: config.corpus.type, path: config.corpus.path, classes: config.corpus.classes ?? undefined, name: config.corpus.name ?? undefined });
  const systems = systemsToTrain(config);
  checkInputsAvailable(corpus, config, systems);
  const labels = new Map(corpus.utterances.map((u) => [u.id, u.label]));
  const invocation = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
  ctx.log(`corpus ${corpus.name}: ${corpus.utterances.length} utterances, ${corpus.classes.length} classes (${corpus.classes.join(', ')}) from ${corpus.source}`);

  const backend = await selectBackend(config.train.backend, { models: systems });
  ctx.log(`backend: ${backend.name} (${backend.reason})`);
  const meta = collectRunMeta();
  if (meta.gitDirty) ctx.warn('the git work tree has uncommitted changes; the run records the commit and the dirty flag');

  const feats = await corpusFeatures(corpus, config, systems, ctx);
  const usable = dropUtterances(corpus, feats);

  const tracker = makeTracker(config, ctx);
  const experimentName = config.tracking.experiment ?? config.experiment;
  const baseTags = { ...config.tags, 'emofuse.invocation': invocation, 'emofuse.corpus': corpus.name, 'emofuse.backend': backend.name };
  const parent = await tracker.startRun({ experiment: experimentName, runName: `${config.experiment}-${invocation}`, tags: { ...baseTags, 'emofuse.kind': 'invocation' } });
  ctx.log(`tracking: ${tracker.location} (experiment ${experimentName}, parent run ${parent.runId})`);
  const open: TrackerRun[] = [parent];
  const result: ExperimentResult = { invocation, runs: [], trackingLocation: tracker.location, parentRunId: parent.runId };
  try {
    await parent.logParams({ ...flattenConfig(config), ...metaParams(meta, backend), 'corpus.fingerprint': corpusFingerprint(usable) });
    await logText(parent, 'config.resolved.yaml', toResolvedYaml(config));
    for (const seed of config.seeds) {
      checkAborted(ctx);
      result.runs.push(await runSeed({ config, ctx, corpus: usable, labels, feats, systems, seed, invocation, backend, meta, tracker, parent, baseTags, open, experimentName }));
    }
    if (config.report.enabled) result.report = await reportFor(config, ctx, result, experimentName, corpus, parent, readableStore(tracker));
    await parent.endRun('FINISHED');
    open.length = 0;
    return result;
  } catch (e) {
    const status = ctx.signal.aborted ? 'KILLED' : 'FAILED';
    for (const r of open.reverse()) await r.endRun(status).catch(() => undefined);
    throw e;
  }
}

interface SeedArgs {
  config: Config; ctx: RunContext; corpus: Corpus; labels: Map<string, string>; feats: CorpusFeatures; systems: SystemName[];
  seed: number; invocation: string; backend: BackendChoice; meta: RunMeta; tracker: Tracker; parent: TrackerRun;
  baseTags: Record<string, string>; open: TrackerRun[]; experimentName: string;
}

async function runSeed(a: SeedArgs): Promise<SeedRun> {
  const { config, ctx, corpus, labels, feats, seed } = a;
  const runId = `${a.invocation}-s${seed}`;
  const dir = path.resolve(config.output.dir, config.experiment, runId);
  const folds = makeFolds(corpus, { protocol: config.split.protocol, validFraction: config.split.validFraction, seed, folds: config.split.folds });
  ctx.log(`\nseed ${seed}: ${folds.length} fold(s), run ${runId}`);
  ctx.onRunStart?.(runId, dir);

  // One tracked run per system, nested under the invocation, so each system is a row in reports.
  const fusionNames = config.fusion.rules.map(fusionSystemName);
  const tracked = new Map<string, TrackerRun>();
  for (const name of [...a.systems, ...fusionNames]) {
    const r = await a.tracker.startRun({
      experiment: a.experimentName, runName: `${name}-s${seed}`, parentRunId: a.parent.runId,
      tags: { ...a.baseTags, 'emofuse.system': name, 'emofuse.seed': String(seed), 'emofuse.run_dir': dir },
    });
    a.open.push(r);
    tracked.set(name, r);
    await r.logParams({ ...flattenConfig(config), ...metaParams(a.meta, a.backend), seed, system: name, 'corpus.fingerprint': corpusFingerprint(corpus) });
  }

  const saved = await buildDirAtomic(dir, async (tmp) => {
    writeFileSync(path.join(tmp, 'config.resolved.yaml'), toResolvedYaml(config));
    writeJsonAtomic(path.join(tmp, 'meta.json'), { runId, seed, invocation: a.invocation, backend: a.backend, meta: a.meta, startedAt: new Date().toISOString(), oov: a.feats.textStats ?? null, dropped: feats.dropped, featureCacheHits: feats.cacheHits });
    const pooled = new Map<string, Posteriors[]>(); // system -> test posteriors of every fold
    const validScores = new Map<string, Scores[]>();
    const trainScores = new Map<string, Scores[]>();
    let firstFoldChoice: { fold: string; choice: WeightChoice } | undefined; // the report draws one weight curve
    for (const [fi, split] of folds.entries()) {
      checkAborted(ctx);
      const foldName = split.fold ?? 'main';
      const tag = folds.length > 1 ? ` fold ${foldName} (${fi + 1}/${folds.length})` : '';
      writeJsonAtomic(path.join(tmp, 'splits', `${foldName}.json`), { ...splitToJson(split, corpus), summary: summariseSplit(corpus, split) });
      const inputs = foldInputs(feats, split, labels, config);
      if (inputs.speechTransform) writeJsonAtomic(path.join(tmp, 'transforms', `${foldName}.json`), inputs.speechTransform);
      if (fi === 0) {
        const fp = { 'split.fingerprint': splitFingerprint(split), 'split.protocol': split.protocol };
        for (const r of tracked.values()) await r.setTags(fp);
      }
      const posteriors = new Map<string, Posteriors>();
      const models: EmofuseModel[] = [];
      let textModel: EmofuseModel | undefined;
      for (const system of a.systems) {
        checkAborted(ctx);
        ctx.log(`${system}${tag}: training on ${split.train.length} utterances, validating on ${split.valid.length}`);
        const run = tracked.get(system)!;
        const model = buildModel({ type: system, classes: corpus.classes, input: inputSpec(inputs.all, system), model: config.model, seed, textModel: system === 'joint-cnn' ? textModel : undefined });
        const part = (ids: string[]) => ({ inputs: select(inputs.all, system, ids), labels });
        // The first fold's curves go under the plain keys (step = epoch) that reports draw; the
        // other folds keep theirs under fold_<name>/ so no curve jumps from fold to fold.
        const curvePrefix = fi === 0 ? '' : `fold_${foldName}/`;
        const res = await train(model, { train: part(split.train), valid: split.valid.length ? part(split.valid) : undefined }, {
          epochs: config.train.epochs, batchSize: config.train.batchSize, learningRate: config.train.learningRate, patience: config.train.patience,
          classWeights: config.train.classWeights, seed, signal: ctx.signal,
          onEpochEnd: async (log: EpochLog, info) => {
            ctx.log(`  ${system}${tag} ${formatEpochLine(log, info.epochs, info.elapsed)}`);
            await run.logMetrics(epochMetrics(log, curvePrefix));
          },
        });
        models.push(model);
        checkAborted(ctx);
        ctx.log(`  ${system}${tag}: best epoch ${res.bestEpoch} of ${res.history.length}${res.stoppedEarly ? ' (early stop)' : ''}, ${res.seconds.toFixed(1)} s`);
        if (system === 'text-lstm') textModel = model;
        await saveModel(model, path.join(tmp, 'models', system, foldName));
        writeJsonAtomic(path.join(tmp, 'history', system, `${foldName}.json`), res);
        const p = predict(model, select(inputs.all, system, [...split.train, ...split.valid, ...split.test]));
        posteriors.set(system, p);
        for (const part of PARTS) if (split[part].length) savePosteriors(subsetPosteriors(p, split[part]), path.join(tmp, 'posteriors', system, foldName, `${part}.json`));
      }
      // The joint-CNN has read T from the text model by now; free the fold's weights before the next fold.
      for (const m of models) m.net.dispose();
      // Late fusion: weights chosen on this fold's validation posteriors, then applied to test.
      for (const rule of config.fusion.rules) {
        const name = fusionSystemName(rule);
        const sys = (part: Part): SystemPosteriors[] => config.fusion.systems.map((s) => ({ ...subsetPosteriors(posteriors.get(s)!, split[part]), name: s }));
        let fused: Record<string, Posteriors> = {};
        if (rule === 'weighted') {
          if (!split.valid.length) throw new EmofuseError('late fusion II needs validation data to choose its weights, and this split has none', { where: 'split.validFraction', fix: 'set split.validFraction above 0' });
          const choice = searchWeights({ valid: { systems: sys('valid'), labels }, metric: config.fusion.metric, step: config.fusion.step });
          if (fi === 0) firstFoldChoice = { fold: foldName, choice };
          ctx.log(`  ${name}${tag}: w = [${choice.weights.map((w) => w.toFixed(2)).join(', ')}] for [${choice.systems.join(', ')}], validation ${config.fusion.metric} ${(100 * choice.score).toFixed(2)}`);
          for (const part of PARTS) if (split[part].length) fused[part] = applyWeights(choice, sys(part));
          writeJsonAtomic(path.join(tmp, 'fusion', `${foldName}.json`), choice);
        } else {
          fused = Object.fromEntries(PARTS.filter((part) => split[part].length).map((part) => [part, fuse(rule, sys(part))]));
        }
        const all = concatPosteriors(Object.values(fused));
        posteriors.set(name, all);
        for (const [part, p] of Object.entries(fused)) savePosteriors(p, path.join(tmp, 'posteriors', name, foldName, `${part}.json`));
      }
      for (const [name, p] of posteriors) {
        (pooled.get(name) ?? pooled.set(name, []).get(name)!).push(subsetPosteriors(p, split.test));
        if (split.valid.length) (validScores.get(name) ?? validScores.set(name, []).get(name)!).push(scoresOf(metricsFromPosteriors(subsetPosteriors(p, split.valid), labels, `${name} valid`)));
        (trainScores.get(name) ?? trainScores.set(name, []).get(name)!).push(scoresOf(metricsFromPosteriors(subsetPosteriors(p, split.train), labels, `${name} train`)));
        if (folds.length > 1) {
          const s = scoresOf(metricsFromPosteriors(subsetPosteriors(p, split.test), labels, `${name} test fold ${foldName}`));
          await tracked.get(name)!.logMetrics(Object.entries(s).map(([k, v]) => ({ key: `fold_test_${k}`, value: v, step: fi })));
        }
      }
    }

    // Test: scored once, on every test utterance (pooled over folds for leave-one-out).
    const metrics: SeedRun['metrics'] = {};
    // Each tracked run's artifacts are written once, into the run directory, and uploaded from there.
    for (const [name, parts] of pooled) {
      const testPost = concatPosteriors(parts);
      const test = metricsFromPosteriors(testPost, labels, `${name} test`);
      const m: Partial<Record<Part, Scores>> = { test: scoresOf(test), train: meanScores(trainScores.get(name)!) };
      if (validScores.get(name)?.length) m.valid = meanScores(validScores.get(name)!);
      metrics[name] = m;
      const run = tracked.get(name)!;
      const batch = Object.entries(m).flatMap(([part, s]) => Object.entries(s!).map(([k, v]) => ({ key: `${part}_${k}`, value: v })));
      await run.logMetrics(batch);
      const dir = path.join(tmp, 'systems', name);
      writeJsonAtomic(path.join(dir, 'confusion_test.json'), { classes: test.classes, counts: test.confusion });
      writeJsonAtomic(path.join(dir, 'metrics.json'), { ...m, perClass: test.perClass });
      savePosteriors(testPost, path.join(dir, 'posteriors_test.json'));
      if (name === fusionSystemName('weighted') && firstFoldChoice) {
        const { fold, choice } = firstFoldChoice;
        writeJsonAtomic(path.join(dir, 'fusion_curve.json'), {
          metric: choice.metric, step: choice.step, fold, curve: choice.curve.map((c) => ({ w1: c.w1, score: c.score })),
          chosen: { w1: choice.weights[0], weights: choice.weights, systems: choice.systems }, test: m.test,
        });
      }
      await run.logArtifactDir(dir);
      ctx.log(`${name}: test UA ${pct(m.test!.ua)}  WA ${pct(m.test!.wa)}  F1 ${pct(m.test!.f1)}${m.valid ? `   (valid UA ${pct(m.valid.ua)})` : ''}`);
    }
    // Scores of every system; per-class figures and confusion matrices are in systems/<system>/.
    writeJsonAtomic(path.join(tmp, 'metrics.json'), metrics);
    return metrics;
  });

  for (const r of tracked.values()) {
    await r.endRun('FINISHED');
    a.open.splice(a.open.indexOf(r), 1);
  }
  ctx.onRunSaved?.(runId, dir);
  return { runId, dir, seed, metrics: saved };
}

async function reportFor(config: Config, ctx: RunContext, result: ExperimentResult, experimentName: string, corpus: Corpus, parent: TrackerRun, store: string): Promise<string | undefined> {
  try {
    const { reportFromStore } = await import('@emofuse/report');
    const outDir = path.resolve(config.output.dir, config.experiment, `report-${result.invocation}`);
    const paths = await reportFromStore({
      from: { store }, experiment: experimentName, tags: { 'emofuse.invocation': result.invocation },
      outDir, title: `${config.experiment} (${corpus.name}, ${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''})`,
      comparePaper: corpus.name.toLowerCase().startsWith('iemocap'),
    });
    await parent.logArtifactDir(paths.dir, 'report');
    ctx.log(`report: ${paths.html}`);
    return paths.html;
  } catch (e) {
    ctx.warn(`the report could not be built: ${(e as Error).message} (the runs are saved; retry with \`emofuse report --experiment ${experimentName}\`)`);
    return undefined;
  }
}

function dropUtterances(corpus: Corpus, feats: CorpusFeatures): Corpus {
  if (!feats.dropped.length) return corpus;
  const gone = new Set(feats.dropped.map((d) => d.id));
  const keep = (ids: string[]) => ids.filter((id) => !gone.has(id));
  return {
    ...corpus,
    utterances: corpus.utterances.filter((u) => !gone.has(u.id)),
    officialSplit: corpus.officialSplit && { train: keep(corpus.officialSplit.train), valid: keep(corpus.officialSplit.valid), test: keep(corpus.officialSplit.test) },
  };
}

function inputSpec(all: ModelInputs, system: SystemName) {
  const t = all.text;
  const text = t && ('steps' in t ? { kind: 'sequence' as const, steps: t.steps, dim: t.dim } : { kind: 'vector' as const, dim: t.dim });
  if (system === 'text-lstm') return { text };
  if (system === 'speech-cnn') return { speech: { dim: all.speech!.dim } };
  return { text, speech: { dim: all.speech!.dim } };
}

function select(all: ModelInputs, system: SystemName, ids: string[]): ModelInputs {
  const out: ModelInputs = {};
  if (system !== 'speech-cnn') out.text = pickRows(all.text!, ids);
  if (system !== 'text-lstm') out.speech = pickRows(all.speech!, ids);
  return out;
}

function subsetPosteriors(p: Posteriors, ids: readonly string[]): Posteriors {
  const k = p.classes.length;
  const index = new Map(p.ids.map((id, i) => [id, i]));
  const probs = new Float64Array(ids.length * k);
  ids.forEach((id, r) => {
    const i = index.get(id);
    if (i === undefined) throw new EmofuseError(`no posteriors for utterance ${id}`, { where: 'posteriors' });
    for (let c = 0; c < k; c++) probs[r * k + c] = p.probs[i * k + c];
  });
  return { ids: [...ids], classes: p.classes, probs };
}

function concatPosteriors(parts: Posteriors[]): Posteriors {
  const k = parts[0].classes.length;
  const probs = new Float64Array(parts.reduce((n, p) => n + p.ids.length, 0) * k);
  let off = 0;
  for (const p of parts) {
    probs.set(p.probs, off);
    off += p.probs.length;
  }
  return { ids: parts.flatMap((p) => p.ids), classes: parts[0].classes, probs };
}

const scoresOf = (m: MetricsReport): Scores => ({ ua: m.ua, wa: m.wa, f1: m.f1, macroF1: m.macroF1 });
const meanScores = (xs: Scores[]): Scores => {
  const mean = (k: keyof Scores) => xs.reduce((s, x) => s + x[k], 0) / xs.length;
  return { ua: mean('ua'), wa: mean('wa'), f1: mean('f1'), macroF1: mean('macroF1') };
};
const pct = (x: number) => (100 * x).toFixed(2);

function epochMetrics(log: EpochLog, prefix: string) {
  const step = log.epoch;
  const values: [string, number | undefined][] = [
    ['train_loss', log.trainLoss], ['train_acc', log.trainAcc], ['valid_loss', log.validLoss], ['valid_acc', log.validAcc], ['epoch_seconds', log.seconds],
  ];
  return values.filter(([, v]) => v !== undefined).map(([k, v]) => ({ key: `${prefix}${k}`, value: v!, step }));
}

function metaParams(meta: RunMeta, backend: BackendChoice): Record<string, string> {
  return {
    'meta.git_commit': meta.gitCommit ?? 'none',
    'meta.git_dirty': String(meta.gitDirty),
    'meta.backend': backend.name,
    'meta.backend_reason': backend.reason.slice(0, 480),
    'meta.node': meta.node,
    'meta.platform': meta.platform,
    ...Object.fromEntries(Object.entries(meta.libraries).map(([k, v]) => [`lib.${k.replace(/^@/, "")}`, v])),
    'lib.python': meta.python?.version ?? 'none',
    'lib.mlflow': meta.python?.mlflow ?? 'none',
    'lib.opensmile': meta.python?.opensmile ?? 'none',
  };
}

function corpusFingerprint(corpus: Corpus): string {
  return fingerprint(corpus.utterances.map((u) => [u.id, u.label, u.speaker, u.text]));
}

function checkAborted(ctx: RunContext): void {
  if (ctx.signal.aborted) throw new EmofuseError('interrupted', { where: 'run' });
}

async function logText(run: TrackerRun, name: string, text: string): Promise<void> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const d = mkdtempSync(path.join(tmpdir(), 'emofuse-art-'));
  try {
    writeFileSync(path.join(d, name), text);
    await run.logArtifact(path.join(d, name));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

