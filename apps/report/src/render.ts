import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View, type Spec as VegaSpec } from 'vega';
import { EmofuseError } from '@emofuse/core';

/** Vega-Lite -> Vega, done once in Node so the page and the SVG files draw the same spec. */
export function toVega(spec: TopLevelSpec, name = 'chart'): VegaSpec {
  try {
    return compile(spec).spec;
  } catch (e) {
    throw new EmofuseError(`cannot compile the Vega-Lite spec: ${(e as Error).message}`, { where: `chart ${name}`, cause: e });
  }
}

/** Render a Vega spec to an SVG string headlessly (no DOM, no canvas needed). */
export async function renderSvg(spec: VegaSpec, name = 'chart'): Promise<string> {
  const view = new View(parse(spec), { renderer: 'none', logLevel: 1 /* warn */ });
  try {
    return await view.toSVG();
  } catch (e) {
    throw new EmofuseError(`cannot render the chart: ${(e as Error).message}`, { where: `chart ${name}`, cause: e });
  } finally {
    view.finalize();
  }
}
