/**
 * The metric contract of cross-validation and grid search. A metric is an object with a name, a
 * kind and a `compute`: rating metrics score predictions against the held-out ratings; ranking
 * metrics score each test user's top-k recommendations against the user's held-out items.
 *
 * @example
 * ```ts
 * const within1: RatingMetric = {
 *   name: 'within1', kind: 'rating', higherIsBetter: true,
 *   compute: (ps) => ps.filter((p) => Math.abs(p.estimate - p.actual) <= 1).length / ps.length,
 * };
 * await crossValidate(() => new SVD(), data, { metrics: [RMSE, within1] });
 * ```
 */
import type { Id } from '../interactions.js';
import type { Prediction, Recommendation } from '../recommender.js';

/** A prediction of a held-out rating, with the rating. */
export interface RatedPrediction extends Prediction {
  actual: number;
}

export interface RatingMetric {
  name: string;
  kind: 'rating';
  /** Whether larger is better (false for errors such as RMSE). */
  higherIsBetter: boolean;
  compute(predictions: readonly RatedPrediction[]): number;
}

/** One test user's recommendations (training items excluded) and held-out items with their values. */
export interface RankingCase {
  user: Id;
  recommended: readonly Recommendation[];
  relevant: ReadonlyMap<Id, number>;
}

export interface RankingMetric {
  name: string;
  kind: 'ranking';
  higherIsBetter: boolean;
  /** The length of the recommendation lists this metric needs. */
  k: number;
  compute(cases: readonly RankingCase[]): number;
}

export type Metric = RatingMetric | RankingMetric;
