import { alignSystems, normalisedProduct } from '../align.ts';
import { registerFusionRule } from '../registry.ts';

/** Late fusion III: the normalised product of the posteriors. */
export const product = registerFusionRule({
  name: 'product',
  summary: 'late fusion III: normalised product of the posteriors',
  fitted: false,
  apply(systems) {
    const a = alignSystems(systems);
    return { ids: a.ids, classes: a.classes, probs: normalisedProduct(a.rows, a.classes.length) };
  },
});
