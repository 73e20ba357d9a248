export { makeSplit, makeFolds, foldNames, SPLIT_PROTOCOLS, type SplitOptions, type FoldOptions } from './makeSplit.ts';
export { checkSplitLeakage } from './leakage.ts';
export { splitFingerprint, splitToJson, splitFromJson, type SplitJson } from './json.ts';
export { summariseSplit, type PartSummary } from './summary.ts';
