/**
 * What one seed's run directory holds, written into its temporary folder (renamed into place by
 * the caller only when complete): config.resolved.yaml, meta.json, splits/, transforms/, models/,
 * history/, posteriors/, fusion/, systems/<system>/ (what each tracked run uploads), metrics.json.
 */
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { savePosteriors, subsetPosteriors, writeJsonAtomic, type Corpus, type Posteriors, type Split } from '@emofuse/core';
import { splitFingerprint, splitToJson, summariseSplit, type PipelineJSON } from '@emofuse/data';
import { saveModel, type EmofuseModel, type TrainResult } from '@emofuse/models';
import { PARTS, predictions, type Part, type Scores, type SystemSummary } from '@emofuse/eval';
import type { Config } from '../config/schema.ts';
import { toResolvedYaml } from '../config/index.ts';
import { inputFingerprints } from '../sweep/inputs.ts';

/** What a fitted fusion rule chose on one fold's validation split. */
export interface FoldChoice { fold: string; index: number; params: unknown }

interface WeightSearch { curve?: { w1: number; score: number }[]; metric: string; step: number; weights: number[]; systems: string[]; score: number }

/**
 * The weight search of every fold (fusion_curve.json): each fold's validation curve and chosen
 * weights. `curve` and `chosen` repeat the first fold's for readers of the one-fold layout.
 */
export function fusionCurveOf(fitted: FoldChoice[] | undefined) {
  const searches = (fitted ?? []).filter((c) => (c.params as WeightSearch | undefined)?.curve);
  if (!searches.length) return undefined;
  const first = searches[0].params as WeightSearch;
  const folds = searches.map((c) => {
    const p = c.params as WeightSearch;
    return { fold: c.fold, curve: p.curve!.map((x) => ({ w1: x.w1, score: x.score })), chosen: { w1: p.weights[0], weights: p.weights }, score: p.score };
  });
  return { metric: first.metric, step: first.step, systems: first.systems, fold: folds[0].fold, curve: folds[0].curve, chosen: { ...folds[0].chosen, systems: first.systems }, folds };
}

export class RunFiles {
  private labels?: Map<string, string>;
  constructor(readonly dir: string, private readonly corpus: Corpus) {}

  header(config: Config, meta: Record<string, unknown>): void {
    writeFileSync(path.join(this.dir, 'config.resolved.yaml'), toResolvedYaml(config));
    // The data's fingerprints, so a resume can tell the run was made from other data.
    writeJsonAtomic(path.join(this.dir, 'meta.json'), { ...meta, inputs: inputFingerprints(config), startedAt: new Date().toISOString() });
  }

  splitFingerprint(split: Split): string {
    return splitFingerprint(split);
  }

  /** The fold's split and its fitted transforms: transforms/<fold>.json (speech), transforms/<fold>.text.json. */
  fold(name: string, split: Split, transform: PipelineJSON | null, textTransform: unknown = null): void {
    writeJsonAtomic(path.join(this.dir, 'splits', `${name}.json`), { ...splitToJson(split, this.corpus), summary: summariseSplit(this.corpus, split) });
    if (transform) writeJsonAtomic(path.join(this.dir, 'transforms', `${name}.json`), transform);
    if (textTransform) writeJsonAtomic(path.join(this.dir, 'transforms', `${name}.text.json`), textTransform);
  }

  /** The trained model, its training history and its posteriors of each part of the fold. */
  async model(system: string, fold: string, model: EmofuseModel, res: TrainResult, p: Posteriors, split: Split): Promise<void> {
    await saveModel(model, path.join(this.dir, 'models', system, fold));
    writeJsonAtomic(path.join(this.dir, 'history', system, `${fold}.json`), res);
    this.posteriors(system, fold, PARTS.filter((part) => split[part].length).map((part) => ({ part, p: subsetPosteriors(p, split[part]) })));
  }

  /** A fused system's posteriors, and the parameters a fitted rule chose on validation. */
  fusion(system: string, rule: string, fold: string, params: unknown, parts: { part: Part; p: Posteriors }[]): void {
    if (params !== undefined) writeJsonAtomic(path.join(this.dir, 'fusion', rule, `${fold}.json`), params);
    this.posteriors(system, fold, parts);
  }

  private posteriors(system: string, fold: string, parts: { part: Part; p: Posteriors }[]): void {
    for (const { part, p } of parts) savePosteriors(p, path.join(this.dir, 'posteriors', system, fold, `${part}.json`));
  }

  systemDir(system: string): { system: string; models: string } {
    return { system: path.join(this.dir, 'systems', system), models: path.join(this.dir, 'models', system) };
  }

  /**
   * A system's scored outputs, written once and uploaded from here: pooled test posteriors,
   * confusion matrix, scores, and for a fitted rule every fold's validation curve and choice.
   */
  system(name: string, s: SystemSummary, fitted?: FoldChoice[]): void {
    const dir = this.systemDir(name).system;
    writeJsonAtomic(path.join(dir, 'confusion_test.json'), { classes: s.testReport.classes, counts: s.testReport.confusion });
    writeJsonAtomic(path.join(dir, 'metrics.json'), { ...s.scores, perClass: s.testReport.perClass });
    savePosteriors(s.test, path.join(dir, 'posteriors_test.json'));
    // Label and prediction per test utterance: what paired tests between systems need, without the corpus.
    const label = this.labels ??= new Map(this.corpus.utterances.map((u) => [u.id, u.label]));
    const pred = predictions(s.test, `${name} test`);
    writeJsonAtomic(path.join(dir, 'predictions_test.json'), { classes: s.test.classes, ids: s.test.ids, truth: s.test.ids.map((id) => label.get(id)), pred: Array.from(pred, (i) => s.test.classes[i]) });
    const curve = fusionCurveOf(fitted);
    if (curve) writeJsonAtomic(path.join(dir, 'fusion_curve.json'), { ...curve, test: s.scores.test });
  }

  /** The pooled test confusion matrix drawn as SVG beside its JSON, so the MLflow UI shows it as an image. */
  async confusionSvg(name: string, s: SystemSummary): Promise<void> {
    const { confusionSpec, renderSvg, toVega } = await import('@emofuse/report');
    const spec = confusionSpec([{ system: name, confusion: { split: 'test', classes: s.testReport.classes, counts: s.testReport.confusion }, seeds: 1 }]);
    writeFileSync(path.join(this.systemDir(name).system, 'confusion_test.svg'), await renderSvg(toVega(spec, `${name} confusion`), `${name} confusion`));
  }

  /** Scores of every system; per-class figures and confusion matrices are in systems/<system>/. */
  metrics(m: Record<string, Partial<Record<Part, Scores>>>): void {
    writeJsonAtomic(path.join(this.dir, 'metrics.json'), m);
  }
}
