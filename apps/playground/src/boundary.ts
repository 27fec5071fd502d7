/**
 * The decision-boundary picture: a square view of the plane, the grid of points the model is asked
 * about, and the colour of each cell from the predicted probability of class 1.
 */
import { ValueError, describeValue } from '@plasticity/core';

/** A square region of the plane: `[min, max]` on both axes. */
export interface View {
  min: number;
  max: number;
}

/** The smallest square view holding every point of `x` (`[n, 2]` row-major), plus a margin. */
export function viewOf(x: Float32Array, margin = 0.1): View {
  if (x.length === 0 || x.length % 2 !== 0) {
    throw new ValueError(`viewOf needs [n, 2] coordinates (an even, non-zero length); got length ${x.length}.`, {
      field: 'x',
      value: x.length,
    });
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of x) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const pad = Math.max((max - min) * margin, 1e-3);
  return { min: min - pad, max: max + pad };
}

/**
 * The centres of a `resolution × resolution` grid over `view`, `[resolution², 2]` row-major, row 0
 * at the top (largest y), as the canvas draws it.
 */
export function gridPoints(view: View, resolution: number): Float32Array {
  if (!Number.isInteger(resolution) || resolution < 1) {
    throw new ValueError(`resolution must be an integer >= 1; got ${describeValue(resolution)}.`, {
      field: 'resolution',
      value: resolution,
    });
  }
  const cell = (view.max - view.min) / resolution;
  const out = new Float32Array(resolution * resolution * 2);
  for (let row = 0; row < resolution; row++) {
    for (let col = 0; col < resolution; col++) {
      const i = row * resolution + col;
      out[2 * i] = view.min + (col + 0.5) * cell;
      out[2 * i + 1] = view.max - (row + 0.5) * cell;
    }
  }
  return out;
}

/** Where a point of the plane lands on a `size × size` canvas showing `view`. */
export function toCanvas(view: View, size: number, px: number, py: number): [number, number] {
  const scale = size / (view.max - view.min);
  return [(px - view.min) * scale, (view.max - py) * scale];
}

/** Class colours (RGB): class 0 blue, class 1 orange. */
export const CLASS_COLORS: readonly [readonly [number, number, number], readonly [number, number, number]] = [
  [31, 119, 180],
  [255, 127, 14],
];

/**
 * The cell colour for probability `p` of class 1: white at 0.5, fading to the colour of the more
 * likely class as the model grows sure (p → 0 or 1). `p` is clamped to [0, 1]; NaN gives grey.
 */
export function probabilityColor(p: number): [number, number, number] {
  if (Number.isNaN(p)) return [128, 128, 128];
  const q = Math.min(1, Math.max(0, p));
  const target = q >= 0.5 ? CLASS_COLORS[1] : CLASS_COLORS[0];
  const strength = Math.abs(q - 0.5) * 2 * 0.6; // at most 60% colour, so that the points stay visible
  return [0, 1, 2].map((c) => Math.round(255 + (target[c]! - 255) * strength)) as [number, number, number];
}

/** RGBA pixels (`resolution² × 4`) for the probabilities of a grid from {@link gridPoints}. */
export function boundaryPixels(probabilities: ArrayLike<number>, resolution: number): Uint8ClampedArray<ArrayBuffer> {
  if (probabilities.length !== resolution * resolution) {
    throw new ValueError(
      `boundaryPixels needs resolution² = ${resolution * resolution} probabilities; got ${probabilities.length}.`,
      { field: 'probabilities', value: probabilities.length },
    );
  }
  const out = new Uint8ClampedArray(probabilities.length * 4);
  for (let i = 0; i < probabilities.length; i++) {
    const [r, g, b] = probabilityColor(probabilities[i]!);
    out.set([r, g, b, 255], i * 4);
  }
  return out;
}
