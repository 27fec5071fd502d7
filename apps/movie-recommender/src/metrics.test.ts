import { describe, expect, it } from 'vitest';
import { precisionAt } from './metrics.js';

const rec = (...items: string[]) => items.map((item, n) => ({ item, score: 10 - n }));

describe('precisionAt', () => {
  it('counts relevant hits in the top k over k, averaged over users with relevant items', () => {
    const p = precisionAt(2, 4);
    const value = p.compute([
      // 1 of the top 2 is rated ≥ 4 → 1/2
      {
        user: 1,
        recommended: rec('a', 'b', 'c'),
        relevant: new Map([
          ['a', 5],
          ['c', 4],
        ]),
      },
      // 'b' is held out but rated 3 (not relevant); 'x' relevant → 0/2
      {
        user: 2,
        recommended: rec('b', 'd'),
        relevant: new Map([
          ['b', 3],
          ['x', 4.5],
        ]),
      },
      // no relevant held-out item: left out of the mean
      { user: 3, recommended: rec('a', 'b'), relevant: new Map([['a', 2]]) },
    ]);
    expect(value).toBeCloseTo((1 / 2 + 0) / 2, 12);
    expect(p).toMatchObject({ name: 'precision@2', kind: 'ranking', k: 2, higherIsBetter: true });
  });

  it('is NaN when no user has a relevant item', () => {
    expect(precisionAt(10).compute([{ user: 1, recommended: rec('a'), relevant: new Map([['a', 1]]) }])).toBeNaN();
  });
});
