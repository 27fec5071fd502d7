import { describe, expect, it } from 'vitest';
import { ValueError } from '@plasticity/core';
import { Interactions } from '../interactions.js';
import { Popularity } from '../popularity.js';
import {
  aucOfScores,
  averagePrecisionAtK,
  catalogueCoverage,
  evaluateRanking,
  hitRateAtK,
  ndcgAtK,
  precisionAtK,
  rankingMetric,
  recallAtK,
  reciprocalRankAtK,
} from './ranking.js';

// Ranked a..e, relevant {b, d, z}: hits at ranks 2 and 4; z is never recommended.
const ranked = ['a', 'b', 'c', 'd', 'e'];
const relevant = new Set(['b', 'd', 'z']);

describe('ranking metrics (hand-computed)', () => {
  it('precision, recall, hit rate and MRR', () => {
    expect(precisionAtK(ranked, relevant, 3)).toBeCloseTo(1 / 3, 12);
    expect(precisionAtK(ranked, relevant, 5)).toBeCloseTo(2 / 5, 12);
    expect(recallAtK(ranked, relevant, 3)).toBeCloseTo(1 / 3, 12);
    expect(recallAtK(ranked, relevant, 5)).toBeCloseTo(2 / 3, 12);
    expect(hitRateAtK(ranked, relevant, 1)).toBe(0);
    expect(hitRateAtK(ranked, relevant, 2)).toBe(1);
    expect(reciprocalRankAtK(ranked, relevant, 5)).toBeCloseTo(1 / 2, 12);
    expect(reciprocalRankAtK(ranked, relevant, 1)).toBe(0);
  });

  it('NDCG with binary gains', () => {
    // DCG = 1/log2(3) + 1/log2(5); ideal (3 relevant, k=5) = 1 + 1/log2(3) + 1/2.
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    const idcg = 1 + 1 / Math.log2(3) + 0.5;
    expect(ndcgAtK(ranked, relevant, 5)).toBeCloseTo(dcg / idcg, 12);
    // k=2: DCG = 1/log2(3); ideal = 1 + 1/log2(3).
    expect(ndcgAtK(ranked, relevant, 2)).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12);
    expect(ndcgAtK(['b', 'd'], new Set(['b', 'd']), 2)).toBeCloseTo(1, 12);
  });

  it('MAP@k divides by min(k, |relevant|)', () => {
    // Hits at 2 (precision 1/2) and 4 (precision 2/4); min(5, 3) = 3.
    expect(averagePrecisionAtK(ranked, relevant, 5)).toBeCloseTo((0.5 + 0.5) / 3, 12);
    // k=2: one hit at 2 → (1/2) / min(2, 3).
    expect(averagePrecisionAtK(ranked, relevant, 2)).toBeCloseTo(0.5 / 2, 12);
  });

  it('AUC counts correctly ordered pairs, ties as half, and skips excluded items', () => {
    // Items 0..4 with scores; relevant {1, 3}; item 4 excluded.
    const scores = [0.9, 0.8, 0.1, 0.5, 0.95];
    // Positives 0.8, 0.5; negatives 0.9, 0.1 → pairs (0.8>0.9 no, 0.8>0.1 yes, 0.5>0.9 no, 0.5>0.1 yes) = 2/4.
    expect(aucOfScores(scores, new Set([1, 3]), new Set([4]))).toBeCloseTo(0.5, 12);
    // Ties: positive 0.5 vs negatives 0.5 and 0.1 → (0.5 + 1) / 2.
    expect(aucOfScores([0.5, 0.5, 0.1], new Set([0]))).toBeCloseTo(0.75, 12);
    expect(aucOfScores([1, 2], new Set<number>())).toBeNaN();
  });

  it('catalogue coverage and bad k', () => {
    expect(
      catalogueCoverage(
        [
          ['a', 'b'],
          ['b', 'c'],
        ],
        10,
      ),
    ).toBeCloseTo(0.3, 12);
    expect(() => precisionAtK(ranked, relevant, 0)).toThrow(ValueError);
    expect(() => ndcgAtK(ranked, relevant, 1.5)).toThrow(/k must be a positive integer/);
  });
});

describe('evaluateRanking', () => {
  // Popularity on train: a (3 users) > b (2) > c (1) > d (1, later index).
  const all = Interactions.fromArrays({
    users: ['u1', 'u2', 'u3', 'u1', 'u2', 'u3', 'u4', 'u1', 'u2', 'u4'],
    items: ['a', 'a', 'a', 'b', 'b', 'c', 'd', 'c', 'd', 'b'],
  });
  const train = all.subset([0, 1, 2, 3, 4, 5, 6]);
  const test = all.subset([7, 8, 9]);

  it('returns mean and per-user values that match the per-user formulas', async () => {
    const model = await new Popularity().fit(train);
    const report = evaluateRanking(model, train, test, {
      k: 2,
      metrics: ['precision', 'recall', 'hitRate', 'coverage'],
    });
    // u1 saw a, b → ranks c, d; relevant {c}: precision 1/2, recall 1.
    // u2 saw a, b → c, d; relevant {d}: precision 1/2, recall 1.
    // u4 saw d → a, b; relevant {b}: precision 1/2, recall 1.
    expect(report.users).toBe(3);
    expect(report.perUser.get('u1')).toEqual({ precision: 0.5, recall: 1, hitRate: 1 });
    expect(report.mean['precision']).toBeCloseTo(0.5, 12);
    expect(report.mean['recall']).toBeCloseTo(1, 12);
    // Recommended items: c, d, a, b → all 4 of 4.
    expect(report.mean['coverage']).toBeCloseTo(1, 12);
    expect(() => evaluateRanking(model, train, test, { metrics: ['bogus' as 'ndcg'] })).toThrow(
      /Unknown ranking metric/,
    );
  });
});

describe('rankingMetric', () => {
  it('averages the per-user metric over RankingCases (the crossValidate contract)', () => {
    const ndcg = rankingMetric('ndcg', 2);
    expect(ndcg).toMatchObject({ name: 'ndcg@2', kind: 'ranking', higherIsBetter: true, k: 2 });
    const cases = [
      // hit at rank 1 of 1 relevant: NDCG 1
      {
        user: 'a',
        recommended: [
          { item: 'x', score: 2 },
          { item: 'y', score: 1 },
        ],
        relevant: new Map([['x', 1]]),
      },
      // hit at rank 2 of 1 relevant: (1/log2 3) / 1
      {
        user: 'b',
        recommended: [
          { item: 'x', score: 2 },
          { item: 'y', score: 1 },
        ],
        relevant: new Map([['y', 1]]),
      },
    ];
    expect(ndcg.compute(cases)).toBeCloseTo((1 + 1 / Math.log2(3)) / 2, 12);
    expect(rankingMetric('precision', 2).compute(cases)).toBeCloseTo(0.5, 12);
    expect(() => rankingMetric('nope' as 'ndcg')).toThrow(/Unknown ranking metric/);
  });
});
