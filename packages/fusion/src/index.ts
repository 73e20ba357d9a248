import './rules/index.ts';

export { fuse, alignSystems, checkWeights, normalisedProduct, weightedSum, FUSION_RULES } from './rules.ts';
export type { FusionRule, SystemPosteriors, AlignedSystems } from './rules.ts';
export { searchWeights, applyWeights, simplexGrid, TIE_TOLERANCE } from './search.ts';
export type { ValidationSet, WeightSearchOptions, WeightChoice, CurvePoint } from './search.ts';
export { registerFusionRule, fusionRule, fusionRuleNames, fusionRegistryVersion, fitFusion } from './registry.ts';
export type { FusionRuleDescriptor, FittedFusion, FitOptions } from './registry.ts';
