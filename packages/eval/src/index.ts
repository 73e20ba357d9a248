export { computeMetrics, metricsFromPosteriors, predictions, toIndices } from './metrics.ts';
export type { ClassValues, LabelledPredictions, ClassMetrics, MetricsReport } from './metrics.ts';
export { meanStd, quantileSorted, bootstrapCI, pairedBootstrap, mcnemar } from './stats.ts';
export type { MeanStd, BootstrapOptions, BootstrapInterval, PairedOptions, PairedBootstrapResult, McNemarResult } from './stats.ts';
export { compareSystems } from './compare.ts';
export type { SystemComparison } from './compare.ts';
// The metric registry the CLI passes to the fusion weight search (same functions as core's).
export { BASIC_SCORERS as SCORERS, METRIC_NAMES, type MetricName, type Scorer } from '@emofuse/core';
export { FoldPool, scoresOf, PARTS } from './pool.ts';
export type { Part, Scores, SystemSummary } from './pool.ts';
