import { describe, expect, it } from 'vitest';
import { memoryIO } from '@plasticity/core';
import { ALS } from './als.js';
import { ContentBased } from './content.js';
import { Blend, FeatureFactorization, normalizeScores } from './hybrid.js';
import { IdMap, Interactions } from './interactions.js';
import { ItemItem } from './item-item.js';
import { evaluateRanking } from './metrics/ranking.js';
import { Popularity } from './popularity.js';
import { Recommender } from './recommender.js';
import { syntheticGroups } from './testing/synthetic.js';
import { registerBuiltinRecommenders } from './builtins.js';

// Loading a saved model looks its class up by name: register the built-ins once.
registerBuiltinRecommenders();

describe('normalizeScores', () => {
  it('z-score, min-max and rank by hand; NaN ranks lowest', () => {
    const s = Float32Array.from([1, 3, 5, Number.NaN]);
    const z = normalizeScores(s, 'zscore');
    const sd = Math.sqrt(((1 - 3) ** 2 + 0 + (5 - 3) ** 2) / 3);
    expect(z[0]).toBeCloseTo(-2 / sd, 6);
    expect(z[2]).toBeCloseTo(2 / sd, 6);
    expect(z[3]).toBeCloseTo(-2 / sd, 6);
    expect(Array.from(normalizeScores(s, 'minmax'))).toEqual([0, 0.5, 1, 0]);
    // Sorted 2, 2, 4, 9: the tied 2s share mid-rank 0.5 → 0.5 / 3; 4 → 2 / 3; 9 → 1.
    const r = normalizeScores(Float32Array.from([2, 9, 2, 4]), 'rank');
    [1 / 6, 1, 1 / 6, 2 / 3].forEach((want, i) => expect(r[i]).toBeCloseTo(want, 6));
  });
});

describe('Blend', () => {
  const data = Interactions.fromArrays({
    users: ['a', 'a', 'b', 'b', 'c', 'c', 'c'],
    items: ['x', 'y', 'y', 'z', 'x', 'z', 'w'],
    values: [1, 2, 3, 1, 2, 1, 1],
  });

  it('is the weighted sum of the normalised component scores; save/load keeps it', async () => {
    const pop = new Popularity();
    const knn = new ItemItem();
    const blend = await new Blend({ models: [pop, knn], weights: [0.25, 0.75], normalize: 'minmax' }).fit(data);
    const a = normalizeScores(pop.scoreAll('a'), 'minmax');
    const b = normalizeScores(knn.scoreAll('a'), 'minmax');
    const got = blend.scoreAll('a');
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(0.25 * a[i]! + 0.75 * b[i]!, 6);
    // Unknown user: the blend of the components' cold-start scores.
    const coldPop = normalizeScores(pop.scoreAll('nobody'), 'minmax');
    const coldKnn = normalizeScores(knn.scoreAll('nobody'), 'minmax');
    const cold = blend.scoreAll('nobody');
    for (let i = 0; i < cold.length; i++) expect(cold[i]).toBeCloseTo(0.25 * coldPop[i]! + 0.75 * coldKnn[i]!, 6);
    await blend.save(memoryIO('blend'));
    const loaded = await Recommender.load<Blend>(memoryIO('blend'));
    expect(loaded.scoreAll('b')).toEqual(blend.scoreAll('b'));
    expect(loaded.models.map((m) => m.constructor)).toEqual([Popularity, ItemItem]);
  });

  it('rejects fewer than two models, mismatched weights and unfitted models', async () => {
    expect(() => new Blend({ models: [new Popularity()] })).toThrow(/at least two models/);
    expect(() => new Blend({ models: [new Popularity(), new ALS()], weights: [1] })).toThrow(/weights must be 2/);
    await expect(new Blend({ models: [new Popularity(), new ALS()], fitComponents: false }).fit(data)).rejects.toThrow(
      /needs fitted models/,
    );
  });
});

