/**
 * Cross-validation and grid search over any recommender, with pluggable metrics (rating metrics
 * score predictions of held-out ratings; ranking metrics score top-k lists against held-out
 * items), fit and test times, optional per-user results, and progress events.
 *
 * @example
 * ```ts
 * const cv = await crossValidate(() => new SVD({ seed: 1 }), data, { folds: 5, metrics: [RMSE, MAE] });
 * cv.mean.rmse; cv.folds[0].fitTime;
 * const grid = await gridSearch(SVD, { epochs: [10, 20], learningRate: [0.002, 0.005] }, data, { folds: 3 });
 * grid.best.rmse.params; // { epochs: 20, learningRate: 0.005 }
 * ```
 */
import {
  ProgressEmitter,
  ValueError,
  describeValue,
  type ConfigDict,
  type ConfigValue,
  type TrainingListener,
} from '@plasticity/core';
import type { Id, Interactions } from './interactions.js';
import { MAE, RMSE } from './metrics/rating.js';
import type { Metric, RankingCase, RatedPrediction } from './metrics/types.js';
import type { Recommender } from './recommender.js';
import { kFold, type Split } from './splits.js';

/** Options of {@link crossValidate}. */
export interface CrossValidateOptions {
  /** Number of folds (Surprise's KFold), default 5; ignored when `splits` is given. */
  folds?: number;
  /** Your own train/test splits instead of k-fold (e.g. from `leaveLastOut`). */
  splits?: readonly Split[];
  /** Default `[RMSE, MAE]`. */
  metrics?: readonly Metric[];
  /** Seed of the fold assignment. Default 0. */
  seed?: number;
  /** Also report every metric per test user. Default false. */
  perUser?: boolean;
  /** Receives `begin`, one `epoch` per fold (its metrics and times), and `end` with the means. */
  onProgress?: TrainingListener;
  /**
   * The clock of fit and test times, in seconds. Default: wall time (`performance.now()`); e.g.
   * `() => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; }` for CPU time.
   */
  clock?: () => number;
}

/** One fold of {@link crossValidate}: its metrics and times. */
export interface FoldResult {
  /** The fold's number, from 0. */
  fold: number;
  /** Metric name → value on the fold's test part. */
  metrics: Record<string, number>;
  /** Seconds. */
  fitTime: number;
  /** Seconds to score the fold's test part. */
  testTime: number;
  /** Per test user, each metric on that user's test interactions (when `perUser`). */
  perUser?: Map<Id, Record<string, number>>;
}

/** What {@link crossValidate} returns: per-fold results, mean and standard deviation per metric, mean times. */
export interface CrossValidateResult {
  /** Each fold's metrics and times. */
  folds: FoldResult[];
  /** Metric name → mean over the folds. */
  mean: Record<string, number>;
  /** Metric name → population standard deviation over the folds. */
  std: Record<string, number>;
  /** Mean fit time per fold, in seconds. */
  meanFitTime: number;
  /** Mean test time per fold, in seconds. */
  meanTestTime: number;
}

function checkMetrics(metrics: readonly Metric[]): void {
  const names = new Set<string>();
  for (const m of metrics) {
    if (
      m === null ||
      typeof m !== 'object' ||
      typeof m.compute !== 'function' ||
      (m.kind !== 'rating' && m.kind !== 'ranking')
    ) {
      throw new ValueError(
        `Each metric must be { name, kind: 'rating' | 'ranking', compute }, got ${describeValue(m)}; use RMSE, MAE, FCP or a ranking metric.`,
        { field: 'metrics', value: m },
      );
    }
    if (names.has(m.name)) {
      throw new ValueError(`Two metrics are named ${describeValue(m.name)}; give each a distinct name.`, {
        field: 'metrics',
        value: m.name,
      });
    }
    names.add(m.name);
  }
}

