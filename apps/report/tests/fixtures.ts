/**
 * TEST FIXTURES: synthetic run objects for the report tests. The numbers are generated from a
 * seeded RNG to look like real IEMOCAP runs (test support as in the paper: hap 144, sad 245,
 * neu 384, ang 170, exc 299, fru 381); they are not results of any trained model.
 */
import { makeRng } from '@emofuse/core';
import type { ReportRunLike } from '../src/index.ts';

export const FIXTURE_CLASSES = ['hap', 'sad', 'neu', 'ang', 'exc', 'fru'];
const SUPPORT = [144, 245, 384, 170, 299, 381];

/** A confusion matrix with `diag` recall per class (jittered), the rest spread over other classes; hap leaks into exc. */
function fixtureConfusion(rng: () => number, diag: number[], support = SUPPORT): number[][] {
  return support.map((n, i) => {
    const hit = Math.round(n * Math.min(0.95, Math.max(0.05, diag[i] + (rng() - 0.5) * 0.06)));
    const row = support.map(() => 0);
    row[i] = hit;
    let rest = n - hit;
    // happiness is confused mostly with excitement, as the paper reports
    if (i === 0 && support === SUPPORT) {
      const toExc = Math.round(rest * 0.6);
      row[4] += toExc;
      rest -= toExc;
    }
    while (rest > 0) {
      const j = Math.floor(rng() * support.length);
      if (j !== i) {
        row[j] += 1;
        rest -= 1;
      }
    }
    return row;
  });
}

/** UA, WA and support-weighted F1 (fractions) of a confusion matrix. */
export function fixtureScores(counts: number[][]): { ua: number; wa: number; f1: number } {
  const k = counts.length;
  const total = counts.flat().reduce((a, b) => a + b, 0);
  let correct = 0;
  let ua = 0;
  let f1 = 0;
  for (let i = 0; i < k; i++) {
    const support = counts[i].reduce((a, b) => a + b, 0);
    const predicted = counts.reduce((a, row) => a + row[i], 0);
    const tp = counts[i][i];
    correct += tp;
    const recall = support ? tp / support : 0;
    const precision = predicted ? tp / predicted : 0;
    ua += recall / k;
    f1 += (support / total) * (precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0);
  }
  return { ua, wa: correct / total, f1 };
}

function fixtureHistory(rng: () => number, epochs: number, start: number, end: number) {
  return Array.from({ length: epochs }, (_, e) => {
    const t = e / (epochs - 1);
    const trainLoss = start * Math.exp(-2.2 * t) + 0.15 + rng() * 0.03;
    const validLoss = start * 0.9 * Math.exp(-1.6 * t) + end + 0.25 * t * t + rng() * 0.04;
    return {
      epoch: e + 1,
      train_loss: trainLoss,
      valid_loss: validLoss,
      train_acc: Math.min(0.99, 0.3 + 0.6 * (1 - Math.exp(-2.5 * t)) + rng() * 0.02),
      valid_acc: 0.28 + 0.27 * (1 - Math.exp(-3 * t)) + rng() * 0.02,
    };
  });
}

/**
 * Per-utterance labels and predictions that add up to `counts` (ids u0, u1, ... in class order, so
 * two systems of one seed share ids and labels); the order of predictions within a class is shuffled.
 */
export function fixturePredictions(classes: string[], counts: number[][], rng: () => number) {
  const ids: string[] = [];
  const truth: string[] = [];
  const pred: string[] = [];
  counts.forEach((row, i) => {
    const ps = row.flatMap((n, j) => Array.from({ length: n }, () => classes[j]));
    for (let a = ps.length - 1; a > 0; a--) {
      const b = Math.floor(rng() * (a + 1));
      [ps[a], ps[b]] = [ps[b], ps[a]];
    }
    for (const p of ps) {
      ids.push(`u${ids.length}`);
      truth.push(classes[i]);
      pred.push(p);
    }
  });
  return { classes, ids, truth, pred };
}

/**
 * The params a pipeline run logs (flattened config, seed, system, provenance), cut to a few keys;
 * `meta.git_commit` differs per seed, as it does between real invocations, and must not split rows.
 */
export function fixtureParams(system: string, seed: number, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    experiment: 'iemocap-paper',
    'corpus.type': 'iemocap-features',
    'corpus.path': `/data/seed${seed}/iemocap.pkl`,
    'split.protocol': 'paper',
    'model.text.lstmInput': 'words',
    'model.dense': '[512,128]',
    'train.epochs': '30',
    'fusion.rules': '["weighted"]',
    'fusion.systems': '["text-lstm","speech-cnn"]',
    'output.dir': `/tmp/runs-${seed}`,
    'meta.git_commit': `c0ffee${seed}`,
    'lib.tfjs-node': '4.22.0',
    'corpus.fingerprint': '5f1e2d3c4b5a6978',
    ...overrides,
    seed: String(seed),
    system,
  };
}

