import { Popularity, SVD } from '@plasticity/recommenders';
import { describe, expect, it } from 'vitest';
import { compareRecommenders, generateRatings, precisionAtK, recommenderClass } from './recommend.js';

describe('precisionAtK', () => {
  it('averages hits/k over users', () => {
    const p = precisionAtK(2);
    const rec = (...items: string[]) => items.map((item) => ({ item, score: 1 }));
    // user a: 1 of 2 relevant; user b: 2 of 2 → (0.5 + 1) / 2.
    const cases = [
      { user: 'a', recommended: rec('x', 'y', 'z'), relevant: new Map([['y', 4]]) },
      {
        user: 'b',
        recommended: rec('x', 'z'),
        relevant: new Map([
          ['x', 1],
          ['z', 5],
        ]),
      },
    ];
    expect(p.compute(cases)).toBeCloseTo(0.75, 12);
    expect(p.name).toBe('precision@2');
    expect(() => p.compute([])).toThrow(/at least one test user/);
  });
});

describe('recommenderClass', () => {
  it('finds exported recommenders by class name only', () => {
    expect(recommenderClass('SVD')).toBe(SVD);
    expect(recommenderClass('Popularity')).toBe(Popularity);
    expect(recommenderClass('Interactions')).toBeUndefined();
    expect(recommenderClass('NoSuchModel')).toBeUndefined();
  });
});

describe('generateRatings', () => {
  it('is seeded, on the 1–5 scale, with the requested ratings per user', () => {
    const a = generateRatings({ users: 20, items: 50, perUser: 10, seed: 3 });
    const b = generateRatings({ users: 20, items: 50, perUser: 10, seed: 3 });
    expect(a.size).toBe(200);
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    expect(Math.min(...a.values)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...a.values)).toBeLessThanOrEqual(5);
  });
});

describe('compareRecommenders', () => {
  it('scores the latent-factor data better with BaselineOnly than NormalPredictor, skipping absent defaults', async () => {
    const data = generateRatings({ users: 80, items: 120, perUser: 25 });
    const result = await compareRecommenders(data, { rating: ['NormalPredictor', 'BaselineOnly'] });
    const rmse = Object.fromEntries(result.rating.map((r) => [r.algorithm, r.metrics['rmse']!]));
    expect(rmse['BaselineOnly']!).toBeLessThan(rmse['NormalPredictor']!);
    expect(result.ranking[0]!.algorithm).toBe('Popularity');
    expect(result.ranking[0]!.metrics['precision@10']).toBeGreaterThan(0);
    expect(result.unavailable).toEqual(recommenderClass('ALS') === undefined ? ['ALS'] : []);
  });

  it('rejects an explicitly requested unknown algorithm by name, and bad folds', async () => {
    const data = generateRatings({ users: 10, items: 20, perUser: 5 });
    await expect(compareRecommenders(data, { rating: ['SVDx'] })).rejects.toThrow(/unknown recommender "SVDx"/);
    await expect(compareRecommenders(data, { folds: 0 })).rejects.toThrow(/folds must be a positive integer; got 0/);
  });
});