/** Scores one fitted model on one test set. */
export function evaluate(
  model: Recommender,
  test: Interactions,
  metrics: readonly Metric[] = [RMSE, MAE],
  options: { perUser?: boolean } = {},
): {
  /** Each metric's value on the whole test set, by metric name. */
  metrics: Record<string, number>;
  /** Per test user, each metric on that user's test interactions (only when `options.perUser`). */
  perUser?: Map<Id, Record<string, number>>;
} {
  checkMetrics(metrics);
  const out: Record<string, number> = {};
  const ratingMetrics = metrics.filter((m) => m.kind === 'rating');
  const rankingMetrics = metrics.filter((m) => m.kind === 'ranking');
  const predictions: RatedPrediction[] = [];
  if (ratingMetrics.length > 0) {
    const { userIds, itemIds, users, items, values } = test;
    for (let k = 0; k < test.size; k++) {
      // predict returns a fresh object: add the held-out rating to it in place.
      const p = model.predict(userIds.id(users[k]!), itemIds.id(items[k]!)) as RatedPrediction;
      p.actual = values[k]!;
      predictions.push(p);
    }
    for (const m of ratingMetrics) out[m.name] = m.compute(predictions);
  }
  const cases: RankingCase[] = [];
  if (rankingMetrics.length > 0) {
    const k = Math.max(...rankingMetrics.map((m) => m.k));
    const relevant = new Map<Id, Map<Id, number>>();
    for (const { user, item, value } of test.records()) {
      let items = relevant.get(user);
      if (items === undefined) relevant.set(user, (items = new Map()));
      items.set(item, value);
    }
    for (const [user, items] of relevant) cases.push({ user, recommended: model.recommend(user, k), relevant: items });
    for (const m of rankingMetrics) out[m.name] = m.compute(cases);
  }
  if (!options.perUser) return { metrics: out };
  const perUser = new Map<Id, Record<string, number>>();
  const byUser = new Map<Id, RatedPrediction[]>();
  for (const p of predictions) {
    let list = byUser.get(p.user);
    if (list === undefined) byUser.set(p.user, (list = []));
    list.push(p);
  }
  for (const [user, list] of byUser) {
    const row: Record<string, number> = {};
    for (const m of ratingMetrics) row[m.name] = safe(() => m.compute(list));
    perUser.set(user, row);
  }
  for (const c of cases) {
    const row = perUser.get(c.user) ?? {};
    for (const m of rankingMetrics) row[m.name] = safe(() => m.compute([c]));
    perUser.set(c.user, row);
  }
  return { metrics: out, perUser };
}

/** A metric undefined for one user (e.g. FCP with one test rating) is NaN there. */
function safe(f: () => number): number {
  try {
    return f();
  } catch {
    return Number.NaN;
  }
}

/**
 * Fits a fresh model from `factory` on each fold's train part and scores it on the test part.
 * Fit time is `fit`; test time is predicting every test pair plus the top-k lists ranking metrics
 * need.
 */
export async function crossValidate(
  factory: () => Recommender,
  data: Interactions,
  options: CrossValidateOptions = {},
): Promise<CrossValidateResult> {
  if (typeof factory !== 'function') {
    throw new ValueError(`crossValidate expects a factory () => new Model(...), got ${describeValue(factory)}.`, {
      field: 'factory',
      value: factory,
    });
  }
  const metrics = options.metrics ?? [RMSE, MAE];
  checkMetrics(metrics);
  if (metrics.length === 0) {
    throw new ValueError('crossValidate needs at least one metric.', { field: 'metrics', value: 0 });
  }
  const splits = options.splits ?? kFold(data, { folds: options.folds ?? 5, seed: options.seed ?? 0 });
  const clock = options.clock ?? ((): number => performance.now() / 1000);
  const progress = new ProgressEmitter();
  const remove = options.onProgress === undefined ? undefined : progress.on(options.onProgress);
  try {
    progress.emit({ type: 'begin', label: 'cross-validation', epochs: splits.length });
    const folds: FoldResult[] = [];
    for (let f = 0; f < splits.length; f++) {
      const { train, test } = splits[f]!;
      const model = factory();
      const t0 = clock();
      await model.fit(train);
      const t1 = clock();
      const scored = evaluate(model, test, metrics, { perUser: options.perUser ?? false });
      const t2 = clock();
      const result: FoldResult = {
        fold: f,
        metrics: scored.metrics,
        fitTime: t1 - t0,
        testTime: t2 - t1,
      };
      if (scored.perUser !== undefined) result.perUser = scored.perUser;
      folds.push(result);
      progress.emit({
        type: 'epoch',
        epoch: f,
        epochs: splits.length,
        metrics: { ...scored.metrics, fit_time: result.fitTime, test_time: result.testTime },
      });
    }
    const mean: Record<string, number> = {};
    const std: Record<string, number> = {};
    for (const m of metrics) {
      const values = folds.map((r) => r.metrics[m.name]!);
      const avg = values.reduce((a, b) => a + b, 0) / values.length;
      mean[m.name] = avg;
      std[m.name] = Math.sqrt(values.reduce((a, b) => a + (b - avg) ** 2, 0) / values.length);
    }
    const result: CrossValidateResult = {
      folds,
      mean,
      std,
      meanFitTime: folds.reduce((a, r) => a + r.fitTime, 0) / folds.length,
      meanTestTime: folds.reduce((a, r) => a + r.testTime, 0) / folds.length,
    };
    progress.emit({ type: 'end', metrics: mean });
    return result;
  } finally {
    remove?.();
  }
}

/** Values to try per parameter; a nested object is itself a grid (e.g. `similarity: { name: ['msd', 'cosine'] }`). */
export type ParamGrid = { [key: string]: readonly ConfigValue[] | ParamGrid };

