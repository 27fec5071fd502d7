import { join } from 'node:path';
import { UnknownPluginError, registerRecommender, unregisterPlugin, type ConfigDict } from '@plasticity/core';
import {
  BaselineOnly,
  Interactions,
  Recommender,
  trainTestSplit,
  type RecommenderState,
} from '@plasticity/recommenders';
import { describe, expect, it } from 'vitest';
import { createAlgorithm, listAlgorithms } from './algorithms.js';
import { loadDataset } from './data.js';
import { compareAlgorithms, formatTable, subsetUsers } from './evaluate.js';

const FIXTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'ml-tiny');

describe('algorithm registry', () => {
  it('lists the registered recommenders, including ones registered later', () => {
    expect(listAlgorithms()).toEqual(expect.arrayContaining(['Popularity', 'SVD', 'KNNBaseline', 'SlopeOne']));
    class MeanOfThree extends Recommender {
      static override className = 'MeanOfThree';
      getConfig(): ConfigDict {
        return {};
      }
      protected fitModel(): void {}
      protected estimate(): number {
        return 3;
      }
      protected getState(): RecommenderState {
        return { json: {}, arrays: {} };
      }
      protected setState(): void {}
    }
    registerRecommender(MeanOfThree);
    try {
      expect(listAlgorithms()).toContain('MeanOfThree');
      expect(createAlgorithm('MeanOfThree')).toBeInstanceOf(MeanOfThree);
    } finally {
      unregisterPlugin('recommender', 'MeanOfThree');
    }
  });

  it('an unknown algorithm is an UnknownPluginError naming it', () => {
    expect(() => createAlgorithm('SVDD')).toThrow(UnknownPluginError);
    expect(() => createAlgorithm('SVDD')).toThrow(/"SVDD"/);
  });

  it('applies the app defaults and the given config (reported by canonical names)', () => {
    expect(createAlgorithm('SVD', { nFactors: 7 }).getConfig()).toMatchObject({ factors: 7, seed: 1 });
    expect(createAlgorithm('SVDpp').getConfig()).toMatchObject({ epochs: 10, seed: 1 });
  });
});

describe('compareAlgorithms', () => {
  it('scores each algorithm on one split: RMSE/MAE equal a hand computation, none for ranking-only models', async () => {
    const { interactions: data } = await loadDataset(FIXTURE_DIR);
    const scores = await compareAlgorithms(data, ['BaselineOnly', 'Popularity'], { seed: 3, testSize: 0.25 });
    // The same split and model, scored by hand.
    const { train, test } = trainTestSplit(data, { seed: 3, testSize: 0.25 });
    const model = await new BaselineOnly().fit(train);
    let se = 0;
    let ae = 0;
    for (const r of test.records()) {
      const e = model.predict(r.user, r.item).estimate - r.value;
      se += e * e;
      ae += Math.abs(e);
    }
    const [baseline, popularity] = scores;
    expect(baseline!.rmse).toBeCloseTo(Math.sqrt(se / test.size), 10);
    expect(baseline!.mae).toBeCloseTo(ae / test.size, 10);
    expect(baseline!.precisionAt10).toBeGreaterThanOrEqual(0);
    expect(popularity).toMatchObject({ algorithm: 'Popularity', rmse: null, mae: null });
    expect(popularity!.precisionAt10).toBeGreaterThanOrEqual(0);
    const table = formatTable(scores).split('\n');
    expect(table[0]).toMatch(/^algorithm\s+RMSE\s+MAE\s+P@10\s+fit s$/);
    expect(table[1]).toContain(baseline!.rmse!.toFixed(4));
    expect(table[2]).toMatch(/^Popularity\s+—\s+—/);
  });

  it('reports a failing algorithm in its row and goes on', async () => {
    class Broken extends Recommender {
      static override className = 'BrokenForTest';
      getConfig(): ConfigDict {
        return {};
      }
      protected fitModel(): void {
        throw new Error('cannot fit this');
      }
      protected estimate(): number {
        return 0;
      }
      protected getState(): RecommenderState {
        return { json: {}, arrays: {} };
      }
      protected setState(): void {}
    }
    registerRecommender(Broken);
    try {
      const data = Interactions.fromArrays(
        { users: [1, 1, 2, 2, 3], items: ['a', 'b', 'a', 'c', 'b'], values: [4, 5, 3, 2, 4] },
        { ratingScale: [1, 5] },
      );
      const scores = await compareAlgorithms(data, ['BrokenForTest', 'BaselineOnly'], { testSize: 0.4 });
      expect(scores.map((s) => s.algorithm)).toEqual(['BrokenForTest', 'BaselineOnly']);
      expect(scores[0]).toMatchObject({ rmse: null, error: 'cannot fit this' });
      expect(scores[1]!.error).toBeUndefined();
      expect(scores[1]!.rmse).toBeGreaterThan(0);
      expect(formatTable(scores)).toContain('failed: cannot fit this');
    } finally {
      unregisterPlugin('recommender', 'BrokenForTest');
    }
  });

  it('subsetUsers keeps exactly the first users’ ratings', async () => {
    const { interactions: data } = await loadDataset(FIXTURE_DIR);
    const sub = subsetUsers(data, 5);
    const firstFive = new Set(data.userIds.toArray().slice(0, 5));
    const expected = [...data.records()].filter((r) => firstFive.has(r.user));
    expect(sub.numUsers).toBe(5);
    expect([...sub.records()].map((r) => [r.user, r.item, r.value])).toEqual(
      expected.map((r) => [r.user, r.item, r.value]),
    );
    expect(() => subsetUsers(data, 0)).toThrow(/maxUsers must be a positive integer, got 0/);
  });
});
