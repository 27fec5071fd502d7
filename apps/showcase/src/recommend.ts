/**
 * The recommender half of the showcase: explicit-rating algorithms (RMSE, MAE) and top-N
 * algorithms (precision@k) from `@plasticity/recommenders`, looked up by class name so that new
 * algorithms (e.g. ALS) join by adding their name to the list.
 */
import { ValueError, createRng, describeValue, type ConfigDict, type TrainingListener } from '@plasticity/core';
import * as recommenders from '@plasticity/recommenders';
import {
  Interactions,
  MAE,
  RMSE,
  Recommender,
  crossValidate,
  kFold,
  trainTestSplit,
  type Metric,
  type RankingMetric,
} from '@plasticity/recommenders';

/** Rating-prediction algorithms compared by default (NormalPredictor is the random baseline). */
export const RATING_ALGORITHMS = ['NormalPredictor', 'BaselineOnly', 'SVD', 'KNNBaseline', 'SlopeOne'] as const;
/** Top-N algorithms compared by precision@k by default; names this version lacks are skipped with a note. */
export const RANKING_ALGORITHMS = ['Popularity', 'ALS'] as const;
/** Options per algorithm name (the rest use their defaults, which follow Surprise). */
export const ALGORITHM_CONFIG: Record<string, ConfigDict> = {
  NormalPredictor: { seed: 1 },
  SVD: { seed: 1 },
  ALS: { seed: 1 },
};

type RecommenderClass = new (config?: ConfigDict) => Recommender;

/** The exported recommender class called `name`, or undefined when this version has none. */
export function recommenderClass(name: string): RecommenderClass | undefined {
  const value = (recommenders as Record<string, unknown>)[name];
  return typeof value === 'function' && value.prototype instanceof Recommender
    ? (value as RecommenderClass)
    : undefined;
}

/**
 * Precision@k: per test user, the share of the top-k recommendations (training items excluded)
 * that are among the user's held-out items; averaged over users.
 */
export function precisionAtK(k: number): RankingMetric {
  return {
    name: `precision@${k}`,
    kind: 'ranking',
    higherIsBetter: true,
    k,
    compute(cases) {
      if (cases.length === 0) throw new ValueError('precision@k needs at least one test user.', { field: 'cases' });
      let total = 0;
      for (const c of cases) total += c.recommended.slice(0, k).filter((r) => c.relevant.has(r.item)).length / k;
      return total / cases.length;
    },
  };
}

/**
 * A seeded synthetic rating set: ratings = round(μ + b_u + b_i + p_u·q_i + noise) clipped to 1–5,
 * each user rating a popularity-skewed sample of items. Stands in for MovieLens when it is absent.
 */
export function generateRatings(
  options: { users?: number; items?: number; perUser?: number; factors?: number; seed?: number } = {},
): Interactions {
  const users = options.users ?? 300;
  const items = options.items ?? 500;
  const perUser = Math.min(options.perUser ?? 40, items);
  const f = options.factors ?? 4;
  const rng = createRng(options.seed ?? 7);
  const p = Array.from({ length: users }, () => Array.from({ length: f }, () => rng.normal(0, 0.5)));
  const q = Array.from({ length: items }, () => Array.from({ length: f }, () => rng.normal(0, 0.5)));
  const bu = Array.from({ length: users }, () => rng.normal(0, 0.4));
  const bi = Array.from({ length: items }, () => rng.normal(0, 0.5));
  const weight = Array.from({ length: items }, (_, i) => 1 / (1 + i) ** 0.8);
  const u: number[] = [];
  const it: number[] = [];
  const v: number[] = [];
  for (let user = 0; user < users; user++) {
    const chosen = new Set<number>();
    while (chosen.size < perUser) {
      // Item i with probability ∝ weight[i] (rejection sampling against the largest weight).
      const i = rng.int(items);
      if (rng.uniform(0, 1) < weight[i]! / weight[0]!) chosen.add(i);
    }
    for (const item of chosen) {
      const dot = p[user]!.reduce((s, x, d) => s + x * q[item]![d]!, 0);
      const raw = 3.5 + bu[user]! + bi[item]! + 1.5 * dot + rng.normal(0, 0.5);
      u.push(user + 1);
      it.push(item + 1);
      v.push(Math.min(5, Math.max(1, Math.round(raw))));
    }
  }
  return Interactions.fromArrays({ users: u, items: it, values: v }, { ratingScale: [1, 5] });
}

