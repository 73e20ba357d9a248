/**
 * One experiment invocation, top to bottom: corpus -> split -> features -> models -> posteriors
 * -> fusion -> metrics -> tracking -> report. Every step is a call into the package that owns it;
 * nothing here knows a model type or a fusion rule by name (both come from their registries).
 * Each seed is one run directory, built under a temporary name and renamed into place only when
 * everything in it is written.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  EmofuseError, buildDirAtomic, concatPosteriors, fingerprint, subsetPosteriors,
  type Corpus, type Posteriors, type Split,
} from '@emofuse/core';
import { formatSplitSummary } from '@emofuse/data';
import { configFolds, readConfigCorpus } from './inputs.ts';
import {
  buildModel, epochsFor, formatEpochLine, inputSpecFor, inputsFor, modelDescriptor, textVocabularyOf, TOKEN_INPUT_KERNELS, predictModel, selectBackend, trainModel,
  type BackendChoice, type EmofuseModel, type EpochLog,
} from '@emofuse/models';
import { fitFusion, fusionRule, type SystemPosteriors } from '@emofuse/fusion';
import { FoldPool, PARTS, type Part, type Scores } from '@emofuse/eval';
import { RUN_KINDS, RUN_TAGS, corpusDataset, redactUri, type Tracker, type TrackerRun } from '@emofuse/tracking';
import type { Config } from '../config/schema.ts';
import { toResolvedYaml } from '../config/index.ts';
import { atConfigKey } from '../errors.ts';
import type { RunContext } from '../context.ts';
import { collectRunEnvironment, type RunEnvironment } from '../env.ts';
import { checkInputsAvailable, corpusFeatures, dialogueIndex, featureFileParams, featureFileSummary, foldInputs, type CorpusFeatures, type FoldInputs } from './features.ts';
import { gcPartials } from '../runs.ts';
import { checkRunMemory } from './memory.ts';
import { systemsToTrain } from './systems.ts';
import { fusionSystemName } from './names.ts';
import { RunFiles, type FoldChoice } from './run-files.ts';
import { SystemRuns, flattenConfig, logText, makeTracker, metaParams, readableStore, summaryMetrics } from './tracking.ts';

export type { Scores };
export interface SeedRun {
  runId: string;
  dir: string;
  seed: number;
  /** system -> split -> metrics (test pooled over folds; valid averaged over folds). */
  metrics: Record<string, Partial<Record<Part, Scores>>>;
}

export interface ExperimentResult {
  invocation: string;
  runs: SeedRun[];
  trackingLocation: string;
  parentRunId: string;
  report?: string;
}

/** What every seed of an invocation shares. */
interface Invocation {
  config: Config; ctx: RunContext; corpus: Corpus; labels: Map<string, string>; feats: CorpusFeatures; systems: string[];
  invocation: string; backend: BackendChoice; env: RunEnvironment; tracker: Tracker; parent: TrackerRun; baseTags: Record<string, string>;
  experimentName: string;
}

