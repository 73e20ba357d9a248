// Writes the measured part of RESULTS.md (between the GENERATED markers) from the tracking store:
// for each experiment, its latest invocation's runs, mean and sample std over seeds of the test
// UA/WA/F1 per system, beside the paper's number, with backend, time and the command.
// Usage: node --import tsx scripts/results.ts [--store mlruns]... [--section name] [--baseline exp:system]
//          [--choose exp:system,exp:system,...] experiment-name ...
// (each experiment is read from the first store that has a finished run of it)
// --baseline pairs every single system of the other experiments with that system, seed by seed.
// --choose names candidates; the one with the best mean validation UA is reported with its test UA.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { EmofuseError, writeFileAtomic, type RunRecord } from '@emofuse/core';
import { RUN_KINDS, RUN_TAGS, listRuns } from '@emofuse/tracking';
import { compareSystems, meanStd } from '@emofuse/eval';
import { readCorpus } from '@emofuse/data';
import { loadPosteriors } from '@emofuse/models';
import { modalitiesOf } from '@emofuse/models/config';
import { loadReference, paperRowFor } from '@emofuse/report';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const stores: string[] = [];
for (let i = args.indexOf('--store'); i >= 0; i = args.indexOf('--store')) stores.push(path.resolve(args.splice(i, 2)[1]));
if (!stores.length) stores.push(path.resolve('mlruns'));
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
// Which GENERATED block of RESULTS.md to rewrite (several scripts/reproduce.sh steps own one each).
const section = option('--section');
const baseline = option('--baseline')?.split(':');
const choose = option('--choose')?.split(',').map((x) => x.split(':'));
const experiments = args;
if (!experiments.length) throw new EmofuseError('name at least one experiment', { where: 'scripts/results.ts' });

const reference = loadReference();
const byExperiment = new Map<string, RunRecord[]>();
const fmt = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '-');
const out: string[] = [];