/** Every combination of a grid, in order (the last key varies fastest). */
export function expandGrid(grid: ParamGrid): ConfigDict[] {
  let combos: ConfigDict[] = [{}];
  for (const [key, spec] of Object.entries(grid)) {
    let values: readonly ConfigValue[];
    if (Array.isArray(spec)) values = spec as readonly ConfigValue[];
    else if (spec !== null && typeof spec === 'object') values = expandGrid(spec as ParamGrid);
    else {
      throw new ValueError(
        `Grid entry ${key} must be an array of values or a nested grid, got ${describeValue(spec)}.`,
        {
          field: key,
          value: spec as ConfigValue,
        },
      );
    }
    if (values.length === 0) {
      throw new ValueError(`Grid entry ${key} has no values; give at least one.`, { field: key, value: [] });
    }
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return combos;
}

/** Options of {@link gridSearch}: those of {@link crossValidate} except `perUser`. */
export interface GridSearchOptions extends Omit<CrossValidateOptions, 'perUser' | 'onProgress'> {
  /** Receives `begin`, one `epoch` per parameter combination (its mean metrics), and `end`. */
  onProgress?: TrainingListener;
}

/**
 * What {@link gridSearch} returns: every combination's cross-validated scores and the best per metric.
 *
 * @typeParam C - The model's config type: each `params` is one combination of the grid.
 */
export interface GridSearchResult<C> {
  /** Every combination in grid order: its parameters, mean and standard deviation per metric, and mean times. */
  results: {
    /** The combination's parameters, as written in the grid. */
    params: C;
    /** Mean over the folds, by metric name. */
    mean: Record<string, number>;
    /** Standard deviation over the folds (population, as Surprise), by metric name. */
    std: Record<string, number>;
    /** Mean fit time per fold, in seconds. */
    meanFitTime: number;
    /** Mean test time per fold, in seconds. */
    meanTestTime: number;
  }[];
  /** Per metric: the best parameters and their mean score. */
  best: Record<
    string,
    {
      /** The best combination's parameters for this metric. */
      params: C;
      /** Its mean score over the folds. */
      score: number;
    }
  >;
}

/**
 * Cross-validates `new Model(params)` for every combination of `grid` on the same folds and picks
 * the best per metric (lowest error, highest for metrics where higher is better). Every
 * combination is constructed before anything trains, so an unknown option name (`nFactorz`) or a
 * bad value throws the model's `ValueError` at once. The grid's keys may be canonical names or
 * their aliases (Surprise's `n_epochs`, `lr_all`, …); `params` in the result are as written.
 *
 * @example
 * ```ts
 * const grid = await gridSearch(SVD, { epochs: [10, 20], learningRate: [0.002, 0.005] }, data, { folds: 3 });
 * grid.best.rmse.params; // { epochs: 20, learningRate: 0.005 }
 * ```
 */
export async function gridSearch<C extends object>(
  Model: new (config: C) => Recommender,
  grid: ParamGrid,
  data: Interactions,
  options: GridSearchOptions = {},
): Promise<GridSearchResult<C>> {
  const combos = expandGrid(grid) as C[];
  // Build every combination once before any fold trains, so a misspelt option name (or a bad
  // value) fails at once, naming the option and the close matches, instead of after hours.
  for (const params of combos) new Model(params);
  const metrics = options.metrics ?? [RMSE, MAE];
  checkMetrics(metrics);
  const splits = options.splits ?? kFold(data, { folds: options.folds ?? 5, seed: options.seed ?? 0 });
  const progress = new ProgressEmitter();
  const remove = options.onProgress === undefined ? undefined : progress.on(options.onProgress);
  try {
    progress.emit({ type: 'begin', label: 'grid-search', epochs: combos.length });
    const results: GridSearchResult<C>['results'] = [];
    for (let c = 0; c < combos.length; c++) {
      const params = combos[c]!;
      const cv = await crossValidate(() => new Model(params), data, {
        splits,
        metrics,
        ...(options.clock ? { clock: options.clock } : {}),
      });
      results.push({ params, mean: cv.mean, std: cv.std, meanFitTime: cv.meanFitTime, meanTestTime: cv.meanTestTime });
      progress.emit({ type: 'epoch', epoch: c, epochs: combos.length, metrics: cv.mean });
    }
    const best: GridSearchResult<C>['best'] = {};
    for (const m of metrics) {
      let top = results[0]!;
      for (const r of results) {
        const better = m.higherIsBetter ? r.mean[m.name]! > top.mean[m.name]! : r.mean[m.name]! < top.mean[m.name]!;
        if (better) top = r;
      }
      best[m.name] = { params: top.params, score: top.mean[m.name]! };
    }
    progress.emit({ type: 'end' });
    return { results, best };
  } finally {
    remove?.();
  }
}
