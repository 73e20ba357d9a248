export { makeSplit, makeFolds, foldNames, type SplitOptions, type FoldOptions } from './makeSplit.ts';
export { checkSplitLeakage, speakerOverlap, SPEAKER_LEAKAGE, type SpeakerLeakage, type SpeakerOverlap } from './leakage.ts';
export { checkSplitLabels } from './labels.ts';
export { splitFingerprint, splitToJson, splitFromJson, type SplitJson } from './json.ts';
export { summariseSplit, formatSplitSummary, type PartSummary } from './summary.ts';
export { splitOptionsFromConfig, corpusFromConfig, foldsFromConfig, previewInputs, type SplitConfig, type CorpusBlock, type InputsPreview } from './preview.ts';
