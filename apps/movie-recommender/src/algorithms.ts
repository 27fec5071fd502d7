/**
 * The algorithm list is the recommender registry: the built-ins (registered here, with
 * `registerBuiltinRecommenders()`) and every class registered with `registerRecommender` by any
 * other package the app imports show up in the CLI, the API and the page without changes here.
 */
import { deserializePlugin, listPlugins, type ConfigDict } from '@plasticity/core';
import {
  BaselineOnly,
  CoClustering,
  KNNBaseline,
  KNNBasic,
  KNNWithMeans,
  KNNWithZScore,
  NMF,
  NormalPredictor,
  SVD,
  SVDpp,
  SlopeOne,
  registerBuiltinRecommenders,
  type FoldIn,
  type Recommender,
} from '@plasticity/recommenders';

/** Registered recommender class names, sorted (the built-ins are registered first). */
export function listAlgorithms(): string[] {
  registerBuiltinRecommenders();
  return listPlugins('recommender');
}

/**
 * Settings the app uses instead of an algorithm's defaults, to keep interactive use fast. Unknown
 * names fall back to the algorithm's own defaults.
 */
export const APP_DEFAULTS: Readonly<Record<string, ConfigDict>> = {
  SVD: { seed: 1 },
  SVDpp: { seed: 1, epochs: 10 },
  NMF: { seed: 1 },
  CoClustering: { seed: 1 },
  NormalPredictor: { seed: 1 },
};

/** The algorithms `evaluate` compares when none are named: those present in the registry. */
export const DEFAULT_COMPARISON = ['Popularity', 'BaselineOnly', 'SVD', 'KNNBaseline', 'SlopeOne', 'NMF'];

/**
 * Creates an unfitted recommender of a registered class, with the app defaults under `config`.
 * Write `config` with the canonical option names (`epochs`, not `nEpochs`): an alias of a name the
 * app defaults would be a second value for the same option, which the recommender refuses.
 *
 * @throws UnknownPluginError naming the algorithm and the registered ones.
 */
export function createAlgorithm(name: string, config: ConfigDict = {}): Recommender {
  registerBuiltinRecommenders();
  return deserializePlugin<Recommender>('recommender', {
    className: name,
    config: { ...(APP_DEFAULTS[name] ?? {}), ...config },
  });
}

/** Whether a fitted model can fold in a new user (the explicit models that support it). */
export function canFoldIn(model: Recommender): model is Recommender & FoldIn {
  return typeof (model as unknown as { foldIn?: unknown }).foldIn === 'function';
}

/**
 * The rating predictors (Surprise's algorithms): their `predict` estimates a rating, so RMSE and
 * MAE mean something. Every other registered model (popularity, implicit, neural…) is scored on
 * ranking only.
 */
export const RATING_PREDICTORS: ReadonlySet<string> = new Set(
  [
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
  ].map((c) => c.className),
);
