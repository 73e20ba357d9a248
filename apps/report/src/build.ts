import path from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import * as aq from 'arquero';
import type { TopLevelSpec } from 'vega-lite';
import { buildDirAtomic, EmofuseError } from '@emofuse/core';
import { checkReportInput, type ConfusionArtifact, type ReportInputLike } from './input.ts';
import { decidePaperComparison, loadReference, REFERENCE_FILE, type PaperDecision, type Reference } from './reference.ts';
import { ablationDisplayRows, ablationMarkdown, ablationTable, fusionChoiceDisplayRows, fusionChoices, resultEntries, resultTableRows, selectRuns, seedRows, spreadNote, summarise, summaryMarkdown, type AblationOptions, type AblationRow, type SummaryRow } from './tables.ts';
import { labelRuns, latestPerSeed, type LabelledRun } from './configs.ts';
import { chanceRows, type ChanceRow } from './chance.ts';
import { perClassDisplayRows, perClassRows } from './perclass.ts';
import { significance, significanceDisplayRows, type SignificanceOptions } from './significance.ts';
import { collapseWarnings } from './warnings.ts';
import { sweepDisplayRows, sweepPoints, sweepRuns, type SweepOptions } from './sweep.ts';
import { conditionRows, conditionsMarkdown, diffRows, experimentConditions, loadPaperConfig, type PaperConfig } from './conditions.ts';
import { ablationSpec, comparisonSpec, confusionSpec, fusionCurveSpec, trainingCurvesSpec, type ConfusionEntry, type Spread } from './charts.ts';
import { renderSvg, toVega } from './render.ts';
import { escapeHtml, renderHtml, type HtmlChart, type HtmlSection } from './html.ts';

export interface BuildReportOptions {
  input: ReportInputLike;
  /** The report directory; written whole or not at all. */
  outDir: string;
  title?: string;
  /** Systems to report (default: every system in the input), in this order. */
  systems?: string[];
  /** Split whose final metrics are compared with the paper (default 'test'). */
  split?: string;
  /** Error bars over seeds: ±1 sample std (default) or min..max. */
  spread?: Spread;
  /** Systems (or configuration rows, by label) whose confusion matrices to draw (default: every selected one that has one). */
  confusionSystems?: string[];
  /**
   * The ablation table and chart; false leaves it out (it is also left out with a single variant).
   * Unset: by experiment when the runs span several, by configuration when a system ran in several, else none.
   */
  ablation?: AblationOptions | false;
  referenceFile?: string;
  /**
   * The paper's IEMOCAP numbers are drawn beside ours when the runs themselves show they are
   * comparable (decidePaperComparison: corpus tag, the paper's 6 classes, not cross-validated).
   * `false` leaves them out regardless; `true` or unset lets the report decide (it never forces
   * the comparison onto runs that are not comparable).
   */
  comparePaper?: boolean;
  /** Fixed timestamp for reproducible output in tests. */
  now?: Date;
  /** Pairs of systems (or row labels) to test against each other, beside every fused system against its parts; bootstrap settings. */
  significance?: SignificanceOptions;
  /** A sweep's report: every point's validation score, the chosen point's test score (the others' only with showTestAll). */
  sweep?: SweepOptions;
  /** The paper's Table 1 and the corpus caveats (default: data/paper-config.json). */
  paperConfig?: PaperConfig;
}

export interface ReportPaths {
  dir: string;
  html: string;
  summary: string;
  /** Summary numbers as JSON (seed rows and per-system statistics). */
  json: string;
  ablation?: string;
  /** Chart name -> SVG file. */
  svgs: Record<string, string>;
  /** Chart name -> Vega-Lite spec file. */
  specs: Record<string, string>;
}

interface NamedChart {
  name: string;
  title: string;
  caption?: string;
  spec: TopLevelSpec;
}

