/**
 * The composition root of `@plasticity/recommenders`: the list of built-in recommender classes and
 * the one call that registers them. Importing the package registers nothing; saving needs no
 * registry, loading (`Recommender.load`, `new Blend({ models: [{ className, config }] })`) does.
 *
 * @example
 * ```ts
 * import { Recommender, registerBuiltinRecommenders } from '@plasticity/recommenders';
 *
 * registerBuiltinRecommenders();
 * const model = await Recommender.load('file://./models/svd');
 * ```
 */
import { hasPlugin, registerRecommender } from '@plasticity/core';
import type * as tf from '@tensorflow/tfjs-core';
import { ALS } from './als.js';
import { BPR } from './bpr.js';
import { ContentBased } from './content.js';
import { EASE } from './ease.js';
import { BaselineOnly } from './explicit/baseline-only.js';
import { CoClustering } from './explicit/co-clustering.js';
import { KNNBaseline, KNNBasic, KNNWithMeans, KNNWithZScore } from './explicit/knn.js';
import { NMF } from './explicit/nmf.js';
import { NormalPredictor } from './explicit/normal-predictor.js';
import { SlopeOne } from './explicit/slope-one.js';
import { SVD, SVDpp } from './explicit/svd.js';
import { Blend, FeatureFactorization } from './hybrid.js';
import { ItemItem } from './item-item.js';
import { NeuMF, TwoTower } from './neural.js';
import { Popularity } from './popularity.js';
import { Recommender } from './recommender.js';

/** Every built-in recommender class, in the order `registerBuiltinRecommenders` registers them. */
export const RECOMMENDER_CLASSES = [
  Popularity,
  ALS,
  BPR,
  EASE,
  ItemItem,
  NeuMF,
  TwoTower,
  ContentBased,
  Blend,
  FeatureFactorization,
  NormalPredictor,
  BaselineOnly,
  KNNBasic,
  KNNWithMeans,
  KNNWithZScore,
  KNNBaseline,
  SVD,
  SVDpp,
  NMF,
  SlopeOne,
  CoClustering,
] as const;

/**
 * Registers every built-in recommender with the core registry under its `className`, so saved
 * models load by name. Idempotent; a name you already registered (e.g. your own `'SVD'` with
 * `registerRecommender(MySVD, { override: true })`) is left as it is.
 */
export function registerBuiltinRecommenders(): void {
  for (const cls of RECOMMENDER_CLASSES) if (!hasPlugin('recommender', cls.className)) registerRecommender(cls);
}

/**
 * `Recommender.load` after `registerBuiltinRecommenders()`: loads a saved built-in (or any
 * registered) recommender from a URL (`file://…` after `registerFileRouter()`, `memory://…`) or an
 * IO handler.
 *
 * @example
 * ```ts
 * const model = await loadRecommender<SVD>(memoryIO('svd'));
 * model.recommend('ann', 10);
 * ```
 */
export async function loadRecommender<T extends Recommender = Recommender>(
  source: string | tf.io.IOHandler,
): Promise<T> {
  registerBuiltinRecommenders();
  return Recommender.load<T>(source);
}
