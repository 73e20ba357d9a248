import { EmofuseError } from '@emofuse/core';
import { alignSystems, checkWeights, weightedSum } from '../align.ts';
import { registerFusionRule } from '../registry.ts';
import { checkChoiceFits, searchWeights, type WeightChoice } from '../search.ts';

/** Late fusion II: a weighted sum, the weights chosen by grid search on validation data. */
export const weighted = registerFusionRule<Pick<WeightChoice, 'weights' | 'systems' | 'classes'>>({
  name: 'weighted',
  summary: 'late fusion II: weighted sum, weights chosen on validation',
  fitted: true,
  fit: (valid, o) => searchWeights({ valid, metric: o.metric, step: o.step, scorers: o.scorers }),
  apply(systems, choice) {
    if (!choice) throw new EmofuseError("rule 'weighted' needs weights", { where: 'fusion', fix: 'choose them on validation data with searchWeights, then applyWeights' });
    const w = checkWeights(choice.weights, systems.length);
    checkChoiceFits(choice, systems);
    const a = alignSystems(systems);
    return { ids: a.ids, classes: a.classes, probs: weightedSum(a.rows, w) };
  },
});