describe('FeatureFactorization', () => {
  it('recommends a brand-new item (no interactions) to the users whose taste its features match', async () => {
    const { train, userGroup } = syntheticGroups(9, { users: 200, items: 60, groups: 4, heldOut: 0 });
    // Catalogue: the 60 items plus 'fresh', a group-0 item nobody has used.
    const ids = new IdMap([...train.itemIds.toArray(), 'fresh']);
    const data = Interactions.fromArrays(
      {
        users: Array.from(train.users, (u) => train.userIds.id(u)),
        items: Array.from(train.items, (i) => train.itemIds.id(i)),
      },
      { itemIds: ids },
    );
    const features = new Map<string | number, string[]>();
    for (let i = 0; i < 60; i++) features.set(`i${i}`, [`genre${i % 4}`]);
    features.set('fresh', ['genre0']);
    const model = await new FeatureFactorization({ itemFeatures: features, factors: 8, epochs: 30, seed: 1 }).fit(data);
    let inGroup0 = 0;
    let inOthers = 0;
    let group0 = 0;
    for (let u = 0; u < 200; u++) {
      const top = model.recommend(`u${u}`, 10).map((r) => r.item);
      if (userGroup[u] === 0) {
        group0++;
        if (top.includes('fresh')) inGroup0++;
      } else if (top.includes('fresh')) inOthers++;
    }
    expect(inGroup0 / group0).toBeGreaterThan(0.8);
    expect(inOthers / (200 - group0)).toBeLessThan(0.1);
    // A pure collaborative model has nothing to say about it: ALS's exact solve gives it a zero vector.
    const als = await new ALS({ factors: 8, iterations: 2, solver: 'cholesky' }).fit(data);
    expect(
      als
        .getItemFactors()
        .slice(60 * 8)
        .every((v) => Math.abs(v) < 1e-6),
    ).toBe(true);
    await model.save(memoryIO('ff'));
    const loaded = await Recommender.load(memoryIO('ff'));
    expect(loaded.scoreAll('u0')).toEqual(model.scoreAll('u0'));
  });

  it('beats popularity on precision@10 with latent groups and genre features', async () => {
    const { train, test } = syntheticGroups(12, { users: 200, items: 60 });
    const features = new Map(
      Array.from({ length: 60 }, (_, i) => [`i${i}`, { [`genre${i % 4}`]: 1, noise: 0.5 }] as const),
    );
    const ff = evaluateRanking(
      await new FeatureFactorization({ itemFeatures: features, factors: 8 }).fit(train),
      train,
      test,
      { metrics: ['precision'] },
    );
    const pop = evaluateRanking(await new Popularity().fit(train), train, test, { metrics: ['precision'] });
    expect(ff.mean['precision']!).toBeGreaterThan(1.3 * pop.mean['precision']!);
  });

  it('rejects negative feature weights and a model with neither features nor identity', async () => {
    const data = Interactions.fromArrays({ users: [1, 2], items: ['a', 'b'] });
    await expect(new FeatureFactorization({ itemFeatures: new Map([['a', { x: -1 }]]) }).fit(data)).rejects.toThrow(
      /feature weights must be finite and non-negative/,
    );
    await expect(new FeatureFactorization({ identity: false }).fit(data)).rejects.toThrow(/needs itemFeatures/);
  });
});

describe('ContentBased in a blend', () => {
  it('blends collaborative and content scores', async () => {
    const text = new Map([
      ['x', 'red apple'],
      ['y', 'green apple'],
      ['z', 'red car'],
      ['w', 'blue car'],
    ]);
    const data = Interactions.fromArrays({ users: ['a', 'a', 'b', 'c'], items: ['x', 'y', 'z', 'w'] });
    const content = new ContentBased({ itemText: text });
    const blend = await new Blend({ models: [new Popularity(), content], weights: [0, 1] }).fit(data);
    // Weight 0 on popularity: the ranking is the content ranking.
    expect(blend.recommend('b', 3).map((r) => r.item)).toEqual(content.recommend('b', 3).map((r) => r.item));
  });
});