export async function runExperimentImpl(config: Config, ctx: RunContext): Promise<ExperimentResult> {
  // Everything that can be refused is checked before the first model trains.
  const corpus = readConfigCorpus(config);
  const systems = systemsToTrain(config);
  checkInputsAvailable(corpus, config, systems);
  // Every seed's folds are made (and a refused split refused, a leakage warned of) before anything is tracked.
  const warnOnce = onceWarn(ctx);
  for (const seed of config.seeds) configFolds(corpus, config, seed, warnOnce);
  const invocation = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
  ctx.log(`corpus ${corpus.name}: ${corpus.utterances.length} utterances, ${corpus.classes.length} classes (${corpus.classes.join(', ')}) from ${corpus.source}`);

  const backend = await selectBackend(config.train.backend, { models: systems, kernels: config.features.text.trainable ? TOKEN_INPUT_KERNELS : [] }).catch((e: unknown) => {
    throw atConfigKey(e, 'train.backend', 'run `emofuse setup backend` (builds tfjs-node in this folder; in the clone scripts/setup.sh does it), or set train.backend: auto');
  });
  ctx.log(`backend: ${backend.name} (${backend.reason})`);
  checkRunMemory(config, corpus, systems, ctx.warn); // every system built once: refused if it cannot train in this memory
  const env = collectRunEnvironment();
  if (env.gitDirty) ctx.warn('the git work tree has uncommitted changes; the run records the commit and the dirty flag');

  // Partial run folders of processes that died (kill -9, power loss) go; live ones are never touched.
  gcPartials(path.resolve(config.output.dir));
  const feats = await corpusFeatures(corpus, config, systems, ctx);
  const usable = dropUtterances(corpus, feats);
  const tracker = makeTracker(config, ctx);
  const experimentName = config.tracking.experiment ?? config.experiment;
  const baseTags = { ...config.tags, [RUN_TAGS.invocation]: invocation, [RUN_TAGS.corpus]: corpus.name, [RUN_TAGS.backend]: backend.name };
  const parent = await tracker.startRun({
    experiment: experimentName, runName: `${config.experiment}-${invocation}`, tags: { ...baseTags, [RUN_TAGS.kind]: RUN_KINDS.invocation },
    description: `emofuse ${config.experiment}: ${systems.join(', ')}${config.fusion.rules.length ? ` + late fusion ${config.fusion.rules.join(', ')}` : ''} on ${corpus.name}, split ${config.split.protocol}, seeds ${config.seeds.join(', ')}`,
  });
  ctx.log(`tracking: ${tracker.location} (experiment ${experimentName}, parent run ${parent.runId})`);
  const inv: Invocation = {
    config, ctx, corpus: usable, labels: new Map(usable.utterances.map((u) => [u.id, u.label])), feats, systems,
    invocation, backend, env, tracker, parent, baseTags, experimentName,
  };
  const result: ExperimentResult = { invocation, runs: [], trackingLocation: tracker.location, parentRunId: parent.runId };
  const open: SystemRuns[] = [];
  try {
    const firstFold = configFolds(usable, config, config.seeds[0], () => undefined)[0];
    await parent.logParams({ ...flattenConfig(config), ...metaParams(env, backend), 'corpus.fingerprint': corpusFingerprint(usable), ...featureFileParams(feats, firstFold) });
    await logText(parent, 'config.resolved.yaml', toResolvedYaml(config));
    for (const seed of config.seeds) {
      checkAborted(ctx);
      result.runs.push(await runSeed(inv, seed, open));
    }
    await parent.logMetrics(summaryMetrics(result.runs));
    if (config.report.enabled) result.report = await reportFor(inv, result);
    await parent.endRun('FINISHED');
    return result;
  } catch (e) {
    const status = ctx.signal.aborted ? 'KILLED' : 'FAILED';
    for (const runs of open) await runs.endAll(status);
    await parent.endRun(status).catch(() => undefined);
    throw e;
  }
}

