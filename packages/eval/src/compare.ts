import { argmaxRows, labelIndices, type MetricName, type Scorer } from '@emofuse/core';
import { alignSystems, type SystemPosteriors } from '@emofuse/fusion';
import { mcnemar, pairedBootstrap, type McNemarResult, type PairedBootstrapResult } from './stats.ts';

export interface SystemComparison {
  /** Names of A and B (e.g. 'fusion-product' and 'text-lstm'). */
  a: string;
  b: string;
  metric: MetricName | 'custom';
  bootstrap: PairedBootstrapResult;
  mcnemar: McNemarResult;
  /** Both tests one-sided at `alpha`: A better by the paired bootstrap AND by McNemar's exact test. */
  aBetter: boolean;
  alpha: number;
}

/**
 * Does A beat B on the same utterances, or only look like it does? Aligns the two systems'
 * posteriors by id (same id set and classes required), takes argmax predictions, and runs the
 * seeded paired bootstrap on `metric` and McNemar's test on correct/incorrect disagreements.
 */
export function compareSystems(o: {
  a: SystemPosteriors;
  b: SystemPosteriors;
  /** Map id -> label, or label names in A's id order. */
  labels: ReadonlyMap<string, string> | readonly string[];
  metric?: MetricName | Scorer;
  B?: number;
  seed?: number | string;
  alpha?: number;
}): SystemComparison {
  const { metric = 'ua', B = 1000, seed = 0, alpha = 0.05 } = o;
  const al = alignSystems([o.a, o.b], 'compareSystems');
  const k = al.classes.length;
  const truth = labelIndices(al.ids, al.classes, o.labels, 'comparison labels');
  const predA = argmaxRows(al.rows[0], k);
  const predB = argmaxRows(al.rows[1], k);
  const bootstrap = pairedBootstrap({ classes: al.classes, truth, predA, predB, metric, B, seed });
  const mc = mcnemar({ classes: al.classes, truth, predA, predB });
  return {
    a: al.names[0],
    b: al.names[1],
    metric: typeof metric === 'function' ? 'custom' : metric,
    bootstrap,
    mcnemar: mc,
    aBetter: bootstrap.pValue < alpha && mc.pExactAGreater < alpha,
    alpha,
  };
}
