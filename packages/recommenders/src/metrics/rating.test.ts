import { describe, expect, it } from 'vitest';
import { fcp, mae, rmse } from './rating.js';

describe('rating metrics', () => {
  const preds = [
    { user: 'a', estimate: 3, actual: 4 },
    { user: 'a', estimate: 5, actual: 5 },
    { user: 'b', estimate: 2, actual: 1 },
    { user: 'b', estimate: 4, actual: 2 },
  ];
  it('RMSE and MAE match hand computations', () => {
    expect(rmse(preds)).toBeCloseTo(Math.sqrt((1 + 0 + 1 + 4) / 4), 12);
    expect(mae(preds)).toBeCloseTo((1 + 0 + 1 + 2) / 4, 12);
  });

  it('FCP follows Surprise: per-user concordant/discordant counts, averaged over users', () => {
    // a: (5,5) vs (3,4): concordant once. b: (4,2) vs (2,1): concordant once. nc = 1, nd = 0.
    expect(fcp(preds)).toBe(1);
    const mixed = [
      { user: 'a', estimate: 3, actual: 4 },
      { user: 'a', estimate: 5, actual: 2 },
      { user: 'a', estimate: 4, actual: 3 },
      { user: 'b', estimate: 1, actual: 1 },
      { user: 'b', estimate: 1, actual: 2 },
    ];
    // a: no pair has both estimate and rating higher (nc 0); 3 pairs have estimate ≥ and rating < (nd 3).
    // b: equal estimates, ratings 1 < 2: nd 1. Means nc = 0, nd = 2 → FCP 0.
    expect(fcp(mixed)).toBe(0);
    const half = [
      { user: 'a', estimate: 1, actual: 1 },
      { user: 'a', estimate: 2, actual: 2 },
      { user: 'b', estimate: 2, actual: 1 },
      { user: 'b', estimate: 1, actual: 2 },
      { user: 'b', estimate: 3, actual: 3 },
    ];
    // a: nc 1, nd 0. b: (2,1)v(1,2): est> act< → nd; (1,2)v(2,1): none (est <); (3,3) beats both → nc 2;
    //   (2,1)v(3,3) no; (1,2)v(3,3) no. nc_b = 2, nd_b = 1. Means: nc = 1.5, nd = 0.5 → 0.75.
    expect(fcp(half)).toBeCloseTo(0.75, 12);
  });

  it('throws on empty input and undefined FCP', () => {
    expect(() => rmse([])).toThrow(/empty/);
    expect(() => fcp([{ user: 'a', estimate: 1, actual: 3 }])).toThrow(/fcp is undefined/);
  });
});
