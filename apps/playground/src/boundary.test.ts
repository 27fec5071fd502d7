import { ValueError } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import { CLASS_COLORS, boundaryPixels, gridPoints, probabilityColor, toCanvas, viewOf } from './boundary.js';

describe('viewOf', () => {
  it('is the square around every coordinate, widened by the margin on each side', () => {
    const view = viewOf(Float32Array.from([0, 1, 2, -2, 1, 0]), 0.25);
    // Coordinates span [−2, 2]; a quarter of 4 on each side.
    expect(view).toEqual({ min: -3, max: 3 });
  });

  it('rejects an empty or odd-length coordinate list', () => {
    expect(() => viewOf(new Float32Array(0))).toThrow(ValueError);
    expect(() => viewOf(new Float32Array(3))).toThrow(/\[n, 2\] coordinates .* got length 3/);
  });
});

describe('gridPoints and toCanvas', () => {
  it('gives the cell centres row by row from the top, and those land on the canvas cell centres', () => {
    const view = { min: 0, max: 2 };
    expect(Array.from(gridPoints(view, 2))).toEqual([0.5, 1.5, 1.5, 1.5, 0.5, 0.5, 1.5, 0.5]);
    // On a 100-pixel canvas, cell (row 0, col 1) is centred at (75, 25).
    expect(toCanvas(view, 100, 1.5, 1.5)).toEqual([75, 25]);
    expect(toCanvas(view, 100, 0, 0)).toEqual([0, 100]);
  });

  it('rejects a resolution that is not a positive integer', () => {
    expect(() => gridPoints({ min: 0, max: 1 }, 0)).toThrow(/resolution must be an integer >= 1; got 0/);
  });
});

describe('probabilityColor and boundaryPixels', () => {
  it('is white when undecided and 60% of the class colour when sure, clamped, grey for NaN', () => {
    expect(probabilityColor(0.5)).toEqual([255, 255, 255]);
    const tint = (c: readonly number[]): number[] => c.map((v) => Math.round(255 + (v - 255) * 0.6));
    expect(probabilityColor(1)).toEqual(tint(CLASS_COLORS[1]));
    expect(probabilityColor(0)).toEqual(tint(CLASS_COLORS[0]));
    expect(probabilityColor(1.7)).toEqual(probabilityColor(1));
    expect(probabilityColor(-3)).toEqual(probabilityColor(0));
    // Halfway to sure: 30% of the colour.
    expect(probabilityColor(0.75)).toEqual(CLASS_COLORS[1].map((v) => Math.round(255 + (v - 255) * 0.3)));
    expect(probabilityColor(NaN)).toEqual([128, 128, 128]);
  });

  it('writes one opaque RGBA pixel per grid cell and checks the count', () => {
    const pixels = boundaryPixels([0, 0.5, 1, 0.5], 2);
    expect(Array.from(pixels.subarray(4, 8))).toEqual([255, 255, 255, 255]);
    expect(Array.from(pixels.subarray(8, 12))).toEqual([...probabilityColor(1), 255]);
    expect(() => boundaryPixels([0.5, 0.5, 0.5], 2)).toThrow(/resolution² = 4 probabilities; got 3/);
  });
});