for (const experiment of experiments) {
  let runs: RunRecord[] = [];
  let parents: RunRecord[] = [];
  for (const store of stores) {
    runs = await listRuns({ store }, { experiment });
    // An invocation stopped part-way (Ctrl-C, a time limit) still counts for the seeds it finished.
    const finishedSeeds = new Set(runs.filter((r) => r.tags[RUN_TAGS.system] && r.status === 'FINISHED').map((r) => r.tags[RUN_TAGS.invocation]));
    parents = runs.filter((r) => r.tags[RUN_TAGS.kind] === RUN_KINDS.invocation && (r.status === 'FINISHED' || finishedSeeds.has(r.tags[RUN_TAGS.invocation])))
      .sort((a, b) => b.startTime - a.startTime);
    if (parents.length) break;
  }
  if (!parents.length) throw new EmofuseError(`no finished run of experiment ${experiment}`, { where: stores.join(', '), fix: `run it first: ./emofuse run <its yaml>` });
  // Several invocations of one experiment (say seeds 1-3, then 4-5) combine: per system and seed the
  // latest finished run counts. Invocations at different commits are refused: they are different code.
  const parent = parents[0];
  const commits = new Set(parents.map((r) => `${r.params['meta.git_commit']}${r.params['meta.git_dirty'] === 'true' ? '+dirty' : ''}`));
  // Invocations at commits whose package sources and lockfile are equal (tests or docs changed) compute the
  // same numbers: the block says so; commits that differ there are refused.
  const sameCode = commits.size > 1 && ![...commits].some((c) => c.endsWith('+dirty')) && codeDiff([...commits]).length === 0;
  if (commits.size > 1 && !sameCode) throw new EmofuseError(`experiment ${experiment} has finished invocations at several commits (${[...commits].join(', ')})`, { where: stores.join(', '), fix: 'rerun it at one commit' });
  const invocations = new Set(parents.map((r) => r.tags[RUN_TAGS.invocation]));
  const latest = new Map<string, RunRecord>();
  for (const r of runs.filter((x) => invocations.has(x.tags[RUN_TAGS.invocation]) && x.tags[RUN_TAGS.system] && x.status === 'FINISHED').sort((a, b) => a.startTime - b.startTime)) {
    latest.set(`${r.tags[RUN_TAGS.system]}/${r.params.seed}`, r);
  }
  const children = [...latest.values()];
  byExperiment.set(experiment, children);
  const stopped = parents.filter((r) => r.status !== 'FINISHED');
  const inv = [...invocations].join(', ');
  const systems = [...new Set(children.map((r) => r.tags[RUN_TAGS.system]))];
  const minutes = parents.reduce((m, r) => m + ((r.endTime ?? r.startTime) - r.startTime) / 60000, 0);
  const p = parent.params;
  out.push(`### ${experiment}`, '');
  out.push(`corpus ${parent.tags[RUN_TAGS.corpus]}, split ${p['split.protocol']}, ${new Set(children.map((r) => r.params.seed)).size} seeds; backend ${p['meta.backend']}; ${minutes.toFixed(1)} min wall time; ${sameCode ? `commits ${[...commits].map((c) => c.slice(0, 12)).join(', ')} (their package sources and lockfile are identical: the same code computed every seed)` : `commit ${p['meta.git_commit'].slice(0, 12)}${p['meta.git_dirty'] === 'true' ? ' (dirty)' : ''}`}; invocation${invocations.size > 1 ? 's' : ''} ${inv}${stopped.length ? ` (${stopped.map((r) => r.tags[RUN_TAGS.invocation]).join(', ')} stopped before its last seed: ${stopped.map((r) => r.status).join(', ')})` : ''}`, '');
  out.push('| system | n | UA | WA | F1 | paper UA / WA / F1 | valid UA |', '|:-|-:|-:|-:|-:|:-|-:|');
  for (const system of systems) {
    const rs = children.filter((r) => r.tags[RUN_TAGS.system] === system);
    const cell = (key: string) => {
      const s = meanStd(rs.map((r) => r.metrics[key]));
      return `${fmt(s.mean)} ± ${fmt(s.std)}`;
    };
    // An experiment tagged paper: none has systems that only share a name with the paper's rows.
    const paper = parent.tags[RUN_TAGS.corpus]?.startsWith('iemocap') && parent.tags[RUN_TAGS.paper] !== 'none' ? paperRowFor(reference, system) : undefined;
    out.push(`| ${system} | ${rs.length} | ${cell('test_ua')} | ${cell('test_wa')} | ${cell('test_f1')} | ${paper ? `${paper.ua} / ${paper.wa} / ${paper.f1}` : '-'} | ${cell('valid_ua')} |`);
  }
  const weights = fusionWeights(children);
  if (weights) out.push('', weights);
  // Every fused system (late fusion, or a model that reads text and speech) against every
  // unimodal system of the run: its components, and the best unimodal system among them.
  const fused = systems.filter(isFused);
  for (const f of fused) {
    for (const single of systems.filter((x) => !isFused(x))) out.push('', pairedTests(ofSystem(children, f), ofSystem(children, single), `${f} minus ${single}`));
  }
  // Baselines trained beside the text LSTM (bc-lstm takes it) are compared with it the same way.
  if (systems.includes('text-lstm') && !fused.some((x) => !x.startsWith('late-'))) {
    for (const other of systems.filter((x) => !x.startsWith('late-') && x !== 'text-lstm')) out.push('', pairedTests(ofSystem(children, other), ofSystem(children, 'text-lstm'), `${other} minus text-lstm`));
  }
  out.push('');
}