/** Two systems x three seeds: a text LSTM and weighted late fusion (with its weight curve). */
export function fixtureRuns(seeds = [1, 2, 3]): ReportRunLike[] {
  const runs: ReportRunLike[] = [];
  for (const seed of seeds) {
    const rng = makeRng(`fixture-${seed}`);
    const lstmCm = fixtureConfusion(rng, [0.3, 0.72, 0.55, 0.55, 0.5, 0.5]);
    const s = fixtureScores(lstmCm);
    const v = { ua: s.ua + 0.03, wa: s.wa + 0.02, f1: s.f1 + 0.02 };
    runs.push({
      id: `run-${seed}/text-lstm`,
      experiment: 'iemocap-paper',
      system: 'text-lstm',
      seed,
      tags: { 'emofuse.corpus': 'iemocap-features', 'split.protocol': 'paper', lstmInput: 'words' },
      params: fixtureParams('text-lstm', seed),
      metrics: { test_ua: s.ua, test_wa: s.wa, test_f1: s.f1, valid_ua: v.ua, valid_wa: v.wa, valid_f1: v.f1 },
      history: fixtureHistory(rng, 11 + 2 * seed, 1.6 + 0.15 * seed, 0.95 + 0.05 * seed),
      confusion: { split: 'test', classes: FIXTURE_CLASSES, counts: lstmCm },
      predictions: fixturePredictions(FIXTURE_CLASSES, lstmCm, rng),
    });
    const lateCm = fixtureConfusion(rng, [0.38, 0.8, 0.62, 0.66, 0.6, 0.56]);
    const f = fixtureScores(lateCm);
    const best = 0.3 + Math.round((rng() - 0.5) * 4) * 0.05;
    const curve = Array.from({ length: 21 }, (_, i) => {
      const w1 = Math.round(i * 5) / 100;
      return { w1, score: f.ua + 0.02 - 0.25 * (w1 - best) ** 2 + (rng() - 0.5) * 0.004 };
    });
    const chosen = curve.reduce((a, b) => (b.score > a.score ? b : a));
    runs.push({
      id: `run-${seed}/late-weighted`,
      experiment: 'iemocap-paper',
      system: 'late-weighted',
      seed,
      tags: { 'emofuse.corpus': 'iemocap-features', 'split.protocol': 'paper', rule: 'weighted' },
      params: fixtureParams('late-weighted', seed),
      metrics: { test_ua: f.ua, test_wa: f.wa, test_f1: f.f1, valid_ua: chosen.score, fusion_w1: chosen.w1 },
      fusionCurve: { metric: 'ua', step: 0.05, curve, chosen: { w1: chosen.w1 }, test: { ua: f.ua, wa: f.wa, f1: f.f1 } },
      confusion: { split: 'test', classes: FIXTURE_CLASSES, counts: lateCm },
      predictions: fixturePredictions(FIXTURE_CLASSES, lateCm, rng),
    });
  }
  return runs;
}

/** EmoDB's 7 classes and their utterance counts (535 in all). */
export const EMODB_CLASSES = ['ang', 'bor', 'dis', 'fea', 'hap', 'neu', 'sad'];
const EMODB_SUPPORT = [127, 81, 46, 69, 71, 79, 62];

/**
 * One system on one corpus, as the pipeline tags it: `emofuse.corpus`, `split.protocol`, params.
 * Defaults give a speech CNN on EmoDB, leave-one-speaker-out (pooled test), 7 classes.
 */
export function fixtureSystemRuns(opts: {
  system?: string; seeds?: number[]; experiment?: string; corpus?: string; protocol?: string;
  classes?: string[]; support?: number[]; recall?: number; params?: Record<string, string>; tags?: Record<string, string>;
} = {}): ReportRunLike[] {
  const system = opts.system ?? 'speech-cnn';
  const classes = opts.classes ?? EMODB_CLASSES;
  const support = opts.support ?? (opts.classes ? classes.map((_, i) => SUPPORT[i % SUPPORT.length]) : EMODB_SUPPORT);
  return (opts.seeds ?? [1, 2, 3]).map((seed) => {
    const rng = makeRng(`fixture-${system}-${seed}-${JSON.stringify(opts.params ?? {})}`);
    const counts = fixtureConfusion(rng, classes.map(() => opts.recall ?? 0.5), support);
    const s = fixtureScores(counts);
    return {
      id: `run-${system}-${seed}-${Object.values(opts.params ?? {}).join('-') || 'base'}`,
      experiment: opts.experiment ?? 'emodb-speech',
      system,
      seed,
      tags: { 'emofuse.corpus': opts.corpus ?? 'emodb', 'split.protocol': opts.protocol ?? 'loso-speaker', ...opts.tags },
      params: fixtureParams(system, seed, { 'corpus.type': opts.corpus ?? 'emodb', 'split.protocol': opts.protocol ?? 'loso-speaker', ...opts.params }),
      metrics: { test_ua: s.ua, test_wa: s.wa, test_f1: s.f1 },
      history: fixtureHistory(rng, 8, 1.8, 1.1),
      confusion: { split: 'test', classes, counts },
    };
  });
}