function sumConfusions(system: string, runs: LabelledRun[], split: string): ConfusionEntry | undefined {
  const withCm = runs.filter((r) => r.confusion && r.confusion.split === split);
  if (withCm.length === 0) return undefined;
  const first = withCm[0].confusion!;
  const counts = first.classes.map(() => first.classes.map(() => 0));
  for (const r of withCm) {
    const cm = r.confusion!;
    if (cm.classes.join('\u0000') !== first.classes.join('\u0000')) {
      throw new EmofuseError(`run ${r.id} has confusion classes [${cm.classes.join(', ')}] but run ${withCm[0].id} has [${first.classes.join(', ')}]`, {
        where: `confusion matrices of ${system}`,
        fix: 'report runs of one corpus and class order together',
      });
    }
    cm.counts.forEach((row, i) => row.forEach((v, j) => (counts[i][j] += v)));
  }
  const confusion: ConfusionArtifact = { split, classes: first.classes, counts };
  return { system, confusion, seeds: withCm.length };
}

function charts(runs: LabelledRun[], labels: string[], summary: SummaryRow[], rowsBySeed: ReturnType<typeof seedRows>, reference: Reference, chance: ChanceRow[], opts: BuildReportOptions, units: 'fraction' | 'percent') {
  const split = opts.split ?? 'test';
  const out: NamedChart[] = [];
  const notes: string[] = [];
  const cited = reference.rows.length > 0;
  out.push({
    name: 'comparison',
    title: cited ? 'UA / WA / weighted F1: measured here beside the paper' : 'UA / WA / weighted F1 per system',
    caption: [
      `Systems measured here on the ${split} split`,
      cited ? ", the paper's Table 2 (same method) and the Table 3 baselines it cites" : '',
      chance.length ? ', and the majority-class and chance scores of the test labels' : '',
      '. ',
      rowsBySeed.some((r) => r.context === 'dialogue') || reference.rows.some((r) => r.dialogLevel) ? 'Dialogue-level rows (*, hollow) use conversation context; utterance-level ones do not.' : '',
    ].join(''),
    spec: comparisonSpec(summary, rowsBySeed, reference, { spread: opts.spread, split, chance }),
  });

  // Confusion matrices per configuration row; a system name picks every configuration of it.
  const wanted = opts.confusionSystems ? opts.confusionSystems.flatMap((s) => {
    const picked = labels.filter((l) => l === s || runs.some((r) => r.label === l && r.system === s));
    if (picked.length === 0) throw new EmofuseError(`confusion matrix asked for system ${JSON.stringify(s)}, which is not in the report`, { where: 'report options', fix: `choose among: ${[...new Set(runs.map((r) => r.system))].join(', ')}` });
    return picked;
  }) : labels;
  const cms: ConfusionEntry[] = [];
  for (const l of [...new Set(wanted)]) {
    const e = sumConfusions(l, runs.filter((r) => r.label === l), split);
    if (e) cms.push(e);
    else if (opts.confusionSystems) throw new EmofuseError(`no run of ${l} has a ${split} confusion matrix`, { where: 'report options', fix: 'log the confusion artifact for these runs, or drop the system from confusionSystems' });
  }
  if (cms.length > 0) {
    out.push({ name: 'confusion', title: 'Confusion matrices', caption: 'Rows are the true classes; each row sums to 100%.', spec: confusionSpec(cms) });
  } else notes.push(`No run has a ${split} confusion matrix, so there are no confusion matrices and no majority-class or chance rows.`);

  const curves = runs.filter((r) => r.fusionCurve).map((r) => ({ system: r.label, seed: r.seed, curve: r.fusionCurve! }));
  if (curves.length > 0) {
    out.push({
      name: 'fusion-weight',
      title: 'Late fusion weights (w1) chosen on validation, every fold and seed',
      caption: 'Every curve is scored on one fold\'s validation split only; each fold applies its own choice to its test utterances, and the pooled test set is scored once.',
      spec: fusionCurveSpec(curves, units),
    });
  } else notes.push('No run has a fusion weight curve (no weighted late fusion in these runs).');

  // One panel per configuration, so two configurations' curves never join into one line.
  const histories = runs.filter((r) => r.history.length > 0).map((r) => ({ system: r.label, seed: r.seed, history: r.history }));
  if (histories.length > 0) {
    out.push({ name: 'training', title: 'Training curves', caption: 'One panel per system and configuration. Early stopping restores the weights of the epoch with the lowest validation loss.', spec: trainingCurvesSpec(histories) });
  } else notes.push('No run has a per-epoch history.');
  return { charts: out, notes };
}

