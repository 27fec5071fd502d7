import { describe, expect, it } from 'vitest';
import { CONFORMANCE_CASES } from './cases.js';
import { conv2d, convGeometry, gather, matMul, nd, pool, reduce, softmax, sumOf, transpose } from './reference.js';

// Hand-computed examples: the references must be right before they judge a backend.
describe('float64 reference ops', () => {
  it('multiply matrices with and without transposes', () => {
    const a = nd([2, 3], [1, 2, 3, 4, 5, 6]);
    const b = nd([3, 2], [7, 8, 9, 10, 11, 12]);
    expect(Array.from(matMul(a, b).data)).toEqual([58, 64, 139, 154]);
    expect(Array.from(matMul(transpose(a, [1, 0]), b, true).data)).toEqual([58, 64, 139, 154]);
    expect(Array.from(matMul(a, transpose(b, [1, 0]), false, true).data)).toEqual([58, 64, 139, 154]);
  });

  it("follow TensorFlow's 'same' padding geometry", () => {
    expect(convGeometry(5, 3, 2, 'same')).toEqual({ out: 3, before: 1 });
    expect(convGeometry(6, 3, 2, 'same')).toEqual({ out: 3, before: 0 });
    expect(convGeometry(5, 3, 1, 'valid')).toEqual({ out: 3, before: 0 });
    expect(convGeometry(6, 2, 1, 'same', 2)).toEqual({ out: 6, before: 1 });
  });

  it('convolve and pool a small image by hand', () => {
    const x = nd([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = nd([2, 2, 1, 1], [1, 0, 0, -1]); // x[i][j] - x[i+1][j+1]
    expect(Array.from(conv2d(x, w, 1, 'valid').data)).toEqual([-4, -4, -4, -4]);
    expect(Array.from(pool(x, 2, 1, 'valid', 'max').data)).toEqual([5, 6, 8, 9]);
    // 'same' 2x2 stride 2 on 3x3: windows clipped at the edge average fewer cells
    expect(Array.from(pool(x, 2, 2, 'same', 'avg').data)).toEqual([3, 4.5, 7.5, 9]);
  });

  it('reduce, softmax and gather', () => {
    const a = nd([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(Array.from(reduce(a, [1], false, sumOf).data)).toEqual([6, 15]);
    expect(reduce(a, [0], true, sumOf).shape).toEqual([1, 3]);
    const s = softmax(nd([1, 2], [0, Math.log(3)]));
    expect(s.data[0]).toBeCloseTo(0.25, 15);
    expect(Array.from(gather(a, [1, 1, 0], 0).data)).toEqual([4, 5, 6, 4, 5, 6, 1, 2, 3]);
  });
});

describe('conformance cases', () => {
  it('have unique names', () => {
    const names = CONFORMANCE_CASES.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('cover the ops the layers, optimizers and recommenders use', () => {
    const groups = new Set(CONFORMANCE_CASES.map((c) => c.group));
    for (const g of [
      'matMul',
      'conv',
      'pooling',
      'reduction',
      'softmax',
      'gather',
      'scatter',
      'elementwise',
      'shape',
    ]) {
      expect(groups.has(g)).toBe(true);
    }
  });
});
