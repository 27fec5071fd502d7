import { ValueError } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import { LossHistory } from './loss-history.js';

describe('LossHistory', () => {
  it('keeps epochs in order and reports the first and last', () => {
    const h = new LossHistory();
    expect(h.first()).toBeUndefined();
    h.add(1, 0.7);
    h.add(2, 0.4);
    h.add(5, 0.1); // a resumed run may skip epochs
    expect(h.length).toBe(3);
    expect(h.first()).toEqual({ epoch: 1, loss: 0.7 });
    expect(h.last()).toEqual({ epoch: 5, loss: 0.1 });
    expect(h.chartData()).toEqual([
      { epoch: 1, loss: 0.7 },
      { epoch: 2, loss: 0.4 },
      { epoch: 5, loss: 0.1 },
    ]);
    h.clear();
    expect(h.length).toBe(0);
    h.add(1, 0.5); // a new run starts again at 1
    expect(h.last()).toEqual({ epoch: 1, loss: 0.5 });
  });

  it('thins a long history to evenly spaced points, first and last included', () => {
    const h = new LossHistory();
    for (let e = 1; e <= 1000; e++) h.add(e, 1 / e);
    const points = h.chartData(10);
    // Indices round(k · 999 / 9), k = 0…9.
    expect(points.map((p) => p.epoch)).toEqual([1, 112, 223, 334, 445, 556, 667, 778, 889, 1000]);
    for (const p of points) expect(p.loss).toBe(1 / p.epoch);
  });

  it('rejects epochs that do not increase, non-finite losses and a too-small point cap', () => {
    const h = new LossHistory();
    h.add(3, 0.2);
    expect(() => h.add(3, 0.1)).toThrow(/increasing integer epochs >= 1 \(last was 3\); got 3/);
    expect(() => h.add(0, 0.1)).toThrow(ValueError);
    expect(() => h.add(4, NaN)).toThrow(/The loss of epoch 4 is NaN: training diverged. Lower the learning rate/);
    expect(() => h.add(4, Infinity)).toThrow(ValueError);
    expect(() => h.chartData(1)).toThrow(/maxPoints must be an integer >= 2; got 1/);
    expect(h.length).toBe(1);
  });
});
