import { alignSystems, weightedSum } from '../align.ts';
import { registerFusionRule } from '../registry.ts';

/** Late fusion I: the mean of the systems' posteriors. */
export const average = registerFusionRule({
  name: 'average',
  summary: 'late fusion I: mean of the posteriors',
  fitted: false,
  apply(systems) {
    const a = alignSystems(systems);
    return { ids: a.ids, classes: a.classes, probs: weightedSum(a.rows, a.rows.map(() => 1 / a.rows.length)) };
  },
});