/** One seed: per fold, train each system, fuse, score; then score test once, write and track. */
async function runSeed(inv: Invocation, seed: number, open: SystemRuns[]): Promise<SeedRun> {
  const { config, ctx, corpus } = inv;
  const runId = `${inv.invocation}-s${seed}`;
  const dir = path.resolve(config.output.dir, config.experiment, runId);
  // The corpus may have lost utterances whose features could not be made: fold it again.
  const folds = configFolds(corpus, config, seed, () => undefined);
  ctx.log(`\nseed ${seed}: ${folds.length} fold(s), run ${runId}`);
  ctx.onRunStart?.(runId, dir);
  const fusedNames = config.fusion.rules.map(fusionSystemName);
  const tracked = await SystemRuns.start(inv, { seed, dir, systems: inv.systems, fused: fusedNames, corpusFingerprint: corpusFingerprint(corpus), context: (s) => contextOf(config, s) });
  open.push(tracked);
  await tracked.logDataset(corpusDataset({
    name: corpus.name, fingerprint: corpusFingerprint(corpus), source: config.corpus.path, rows: corpus.utterances.length, classes: corpus.classes,
    splits: Object.fromEntries(PARTS.map((p) => [p, Math.round(folds.reduce((n, f) => n + f[p].length, 0) / folds.length)])),
  }));

  const metrics = await buildDirAtomic(dir, async (tmp) => {
    const files = new RunFiles(tmp, corpus);
    files.header(config, { runId, seed, invocation: inv.invocation, backend: inv.backend, meta: inv.env, oov: inv.feats.textStats ?? null, dropped: inv.feats.dropped, featureCacheHits: inv.feats.cacheHits, featureFiles: featureFileSummary(inv.feats, folds) });
    const pool = new FoldPool(inv.labels);
    // Fused system -> every fold's choice: folds may choose differently, and the spread is the finding.
    const fitted = new Map<string, FoldChoice[]>();
    for (const [fi, split] of folds.entries()) {
      checkAborted(ctx);
      const fold = { name: split.fold ?? 'main', index: fi, of: folds.length, tag: folds.length > 1 ? ` fold ${split.fold} (${fi + 1}/${folds.length})` : '' };
      const inputs = foldInputs(inv.feats, split, inv.labels, config, dialogueIndex(corpus));
      files.fold(fold.name, split, inputs.speechTransform, inputs.textTransform);
      ctx.log(formatSplitSummary(corpus, split));
      if (fi === 0) await tracked.tagAll({ [RUN_TAGS.splitFingerprint]: files.splitFingerprint(split), [RUN_TAGS.splitProtocol]: split.protocol, [RUN_TAGS.splitFolds]: folds.map((x) => x.fold ?? 'main').join(',') });
      const posteriors = await trainSystems(inv, { seed, split, fold, inputs, tracked, files });
      fuseSystems(inv, { split, fold, posteriors, files, fitted });
      for (const [name, p] of posteriors) {
        const scores = pool.add(name, split, p);
        if (folds.length > 1) await tracked.get(name).logMetrics(Object.entries(scores.test!).map(([k, v]) => ({ key: `fold_test_${k}`, value: v, step: fi })));
      }
    }
    // Test: scored once, on every test utterance (pooled over folds for leave-one-out).
    const out: SeedRun['metrics'] = {};
    for (const name of pool.systems()) {
      const s = pool.summary(name);
      out[name] = s.scores;
      files.system(name, s, fitted.get(name));
      await files.confusionSvg(name, s);
      await tracked.finish(name, s.scores, files.systemDir(name), fitted.get(name), s.testReport.perClass);
      ctx.log(`${name}: test UA ${pct(s.scores.test!.ua)}  WA ${pct(s.scores.test!.wa)}  F1 ${pct(s.scores.test!.f1)}${s.scores.valid ? `   (valid UA ${pct(s.scores.valid.ua)})` : ''}`);
    }
    files.metrics(out);
    return out;
  });
  await tracked.endAll('FINISHED');
  open.splice(open.indexOf(tracked), 1);
  ctx.onRunSaved?.(runId, dir);
  return { runId, dir, seed, metrics };
}

interface FoldStep {
  seed: number;
  split: Split;
  fold: { name: string; index: number; of: number; tag: string };
  inputs: FoldInputs;
  tracked: SystemRuns;
  files: RunFiles;
}

/** Trains every system of the fold in training order; returns each one's posteriors for the whole fold. */
async function trainSystems(inv: Invocation, f: FoldStep): Promise<Map<string, Posteriors>> {
  const { config, ctx, labels } = inv;
  const { split, fold, inputs } = f;
  const posteriors = new Map<string, Posteriors>();
  const trained: Record<string, EmofuseModel> = {};
  try {
    for (const system of inv.systems) {
      checkAborted(ctx);
      ctx.log(`${system}${fold.tag}: training on ${split.train.length} utterances, validating on ${split.valid.length}`);
      const model = buildModel({
        type: system, classes: inv.corpus.classes, input: inputSpecFor(system, inputs.all), textVocabulary: textVocabularyOf(inputs.all), model: config.model, seed: f.seed, from: trained,
      });
      trained[system] = model;
      const part = (ids: string[]) => ({ inputs: inputsFor(system, inputs.all, ids), labels });
      const run = f.tracked.get(system);
      const res = await trainModel(model, { train: part(split.train), valid: split.valid.length ? part(split.valid) : undefined }, {
        epochs: epochsFor(system, config.train.epochs), batchSize: config.train.batchSize, learningRate: config.train.learningRate, patience: config.train.patience,
        classWeights: config.train.classWeights, monitor: config.train.monitor, seed: f.seed, signal: ctx.signal,
        onEpochEnd: (log: EpochLog, info) => {
          ctx.log(`  ${system}${fold.tag} ${formatEpochLine(log, info.epochs, info.elapsed)}`);
          return run.logEpoch(log, fold);
        },
      });
      checkAborted(ctx);
      ctx.log(`  ${system}${fold.tag}: best epoch ${res.bestEpoch} of ${res.history.length}${res.stoppedEarly ? ' (early stop)' : ''}, ${res.seconds.toFixed(1)} s`);
      await run.logBestEpoch(res, fold);
      const p = predictModel(model, inputsFor(system, inputs.all, [...split.train, ...split.valid, ...split.test]));
      posteriors.set(system, p);
      await f.files.model(system, fold.name, model, res, p, split);
    }
  } finally {
    // Systems that take another's model have read it by now; free the fold's weights.
    for (const m of Object.values(trained)) m.net.dispose();
  }
  return posteriors;
}

