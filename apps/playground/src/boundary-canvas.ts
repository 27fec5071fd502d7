/** Draws the decision boundary and the training points on a canvas. */
import { CLASS_COLORS, boundaryPixels, toCanvas, type View } from './boundary.js';
import type { Points2D } from './data.js';

/**
 * Paints P(class 1) on a `resolution²` grid (empty: a blank background) scaled to the canvas,
 * then every point in its class colour.
 */
export function drawBoundary(
  canvas: HTMLCanvasElement,
  view: View,
  points: Points2D,
  probabilities: Float32Array,
  resolution: number,
): void {
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  const size = canvas.width;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size, size);
  if (probabilities.length > 0) {
    const cells = document.createElement('canvas');
    cells.width = resolution;
    cells.height = resolution;
    const cellCtx = cells.getContext('2d')!;
    cellCtx.putImageData(new ImageData(boundaryPixels(probabilities, resolution), resolution, resolution), 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(cells, 0, 0, size, size);
  }
  ctx.lineWidth = 0.75;
  ctx.strokeStyle = '#333';
  for (let i = 0; i < points.labels.length; i++) {
    const [cx, cy] = toCanvas(view, size, points.x[2 * i]!, points.x[2 * i + 1]!);
    const [r, g, b] = CLASS_COLORS[points.labels[i] === 1 ? 1 : 0];
    ctx.fillStyle = `rgb(${r} ${g} ${b})`;
    ctx.beginPath();
    ctx.arc(cx, cy, 3, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}