/** One seed's test confusion per configuration row: the test labels the chance rows are computed from. */
function chanceFrom(runs: LabelledRun[], split: string): ChanceRow[] {
  return chanceRows(runs.filter((r) => r.confusion && r.confusion.split === split).map((r) => ({ row: r.label, confusion: r.confusion! })));
}

function htmlTable(rows: Array<Record<string, unknown>>): string {
  // Built from our own formatted strings; arquero escapes cell text.
  return aq.from(rows).toHTML();
}

/**
 * The ablation a report shows unless told: across experiments when the runs span several, across a
 * system's configurations when one ran in several; otherwise none, since one row per system is
 * just the results table again.
 */
function defaultAblation(runs: LabelledRun[]): AblationOptions | false {
  if (new Set(runs.map((r) => r.experiment)).size > 1) return { by: 'experiment' };
  const labels = new Map<string, Set<string>>();
  for (const r of runs) labels.set(r.system, (labels.get(r.system) ?? new Set()).add(r.label));
  return [...labels.values()].some((l) => l.size > 1) ? { by: 'system' } : false;
}

/**
 * Build the report directory: report.html (self-contained), summary.md, report.json, ablation.md,
 * charts/*.svg and specs/*.vl.json. Throws EmofuseError (and writes nothing) on bad input.
 */