export interface RecommenderRow {
  algorithm: string;
  metrics: Record<string, number>;
  fitSeconds: number;
}

export interface RecommenderComparison {
  rating: RecommenderRow[];
  ranking: RecommenderRow[];
  /** Names asked for by default that this version of @plasticity/recommenders does not have. */
  unavailable: string[];
}

export interface CompareOptions {
  rating?: readonly string[];
  ranking?: readonly string[];
  /** 1: one seeded 80/20 split; n > 1: n-fold cross-validation. Default 1. */
  folds?: number;
  /** List length of precision@k. Default 10. */
  k?: number;
  seed?: number;
  /** Receives one batch event per fitted fold. */
  onEvent?: TrainingListener;
}

/**
 * Compares algorithms on `data`. Names given explicitly must exist; defaults that do not (ALS
 * before it is released) are listed in `unavailable`.
 *
 * @throws ValueError naming an explicitly requested algorithm that does not exist.
 */
export async function compareRecommenders(
  data: Interactions,
  options: CompareOptions = {},
): Promise<RecommenderComparison> {
  const folds = options.folds ?? 1;
  if (!Number.isInteger(folds) || folds < 1) {
    throw new ValueError(`folds must be a positive integer; got ${describeValue(folds)}.`, {
      field: 'folds',
      value: folds,
    });
  }
  const seed = options.seed ?? 1;
  const splits = folds === 1 ? [trainTestSplit(data, { testSize: 0.2, seed })] : kFold(data, { folds, seed });
  const unavailable: string[] = [];
  const resolve = (names: readonly string[] | undefined, defaults: readonly string[]): [string, RecommenderClass][] =>
    (names ?? defaults).flatMap((name): [string, RecommenderClass][] => {
      const cls = recommenderClass(name);
      if (cls !== undefined) return [[name, cls]];
      if (names === undefined) {
        unavailable.push(name);
        return [];
      }
      throw new ValueError(
        `unknown recommender ${describeValue(name)}: @plasticity/recommenders exports no such class.`,
        {
          field: 'algorithm',
          value: name,
        },
      );
    });
  const rating = resolve(options.rating, RATING_ALGORITHMS);
  const ranking = resolve(options.ranking, RANKING_ALGORITHMS);
  const total = (rating.length + ranking.length) * splits.length;
  let done = 0;
  options.onEvent?.({ type: 'begin', label: 'recommenders', epochs: 1, steps: total });
  const run = async (name: string, cls: RecommenderClass, metrics: readonly Metric[]): Promise<RecommenderRow> => {
    const cv = await crossValidate(() => new cls(ALGORITHM_CONFIG[name] ?? {}), data, {
      splits,
      metrics,
      onProgress: (e) => {
        if (e.type === 'epoch')
          options.onEvent?.({ type: 'batch', epoch: 0, batch: done++, steps: total, metrics: { [name]: 0 } });
      },
    });
    return { algorithm: name, metrics: cv.mean, fitSeconds: cv.meanFitTime };
  };
  const ratingRows: RecommenderRow[] = [];
  for (const [name, cls] of rating) ratingRows.push(await run(name, cls, [RMSE, MAE]));
  const rankingRows: RecommenderRow[] = [];
  for (const [name, cls] of ranking) rankingRows.push(await run(name, cls, [precisionAtK(options.k ?? 10)]));
  options.onEvent?.({ type: 'end' });
  return { rating: ratingRows, ranking: rankingRows, unavailable };
}
