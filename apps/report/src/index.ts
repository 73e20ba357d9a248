export { buildReport, type BuildReportOptions, type ReportPaths } from './build.ts';
export { checkReportInput, type ReportInput, type ReportInputLike, type ReportRun, type ReportRunLike, type EpochRow, type FusionCurve, type ConfusionArtifact } from './input.ts';
export { loadReference, paperRowFor, REFERENCE_FILE, type Reference, type ReferenceRow } from './reference.ts';
export { selectRuns, seedRows, summarise, summaryMarkdown, ablationTable, ablationMarkdown, type SeedRow, type SummaryRow, type AblationRow, type AblationOptions, type AblationBy } from './tables.ts';
export { comparisonSpec, confusionSpec, confusionCells, fusionCurveSpec, trainingCurvesSpec, ablationSpec, type Spread, type ConfusionEntry, type FusionCurveEntry, type HistoryEntry } from './charts.ts';
export { toVega, renderSvg } from './render.ts';
export { fromRunRecords, readLocalArtifact, type ReadArtifact, type AdapterOptions } from './adapter.ts';
export { reportFromStore, trackingArtifactReader, describeSource, type ReportFromStoreOptions } from './main.ts';