if (baseline) {
  const [bexp, bsys] = baseline;
  const base = byExperiment.get(bexp);
  if (!base?.some((r) => r.tags[RUN_TAGS.system] === bsys)) throw new EmofuseError(`--baseline ${baseline.join(':')}: no ${bsys} runs in ${bexp}`, { where: 'scripts/results.ts', fix: 'name an experiment given on the command line and one of its systems' });
  out.push(`### Paired against ${bexp}'s ${bsys}`, '');
  const corpus = (rs: RunRecord[]) => rs[0]?.tags[RUN_TAGS.corpus];
  for (const [experiment, children] of byExperiment) {
    // Only runs scored on the same test utterances pair (same corpus; the split follows the seed).
    if (experiment === bexp || corpus(children) !== corpus(base)) continue;
    for (const system of new Set(children.map((r) => r.tags[RUN_TAGS.system]).filter((x) => !x.startsWith('late-')))) {
      out.push(`${experiment}: ${pairedTests(ofSystem(children, system), ofSystem(base, bsys), `${system} minus ${bexp}'s ${bsys}`)}`, '');
    }
  }
}

if (choose) {
  const rows = choose.map(([experiment, system]) => {
    const rs = (byExperiment.get(experiment) ?? []).filter((r) => r.tags[RUN_TAGS.system] === system);
    if (!rs.length) throw new EmofuseError(`--choose ${experiment}:${system}: no such runs`, { where: 'scripts/results.ts', fix: 'name experiments given on the command line and their systems' });
    return { name: `${experiment}:${system}`, valid: meanStd(rs.map((r) => r.metrics.valid_ua)), test: meanStd(rs.map((r) => r.metrics.test_ua)), n: rs.length };
  });
  const best = rows.reduce((a, b) => (b.valid.mean > a.valid.mean ? b : a));
  out.push('### Chosen on validation', '', `Candidates by mean validation UA: ${rows.map((r) => `${r.name} ${fmt(r.valid.mean)}`).join('; ')}. Chosen: **${best.name}**, test UA ${fmt(best.test.mean)} ± ${fmt(best.test.std)} (n = ${best.n}); test was not looked at to choose.`, '');
}

/** A late-fusion system, or a model type that reads both text and speech. */
function isFused(system: string): boolean {
  if (system.startsWith('late-')) return true;
  const m = modalitiesOf([system]);
  return m.text && m.speech;
}

/** Source files of the packages (and the lockfile) that differ between the first commit and any other. */
function codeDiff(commits: string[]): string[] {
  return commits.slice(1).flatMap((c) => execFileSync('git', ['diff', '--name-only', commits[0], c, '--', ':(glob)packages/*/src/**', ':(glob)apps/*/src/**', 'package-lock.json'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean));
}

function ofSystem(runs: RunRecord[], system: string): RunRecord[] {
  return runs.filter((r) => r.tags[RUN_TAGS.system] === system);
}

/** Per seed, runs `as` against runs `bs` on the same test utterances: does A really differ from B? */
function pairedTests(as: RunRecord[], bs: RunRecord[], what: string): string {
  const first = as[0].params;
  const corpus = readCorpus({ type: first['corpus.type'], path: first['corpus.path'] });
  const labels = new Map(corpus.utterances.map((u) => [u.id, u.label]));
  const post = (r: RunRecord) => ({ ...loadPosteriors(path.join(r.localArtifactDir!, 'posteriors_test.json')), name: r.tags[RUN_TAGS.system] });
  const cells: string[] = [];
  for (const a of [...as].sort((x, y) => Number(x.params.seed) - Number(y.params.seed))) {
    const b = bs.find((r) => r.params.seed === a.params.seed);
    if (!b) continue;
    const c = compareSystems({ a: post(a), b: post(b), labels, metric: 'ua', B: 2000, seed: Number(a.params.seed) });
    cells.push(`seed ${a.params.seed}: ΔUA ${(100 * c.bootstrap.delta).toFixed(1)} [${(100 * c.bootstrap.lower).toFixed(1)}, ${(100 * c.bootstrap.upper).toFixed(1)}], McNemar p ${c.mcnemar.pExact.toFixed(3)}`);
  }
  return `Paired tests on the test utterances, ${what} (paired bootstrap 95% interval of the UA difference in points, B = 2000; McNemar exact two-sided p): ${cells.join('; ')}.`;
}

function fusionWeights(children: RunRecord[]): string | undefined {
  const w1: number[] = [];
  let names: string[] = [];
  for (const r of children.filter((c) => c.tags[RUN_TAGS.system] === 'late-weighted')) {
    const dir = path.join(r.tags[RUN_TAGS.runDir] ?? '', 'fusion', 'weighted');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      const c = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { weights: number[]; systems: string[] };
      w1.push(c.weights[0]);
      names = c.systems;
    }
  }
  if (!w1.length) return undefined;
  const s = meanStd(w1);
  return `Late fusion II weights chosen on validation: w1 (${names[0]}) = ${s.mean.toFixed(3)} ± ${Number.isFinite(s.std) ? s.std.toFixed(3) : '-'} over ${w1.length} seed x fold choices (min ${Math.min(...w1).toFixed(2)}, max ${Math.max(...w1).toFixed(2)}); w2 (${names[1]}) = 1 - w1.`;
}

const file = path.join(root, 'RESULTS.md');
const text = readFileSync(file, 'utf8');
const begin = `<!-- GENERATED: scripts/results.ts${section ? ` ${section}` : ''} -->`;
const end = `<!-- END GENERATED${section ? ` ${section}` : ''} -->`;
const a = text.indexOf(begin);
const b = text.indexOf(end);
if (a < 0 || b < a) throw new EmofuseError(`RESULTS.md has no markers ${begin} ... ${end}`, { where: file, fix: 'add the two marker lines where the tables should go' });
writeFileAtomic(file, `${text.slice(0, a + begin.length)}\n${out.join('\n')}\n${text.slice(b)}`);
console.log(`RESULTS.md: ${experiments.length} experiment(s) from ${stores.join(', ')}`);