/** Late fusion: each rule is fitted on this fold's validation posteriors (if it chooses anything), then applied. */
function fuseSystems(inv: Invocation, f: Pick<FoldStep, 'split' | 'fold' | 'files'> & { posteriors: Map<string, Posteriors>; fitted: Map<string, FoldChoice[]> }): void {
  const { config, ctx, labels } = inv;
  const { split, fold } = f;
  const sys = (part: Part): SystemPosteriors[] => config.fusion.systems.map((s) => ({ ...subsetPosteriors(f.posteriors.get(s)!, split[part]), name: s }));
  for (const rule of config.fusion.rules) {
    const name = fusionSystemName(rule);
    const fit = fitFusion(rule, fusionRule(rule).fitted && split.valid.length ? { systems: sys('valid'), labels } : undefined, { metric: config.fusion.metric, step: config.fusion.step });
    if (fit.params !== undefined) {
      f.fitted.set(name, [...(f.fitted.get(name) ?? []), { fold: fold.name, index: fold.index, params: fit.params }]);
      const w = (fit.params as { weights?: number[] }).weights;
      if (w) ctx.log(`  ${name}${fold.tag}: w = [${w.map((x) => x.toFixed(2)).join(', ')}] for [${config.fusion.systems.join(', ')}], validation ${config.fusion.metric} ${pct((fit.params as { score: number }).score)}`);
    }
    const fused = PARTS.filter((part) => split[part].length).map((part) => ({ part, p: fit.apply(sys(part)) }));
    f.posteriors.set(name, concatPosteriors(fused.map((x) => x.p)));
    f.files.fusion(name, rule, fold.name, fit.params, fused);
  }
}

async function reportFor(inv: Invocation, result: ExperimentResult): Promise<string | undefined> {
  const { config, ctx, experimentName } = inv;
  try {
    const { reportFromStore } = await import('@emofuse/report');
    const outDir = path.resolve(config.output.dir, config.experiment, `report-${result.invocation}`);
    const store = readableStore(inv.tracker);
    const tracked = inv.tracker.location.startsWith('file:') ? undefined : `${redactUri(inv.tracker.location)} (read back from its local copy ${store})`;
    const paths = await reportFromStore({
      from: { store }, sourceLabel: tracked, experiment: experimentName, tags: { [RUN_TAGS.invocation]: result.invocation },
      outDir, title: `${config.experiment} (${inv.corpus.name}, ${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''})`,
    });
    await inv.parent.logArtifactDir(paths.dir, 'report');
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

/** Whether a system reads whole dialogues (a fused system does when any of its parts does). */
export function contextOf(config: Config, system: string): 'utterance' | 'dialogue' {
  const parts = system.startsWith('late-') ? config.fusion.systems : [system];
  return parts.some((s) => modelDescriptor(s).context === 'dialogue') ? 'dialogue' : 'utterance';
}

const pct = (x: number) => (100 * x).toFixed(2);

function corpusFingerprint(corpus: Corpus): string {
  return fingerprint(corpus.utterances.map((u) => [u.id, u.label, u.speaker, u.text]));
}

/** Each warning once per invocation (every seed's split would say the same). */
function onceWarn(ctx: RunContext): (m: string) => void {
  const seen = new Set<string>();
  return (m) => { if (!seen.has(m)) { seen.add(m); ctx.warn(m); } };
}

function checkAborted(ctx: RunContext): void {
  if (ctx.signal.aborted) throw new EmofuseError('interrupted', { where: 'run' });
}
