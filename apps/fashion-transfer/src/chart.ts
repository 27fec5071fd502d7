/**
 * Learning-curve chart: validation accuracy per epoch (mean over seeds), one line per method, one
 * panel per shots count, rendered to SVG by Vega-Lite + Vega in Node (no canvas needed).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { METHOD_LABELS, type TransferResult } from './experiment.js';

/** The Vega-Lite spec of the learning-curve chart (pure: data in, spec out). */
export function learningCurveSpec(curves: TransferResult['curves'], title: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: {
      values: curves.map((c) => ({ ...c, method: METHOD_LABELS[c.method], shots: `${c.shots} labels/class` })),
    },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
      y: {
        field: 'accuracy',
        type: 'quantitative',
        aggregate: 'mean',
        title: 'validation accuracy (classes 5–9)',
        scale: { domain: [0, 1] },
      },
      color: { field: 'method', type: 'nominal', title: 'method' },
      column: { field: 'shots', type: 'nominal', title: null },
    },
    width: 320,
    height: 220,
  } as TopLevelSpec;
}

/** Renders the learning-curve chart to an SVG string. */
export async function learningCurveSvg(curves: TransferResult['curves'], title: string): Promise<string> {
  const { spec } = compile(learningCurveSpec(curves, title));
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
