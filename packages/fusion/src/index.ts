import './rules/index.ts';

export { alignSystems, checkWeights, normalisedProduct, weightedSum } from './align.ts';
export type { FusionRule, SystemPosteriors, AlignedSystems } from './align.ts';
export { searchWeights, applyWeights, simplexGrid, TIE_TOLERANCE } from './search.ts';
export type { ValidationSet, WeightSearchOptions, WeightChoice, CurvePoint } from './search.ts';
export { fuse, registerFusionRule, fusionRule, fusionRuleNames, fusionRegistryVersion, fitFusion } from './registry.ts';
export type { FusionRuleDescriptor, FittedFusion, FitOptions } from './registry.ts';
