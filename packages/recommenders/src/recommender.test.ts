import { describe, expect, it } from 'vitest';
import { ArtifactError, ValueError, memoryIO, registerRecommender, type ConfigDict } from '@plasticity/core';
import { Interactions } from './interactions.js';
import { Popularity } from './popularity.js';
import { Recommender, type RecommenderState } from './recommender.js';
import { registerBuiltinRecommenders } from './builtins.js';

// Loading a saved model looks its class up by name: register the built-ins once.
registerBuiltinRecommenders();

const data = Interactions.fromArrays({
  users: ['u1', 'u1', 'u2', 'u3', 'u3', 'u3'],
  items: ['a', 'b', 'a', 'a', 'c', 'b'],
  values: [5, 3, 4, 2, 1, 4],
});

/** Scores item i for user u as u*10 + i: easy to check by hand. */
class Grid extends Recommender {
  static override className = 'TestGrid';
  getConfig(): ConfigDict {
    return {};
  }
  protected fitModel(): void {}
  protected estimate(u: number, i: number): number {
    return u === 2 && i === 2 ? Number.NaN : u * 10 + i;
  }
  protected getState(): RecommenderState {
    return { json: {}, arrays: {} };
  }
  protected setState(): void {}
}
registerRecommender(Grid);

describe('Recommender base', () => {
  it('predicts known pairs and falls back with a reason for unknown ids or impossible pairs', async () => {
    const model = await new Grid().fit(data);
    expect(model.predict('u2', 'b')).toEqual({ user: 'u2', item: 'b', estimate: 11, wasImpossible: false });
    const mean = data.globalMean;
    expect(model.predict('nobody', 'a')).toMatchObject({
      estimate: mean,
      wasImpossible: true,
      reason: 'user is unknown',
    });
    expect(model.predict('u1', 'zz')).toMatchObject({ wasImpossible: true, reason: 'item is unknown' });
    expect(model.predict('u3', 'c')).toMatchObject({ estimate: mean, wasImpossible: true });
  });

  it('recommends the best unseen items, honours exclude and filter, and checks k', async () => {
    const model = await new Grid().fit(data);
    // u1 (index 0) has seen a and b; only c remains.
    expect(model.recommend('u1', 3)).toEqual([{ item: 'c', score: 2 }]);
    expect(model.recommend('u1', 2, { exclude: 'none' })).toEqual([
      { item: 'c', score: 2 },
      { item: 'b', score: 1 },
    ]);
    expect(model.recommend('u1', 3, { exclude: ['c'], filter: (item) => item !== 'b' })).toEqual([
      { item: 'a', score: 0 },
    ]);
    expect(model.recommendBatch(['u1', 'u2'], 1)).toEqual([[{ item: 'c', score: 2 }], [{ item: 'c', score: 12 }]]);
    expect(() => model.recommend('u1', 0)).toThrow(/k must be a positive integer/);
    expect(() => model.similarItems('a', 2)).toThrow(/has no item similarities/);
  });

  it('says it is not fitted and rejects non-Interactions data', async () => {
    expect(() => new Grid().predict('u1', 'a')).toThrow(/not fitted/);
    await expect(new Grid().fit({} as Interactions)).rejects.toThrow(ValueError);
  });
});

describe('Popularity', () => {
  it('ranks by interaction count or summed value and serves cold users', async () => {
    const byCount = await new Popularity().fit(data);
    expect(byCount.recommend('nobody', 3)).toEqual([
      { item: 'a', score: 3 },
      { item: 'b', score: 2 },
      { item: 'c', score: 1 },
    ]);
    const bySum = await new Popularity({ by: 'sum' }).fit(data);
    expect(bySum.recommend('u2', 2)).toEqual([
      { item: 'b', score: 7 },
      { item: 'c', score: 1 },
    ]);
  });

  it('round-trips through save/load with identical recommendations', async () => {
    const model = await new Popularity({ by: 'sum' }).fit(data);
    await model.save(memoryIO('pop-test'));
    const again = await Recommender.load<Popularity>(memoryIO('pop-test'));
    expect(again).toBeInstanceOf(Popularity);
    expect(again.by).toBe('sum');
    for (const user of ['u1', 'u2', 'u3', 'new']) expect(again.recommend(user, 3)).toEqual(model.recommend(user, 3));
  });

  it('rejects truncated and foreign artifacts with ArtifactErrors', async () => {
    const artifacts = (await new Popularity().fit(data)).toArtifacts();
    const truncated = { ...artifacts, weightData: (artifacts.weightData as ArrayBuffer).slice(0, 8) };
    expect(() => Recommender.fromArtifacts(truncated)).toThrow(ArtifactError);
    expect(() => Recommender.fromArtifacts({ ...artifacts, modelTopology: { format: 'layers-model' } })).toThrow(
      /not a saved recommender/,
    );
  });
});
