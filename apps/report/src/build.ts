import path from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import * as aq from 'arquero';
import type { TopLevelSpec } from 'vega-lite';
import { buildDirAtomic, EmofuseError } from '@emofuse/core';
import { checkReportInput, type ConfusionArtifact, type ReportInputLike, type ReportRun } from './input.ts';
import { loadReference, REFERENCE_FILE, type Reference } from './reference.ts';
import { ablationMarkdown, ablationTable, selectRuns, seedRows, summarise, summaryDisplayRows, summaryMarkdown, type AblationOptions, type AblationRow, type SummaryRow } from './tables.ts';
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
  /** Systems whose confusion matrices to draw (default: every selected system that has one). */
  confusionSystems?: string[];
  /** The ablation table and chart; false leaves it out (it is also left out with a single variant). */
  ablation?: AblationOptions | false;
  referenceFile?: string;
  /** Draw and tabulate the paper's IEMOCAP numbers beside ours (default true; turn off for other corpora). */
  comparePaper?: boolean;
  /** Fixed timestamp for reproducible output in tests. */
  now?: Date;
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

function sumConfusions(system: string, runs: ReportRun[], split: string): ConfusionEntry | undefined {
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

function charts(runs: ReportRun[], systems: string[], summary: SummaryRow[], rowsBySeed: ReturnType<typeof seedRows>, reference: Reference, opts: BuildReportOptions, units: 'fraction' | 'percent') {
  const split = opts.split ?? 'test';
  const out: NamedChart[] = [];
  const notes: string[] = [];
  out.push({
    name: 'comparison',
    title: reference.rows.length > 0 ? 'UA / WA / F1: ours beside the paper' : 'UA / WA / F1 per system',
    caption:
      reference.rows.length > 0
        ? `Our systems on the ${split} split, the paper's Table 2 (same method) and its Table 3 baselines. Dialog-level systems (*) use conversation context, which ours do not.`
        : `Our systems on the ${split} split.`,
    spec: comparisonSpec(summary, rowsBySeed, reference, { spread: opts.spread, split }),
  });

  const cmSystems = opts.confusionSystems ?? systems;
  const cms: ConfusionEntry[] = [];
  for (const s of cmSystems) {
    if (!systems.includes(s)) throw new EmofuseError(`confusion matrix asked for system ${JSON.stringify(s)}, which is not in the report`, { where: 'report options', fix: `choose among: ${systems.join(', ')}` });
    const e = sumConfusions(s, runs.filter((r) => r.system === s), split);
    if (e) cms.push(e);
    else if (opts.confusionSystems) throw new EmofuseError(`no run of system ${s} has a ${split} confusion matrix`, { where: 'report options', fix: 'log the confusion artifact for these runs, or drop the system from confusionSystems' });
  }
  if (cms.length > 0) {
    out.push({ name: 'confusion', title: 'Confusion matrices', caption: 'Rows are the true classes; each row sums to 100%.', spec: confusionSpec(cms) });
  } else notes.push(`No run has a ${split} confusion matrix.`);

  const curves = runs.filter((r) => r.fusionCurve).map((r) => ({ system: r.system, seed: r.seed, curve: r.fusionCurve! }));
  if (curves.length > 0) {
    out.push({
      name: 'fusion-weight',
      title: 'Late fusion weight (w1) chosen on validation',
      caption: 'The curve is scored on the validation split only; the test score is computed once, at the chosen w1.',
      spec: fusionCurveSpec(curves, units),
    });
  } else notes.push('No run has a fusion weight curve (no weighted late fusion in these runs).');

  const histories = runs.filter((r) => r.history.length > 0).map((r) => ({ system: r.system, seed: r.seed, history: r.history }));
  if (histories.length > 0) {
    out.push({ name: 'training', title: 'Training curves', caption: 'Early stopping restores the weights of the epoch with the lowest validation loss.', spec: trainingCurvesSpec(histories) });
  } else notes.push('No run has a per-epoch history.');
  return { charts: out, notes };
}

function htmlTable(rows: Array<Record<string, unknown>>): string {
  // Built from our own formatted strings; arquero escapes cell text.
  return aq.from(rows).toHTML();
}

/**
 * Build the report directory: report.html (self-contained), summary.md, report.json, ablation.md,
 * charts/*.svg and specs/*.vl.json. Throws EmofuseError (and writes nothing) on bad input.
 */
export async function buildReport(opts: BuildReportOptions): Promise<ReportPaths> {
  const input = checkReportInput(opts.input, opts.input.source ?? 'report input');
  const split = opts.split ?? 'test';
  const fullReference = loadReference(opts.referenceFile ?? REFERENCE_FILE);
  // Without the comparison the paper's rows are dropped everywhere (tables, chart), the citation stays.
  const reference: Reference = opts.comparePaper === false ? { ...fullReference, rows: [] } : fullReference;
  const runs = selectRuns(input, opts.systems);
  const systems = opts.systems ?? [...new Set(runs.map((r) => r.system))];
  const bySeed = seedRows(runs, split, input.metricUnits);
  const summary = summarise(bySeed, reference);
  const title = opts.title ?? 'emofuse report';

  const { charts: named, notes } = charts(runs, systems, summary, bySeed, reference, opts, input.metricUnits);

  let ablationMd: string | undefined;
  let ablationRows: AblationRow[] | undefined;
  if (opts.ablation !== false) {
    const table = ablationTable(runs, bySeed, opts.ablation || {});
    ablationRows = table.objects() as unknown as AblationRow[];
    if (ablationRows.length >= 2) {
      const baseline = (opts.ablation || {}).baseline ?? ablationRows[0].variant;
      ablationMd = ablationMarkdown(table, baseline);
      named.push({ name: 'ablation', title: 'Ablation', caption: `Differences from ${baseline}, in percentage points of the ${split} scores.`, spec: ablationSpec(ablationRows, baseline) });
    } else ablationRows = undefined;
  }

  // Compile and render before touching the disk, so a failing chart leaves no directory behind.
  const compiled = named.map((c) => ({ ...c, vega: toVega(c.spec, c.name) }));
  const svgs = await Promise.all(compiled.map((c) => renderSvg(c.vega, c.name)));

  const summaryMd = `# ${title}\n\n${summaryMarkdown(summary, reference, split)}${ablationMd ? `\n## Ablation\n\n${ablationMd}\n` : ''}`;
  const fmt = (x?: number) => (x === undefined ? '–' : x.toFixed(1));
  const sections: HtmlSection[] = [
    {
      heading: `Results (${split} split, %)`,
      html: htmlTable(summaryDisplayRows(summary, { seeds: true })) + '<div class="caption">mean ± sample standard deviation over seeds.</div>',
    },
  ];
  if (ablationRows) {
    const baseline = (opts.ablation || {}).baseline ?? ablationRows[0].variant;
    sections.push({
      heading: 'Ablation table',
      html: htmlTable(ablationRows.map((r) => ({ variant: r.variant, n: r.n, UA: `${fmt(r.ua_mean)} ± ${fmt(r.ua_std)}`, 'ΔUA': r.variant === baseline ? 'baseline' : fmt(r.ua_delta), WA: `${fmt(r.wa_mean)} ± ${fmt(r.wa_std)}`, 'ΔWA': r.variant === baseline ? 'baseline' : fmt(r.wa_delta), F1: `${fmt(r.f1_mean)} ± ${fmt(r.f1_std)}`, 'ΔF1': r.variant === baseline ? 'baseline' : fmt(r.f1_delta) }))),
    });
  }
  if (notes.length > 0) sections.push({ heading: 'Not shown', html: `<ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` });

  const now = opts.now ?? new Date();
  const experiments = [...new Set(runs.map((r) => r.experiment))];
  const htmlCharts: HtmlChart[] = compiled.map((c) => ({ id: `chart-${c.name}`, title: c.title, caption: c.caption, spec: c.vega }));
  const html = renderHtml({
    title,
    meta: [
      `Generated ${now.toISOString()} from ${input.source ?? 'the given runs'}`,
      `${runs.length} runs · systems: ${systems.join(', ')} · experiments: ${experiments.join(', ')} · split: ${split}`,
    ],
    sections,
    charts: htmlCharts,
    footer:
      reference.rows.length > 0
        ? `Reference numbers: ${reference.source.citation}; ${reference.source.tables}. Kept in apps/report/data/reference.json.`
        : 'The paper\'s IEMOCAP numbers are not shown (comparePaper: false).',
  });

  const dir = path.resolve(opts.outDir);
  return buildDirAtomic(dir, async (tmp) => {
    const out: ReportPaths = { dir, html: path.join(dir, 'report.html'), summary: path.join(dir, 'summary.md'), json: path.join(dir, 'report.json'), svgs: {}, specs: {} };
    writeFileSync(path.join(tmp, 'report.html'), html);
    writeFileSync(path.join(tmp, 'summary.md'), summaryMd);
    writeFileSync(path.join(tmp, 'report.json'), JSON.stringify({ title, split, generated: now.toISOString(), source: input.source ?? null, summary, seeds: bySeed, ablation: ablationRows ?? null }, null, 2) + '\n');
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
