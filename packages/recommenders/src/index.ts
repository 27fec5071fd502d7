/**
 * `@plasticity/recommenders`: recommenders on one interface — explicit, implicit, neural,
 * content-based and hybrid — with splits, metrics, cross-validation and top-N serving.
 *
 * @example
 * ```ts
 * import { Interactions, Popularity, registerBuiltinRecommenders } from '@plasticity/recommenders';
 *
 * registerBuiltinRecommenders(); // once, before loading saved models
 * const data = Interactions.fromArrays({ users: [1, 1, 2], items: ['a', 'b', 'a'], values: [5, 3, 4] });
 * const model = await new Popularity().fit(data);
 * model.recommend(2, 1); // [{ item: 'b', score: 1 }]
 * ```
 *
 * @packageDocumentation
 */
export {
  Csr,
  IdMap,
  Interactions,
  type DuplicatePolicy,
  type Id,
  type InteractionArrays,
  type InteractionOptions,
} from './interactions.js';
export {
  Recommender,
  type Prediction,
  type Recommendation,
  type RecommendOptions,
  type RecommenderFitOptions,
  type RecommenderState,
} from './recommender.js';
export { RECOMMENDER_CLASSES, loadRecommender, registerBuiltinRecommenders } from './builtins.js';
export type { AliasFields, AliasTable, OptionAliases, WithAliases } from './internal/options.js';
export { Popularity, type PopularityConfig } from './popularity.js';
export { topK } from './topk.js';
export { ALS, type ALSConfig } from './als.js';
export type { ScoringEngine } from './internal/factor-model.js';
export {
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
  type RankingMetricName,
  type RankingOptions,
  type RankingReport,
} from './metrics/ranking.js';
export { BPR, type BPRConfig } from './bpr.js';
export { EASE, type EASEConfig } from './ease.js';
export { ItemItem, type ItemItemConfig, type ItemSimilarity } from './item-item.js';
export { NeuMF, TwoTower, type NeuMFConfig, type TwoTowerConfig } from './neural.js';
export {
  ContentBased,
  TfidfVectorizer,
  type ContentBasedConfig,
  type ItemText,
  type SparseVector,
  type TfidfOptions,
} from './content.js';
export {
  Blend,
  FeatureFactorization,
  normalizeScores,
  type BlendConfig,
  type FeatureFactorizationConfig,
  type ItemFeatures,
  type ScoreNormalization,
} from './hybrid.js';
export { FoldedUser, type FoldIn, type FoldInInput, type FoldInOptions, type FoldInRating } from './fold-in.js';
export { type BaselineOptions, type BaselineOptionsInput } from './explicit/common.js';
export { type SimilarityName } from './explicit/similarities.js';
export { NormalPredictor, type NormalPredictorConfig } from './explicit/normal-predictor.js';
export { BaselineOnly, type BaselineOnlyConfig } from './explicit/baseline-only.js';
export {
  KNNBasic,
  KNNBaseline,
  KNNWithMeans,
  KNNWithZScore,
  type KNNConfig,
  type SimOptions,
  type SimOptionsInput,
} from './explicit/knn.js';
export { SVD, SVDpp, type SVDConfig, type SVDppConfig } from './explicit/svd.js';
export { NMF, type NMFConfig } from './explicit/nmf.js';
export { SlopeOne } from './explicit/slope-one.js';
export { CoClustering, type CoClusteringConfig } from './explicit/co-clustering.js';
export {
  kFold,
  leaveKOut,
  leaveLastOut,
  temporalSplit,
  trainTestSplit,
  type KFoldOptions,
  type LeaveOutOptions,
  type RandomSplitOptions,
  type Split,
  type TemporalSplitOptions,
} from './splits.js';
export { FCP, MAE, RMSE, fcp, mae, rmse } from './metrics/rating.js';
export type { Metric, RankingCase, RankingMetric, RatedPrediction, RatingMetric } from './metrics/types.js';
export {
  crossValidate,
  evaluate,
  expandGrid,
  gridSearch,
  type CrossValidateOptions,
  type CrossValidateResult,
  type FoldResult,
  type GridSearchOptions,
  type GridSearchResult,
  type ParamGrid,
} from './evaluation.js';
