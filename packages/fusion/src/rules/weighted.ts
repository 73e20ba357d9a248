import { EmofuseError } from '@emofuse/core';
import { registerFusionRule } from '../registry.ts';
import { searchWeights, weightedFusion, type WeightParams } from '../search.ts';

/** Late fusion II: a weighted sum, the weights chosen by grid search on validation data. */
export const weighted = registerFusionRule<WeightParams>({
  name: 'weighted',
  summary: 'late fusion II: weighted sum, weights chosen on validation',
  fitted: true,
  fit: (valid, o) => searchWeights({ valid, metric: o.metric, step: o.step, scorers: o.scorers }),
  // fuse(rule, systems, weights): weights given by the caller, chosen for these systems
  fromWeights: (weights, systems) => ({ weights: [...weights], systems: [], classes: systems[0]?.classes ?? [] }),
  apply(systems, choice) {
    if (!choice) throw new EmofuseError("rule 'weighted' needs weights", { where: 'fusion', fix: 'choose them on validation data with searchWeights, then applyWeights' });
    return weightedFusion(choice, systems);
  },
});
