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
  /** The held-out rating. */
  actual: number;
}

/** A metric over rating predictions of held-out pairs ({@link RMSE}, {@link MAE}, {@link FCP}). */
export interface RatingMetric {
  /** The key in result objects (`'rmse'`). */
  name: string;
  /** Always `'rating'`. */
  kind: 'rating';
  /** Whether larger is better (false for errors such as RMSE). */
  higherIsBetter: boolean;
  /** The metric over `predictions`. */
  compute(predictions: readonly RatedPrediction[]): number;
}

/** One test user's recommendations (training items excluded) and held-out items with their values. */
export interface RankingCase {
  /** The test user. */
  user: Id;
  /** The model's top-k list for the user, best first. */
  recommended: readonly Recommendation[];
  /** The user's held-out items and their values. */
  relevant: ReadonlyMap<Id, number>;
}

/** A metric over top-k lists (`precisionAtK(10)`, `ndcgAtK(10)`, …), from each user's recommendations and held-out items. */
export interface RankingMetric {
  /** The key in result objects (`'precision@10'`). */
  name: string;
  /** Always `'ranking'`. */
  kind: 'ranking';
  /** Whether larger is better. */
  higherIsBetter: boolean;
  /** The length of the recommendation lists this metric needs. */
  k: number;
  /** The metric's mean over `cases`. */
  compute(cases: readonly RankingCase[]): number;
}

/** A metric `crossValidate`, `gridSearch` and `evaluate` can score: rating or ranking. */
export type Metric = RatingMetric | RankingMetric;