export async function buildReport(opts: BuildReportOptions): Promise<ReportPaths> {
  const input = checkReportInput(opts.input, opts.input.source ?? 'report input');
  const split = opts.split ?? 'test';
  const fullReference = loadReference(opts.referenceFile ?? REFERENCE_FILE);
  const selected = selectRuns(input, opts.systems);
  const points = opts.sweep ? sweepPoints(selected, opts.sweep, input.metricUnits) : [];
  const latest = latestPerSeed(labelRuns(opts.sweep ? sweepRuns(selected, opts.sweep) : selected));
  const runs = latest.runs;
  // Decided from what the runs record; without the comparison the paper's rows are dropped everywhere, the citation stays.
  const decision: PaperDecision = decidePaperComparison(runs, fullReference, split, opts.comparePaper);
  const reference: Reference = decision.applies ? fullReference : { ...fullReference, rows: [] };
  const systems = opts.systems ?? [...new Set(runs.map((r) => r.system))];
  const labels = [...new Set(runs.map((r) => r.label))];
  const bySeed = seedRows(runs, split, input.metricUnits);
  const summary = summarise(bySeed, reference, new Map(runs.map((r) => [r.label, r.differs])));
  const chance = chanceFrom(runs, split);
  const title = opts.title ?? 'emofuse report';

  const { charts: named, notes } = charts(runs, labels, summary, bySeed, reference, chance, opts, input.metricUnits);
  notes.push(...latest.notes, ...input.skipped);

  let ablationMd: string | undefined;
  let ablationRows: AblationRow[] | undefined;
  let ablationBaseline = '';
  const ablation = opts.ablation === undefined ? defaultAblation(runs) : opts.ablation;
  if (ablation === false && opts.ablation === undefined) {
    notes.push('No ablation table: each system ran in one configuration of one experiment, so it would repeat the results table (ask for one by experiment or by a tag: `emofuse report --ablation experiment|tag:<key>`).');
  }
  if (ablation !== false) {
    const table = ablationTable(runs, bySeed, ablation);
    ablationRows = table.objects() as unknown as AblationRow[];
    if (ablationRows.length >= 2) {
      ablationBaseline = ablation.baseline ?? ablationRows[0].variant;
      ablationMd = ablationMarkdown(table, ablationBaseline);
      named.push({ name: 'ablation', title: 'Ablation', caption: `Differences from ${ablationBaseline}, in percentage points of the ${split} scores.`, spec: ablationSpec(ablationRows, ablationBaseline) });
    } else ablationRows = undefined;
  }

  // Compile and render before touching the disk, so a failing chart leaves no directory behind.
  const compiled = named.map((c) => ({ ...c, vega: toVega(c.spec, c.name) }));
  const svgs = await Promise.all(compiled.map((c) => renderSvg(c.vega, c.name)));

  const conditions = experimentConditions(runs, opts.paperConfig ?? loadPaperConfig());
  const summaryMd = `# ${title}\n\n${conditionsMarkdown(conditions)}\n${summaryMarkdown(summary, reference, split, { chance, paperReason: decision.reason })}${ablationMd ? `\n## Ablation\n\n${ablationMd}\n` : ''}`;
  const captions = [
    `${spreadNote(summary)} F1 is support-weighted.`,
    chance.length ? 'Majority class and chance are computed from the test labels: the majority-class classifier always answers the most frequent class (UA = 1/k); chance guesses uniformly (UA = WA = 1/k).' : '',
    summary.some((s) => s.context === 'dialogue') || reference.rows.some((r) => r.dialogLevel) ? 'Rows marked * are dialogue-level: they use the conversation around each utterance.' : '',
  ].filter(Boolean);
  const paperColumns = decision.applies
    ? `The "cited" rows and the "UA − cited" column are shown: ${decision.reason}.`
    : `There are no "cited" rows and no "UA − cited" column: ${decision.reason}.`;
  const sections: HtmlSection[] = [
    {
      heading: 'Run conditions',
      html: conditions.map((c) => [
        `<h3>${escapeHtml(c.experiment)}</h3>`,
        htmlTable(conditionRows(c)),
        c.differs.length
          ? `<div class="caption">${escapeHtml("Where the resolved config differs from the paper's Table 1:")}</div>${htmlTable(diffRows(c))}`
          : `<div class="caption">${escapeHtml("The logged config matches the paper's Table 1 on every key the runs logged.")}</div>`,
      ].join('')).join('') + `<div class="caption" id="paper-columns">${escapeHtml(paperColumns)}</div>`,
    },
    {
      heading: `Results (${split} split, %)`,
      html: htmlTable(resultTableRows(resultEntries(summary, reference, chance), { seeds: true })) + captions.map((c) => `<div class="caption">${escapeHtml(c)}</div>`).join(''),
    },
  ];
  if (opts.sweep) {
    const o = opts.sweep;
    sections.push({
      heading: 'Sweep points',
      html: htmlTable(sweepDisplayRows(points, o)) + `<div class="caption">${escapeHtml(`The point is chosen by the validation ${o.metric.toUpperCase()} of ${o.target} (mean over seeds); test was not looked at to choose. ${o.showTestAll ? 'Every point\'s test score is shown; only the chosen point\'s is a result, the others were not used for the choice.' : 'Only the chosen point\'s test score is shown, and the tables and charts below hold only its runs (--show-test-all shows every point, marked "not used for the choice").'}`)}</div>`,
    });
  }
  const warnings = collapseWarnings(runs, summary, split);
  if (warnings.length) {
    sections.push({ heading: 'Warnings', html: `<ul class="warnings">${warnings.map((w) => `<li>${escapeHtml(w.text)}</li>`).join('')}</ul>` });
  }
  const perClass = perClassRows(runs, split);
  if (perClass.length) {
    sections.push({
      heading: `Per class (${split} split, %)`,
      html: htmlTable(perClassDisplayRows(perClass)) + `<div class="caption">${escapeHtml("Recall, precision and F1 of each class from each seed's confusion matrix, mean ± sample sd over seeds; support = the class's test utterances.")}</div>`,
    });
  } else notes.push(`No run has a ${split} confusion matrix, so there is no per-class table.`);
  const sig = significance(runs, opts.significance);
  notes.push(...sig.notes);
  sections.push({
    heading: 'Significance',
    html: sig.tests.length
      ? htmlTable(significanceDisplayRows(sig.tests)) + `<div class="caption">${escapeHtml(`Each fused system against each system it fuses${opts.significance?.pairs?.length ? ', and the pairs named' : ''}, on the same test utterances, seed by seed: the paired bootstrap ${Math.round(100 * (opts.significance?.level ?? 0.95))}% interval of ΔUA (B = ${opts.significance?.B ?? 1000}, resampling utterances) and McNemar's exact two-sided p. The pooled row gives the mean ± sd of ΔUA over seeds and in how many seeds the interval excludes 0; seeds are not concatenated, since they score the same utterances.`)}</div>`
      : `<p class="caption">${escapeHtml(sig.notes.length ? 'No pair could be tested (see "Not shown").' : 'No pair to test: no fused system with its components, and no pair named.')}</p>`,
  });
  const choices = fusionChoices(runs);
  if (choices.length) {
    sections.push({
      heading: 'Late fusion weights chosen on validation',
      html: htmlTable(fusionChoiceDisplayRows(choices)) + `<div class="caption">${escapeHtml('Each fold of each seed chooses its weights on its own validation split; w1 weights the first fused system, w2 = 1 − w1. A wide spread means the choice is not stable across folds.')}</div>`,
    });
  }
  if (ablationRows) sections.push({ heading: 'Ablation table', html: htmlTable(ablationDisplayRows(ablationRows, ablationBaseline)) });
  if (notes.length > 0) sections.push({ heading: 'Not shown', html: `<ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` });

  const now = opts.now ?? new Date();
  const experiments = [...new Set(runs.map((r) => r.experiment))];
  const htmlCharts: HtmlChart[] = compiled.map((c) => ({ id: `chart-${c.name}`, title: c.title, caption: c.caption, spec: c.vega }));
  const html = renderHtml({
    title,
    meta: [
      `Generated ${now.toISOString()} from ${input.source ?? 'the given runs'}`,
      `${runs.length} runs · systems: ${systems.join(', ')}${labels.length > systems.length ? ` (${labels.length} configurations)` : ''} · experiments: ${experiments.join(', ')} · split: ${split}`,
      `Paper comparison ${decision.applies ? 'shown' : 'not shown'}: ${decision.reason}.`,
    ],
    sections,
    charts: htmlCharts,
    footer:
      reference.rows.length > 0
        ? `Reference numbers: ${reference.source.citation}; ${reference.source.tables}. Kept in apps/report/data/reference.json.`
        : `The paper's ${fullReference.source.corpus} numbers are not shown: ${decision.reason}.`,
  });

  const dir = path.resolve(opts.outDir);
  return buildDirAtomic(dir, async (tmp) => {
    const out: ReportPaths = { dir, html: path.join(dir, 'report.html'), summary: path.join(dir, 'summary.md'), json: path.join(dir, 'report.json'), svgs: {}, specs: {} };
    writeFileSync(path.join(tmp, 'report.html'), html);
    writeFileSync(path.join(tmp, 'summary.md'), summaryMd);
    writeFileSync(path.join(tmp, 'report.json'), JSON.stringify({ title, split, generated: now.toISOString(), source: input.source ?? null, paperComparison: decision, summary, chance, seeds: bySeed, sweepPoints: opts.sweep ? points : null, conditions, warnings, perClass, significance: sig.tests, fusionChoices: choices, ablation: ablationRows ?? null }, null, 2) + '\n');
    if (ablationMd) {
      writeFileSync(path.join(tmp, 'ablation.md'), `# Ablation\n\n${ablationMd}\n`);
      out.ablation = path.join(dir, 'ablation.md');
    }
    mkdirSync(path.join(tmp, 'charts'));
    mkdirSync(path.join(tmp, 'specs'));
    compiled.forEach((c, i) => {
      writeFileSync(path.join(tmp, 'charts', `${c.name}.svg`), svgs[i]);
      writeFileSync(path.join(tmp, 'specs', `${c.name}.vl.json`), JSON.stringify(c.spec, null, 2) + '\n');
      out.svgs[c.name] = path.join(dir, 'charts', `${c.name}.svg`);
      out.specs[c.name] = path.join(dir, 'specs', `${c.name}.vl.json`);
    });
    return out;
  });
}
