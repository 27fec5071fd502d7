/**
 * Ranking metrics for top-N recommendation, with binary relevance (an item is relevant when it is
 * in the user's test interactions). Each per-user function takes the ranked list (best first) and
 * the relevant set; {@link evaluateRanking} runs a fitted model over a test set.
 *
 * Conventions (stated, since libraries differ): precision@k divides by k; MAP@k divides the summed
 * precisions at hits by min(k, |relevant|); NDCG@k uses gains 1/log2(rank+1) and the ideal DCG of
 * min(k, |relevant|) hits; MRR is the reciprocal rank of the first hit within the top k (0 if none);
 * AUC ranks every relevant item against every candidate that is neither relevant nor excluded,
 * counting ties as half; NaN scores (items the model cannot score) rank last.
 *
 * @example
 * ```ts
 * precisionAtK(['a', 'b', 'c'], new Set(['b', 'z']), 3); // 1/3
 * const report = evaluateRanking(model, train, test, { k: 10, metrics: ['precision', 'ndcg'] });
 * report.mean.ndcg; report.perUser.get('ann')?.ndcg;
 * ```
 */
import { ValueError, describeValue } from '@plasticity/core';
import type { Id, Interactions } from '../interactions.js';
import type { Recommender } from '../recommender.js';
import type { RankingMetric } from './types.js';
import { topK } from '../topk.js';

function hitsAt<T>(ranked: readonly T[], relevant: ReadonlySet<T>, k: number): number {
  let hits = 0;
  for (let r = 0; r < Math.min(k, ranked.length); r++) if (relevant.has(ranked[r]!)) hits++;
  return hits;
}

/** Hits in the top `k`, divided by `k`. */
export function precisionAtK<T>(ranked: readonly T[], relevant: ReadonlySet<T>, k: number): number {
  checkK(k);
  return hitsAt(ranked, relevant, k) / k;
}

/** Hits in the top `k`, divided by the number of relevant items (0 when there are none). */
export function recallAtK<T>(ranked: readonly T[], relevant: ReadonlySet<T>, k: number): number {
  checkK(k);
  return relevant.size === 0 ? 0 : hitsAt(ranked, relevant, k) / relevant.size;
}

/** Binary-gain NDCG: DCG of the top `k` over the DCG of a perfect ranking. */
export function ndcgAtK<T>(ranked: readonly T[], relevant: ReadonlySet<T>, k: number): number {
  checkK(k);
  let dcg = 0;
  for (let r = 0; r < Math.min(k, ranked.length); r++) if (relevant.has(ranked[r]!)) dcg += 1 / Math.log2(r + 2);
  let ideal = 0;
  for (let r = 0; r < Math.min(k, relevant.size); r++) ideal += 1 / Math.log2(r + 2);
  return ideal === 0 ? 0 : dcg / ideal;
}

/** Average precision at `k`: mean of precision@rank over hits, divided by min(k, |relevant|). */
export function averagePrecisionAtK<T>(ranked: readonly T[], relevant: ReadonlySet<T>, k: number): number {
  checkK(k);
  let hits = 0;
  let sum = 0;
  for (let r = 0; r < Math.min(k, ranked.length); r++) {
    if (relevant.has(ranked[r]!)) sum += ++hits / (r + 1);
  }
  const denom = Math.min(k, relevant.size);
  return denom === 0 ? 0 : sum / denom;
}

/** 1 / rank of the first relevant item within the top `k`, or 0. */
export function reciprocalRankAtK<T>(ranked: readonly T[], relevant: ReadonlySet<T>, k: number): number {
  checkK(k);
  for (let r = 0; r < Math.min(k, ranked.length); r++) if (relevant.has(ranked[r]!)) return 1 / (r + 1);
  return 0;
}

/** 1 when any relevant item is in the top `k`, else 0. */
export function hitRateAtK<T>(ranked: readonly T[], relevant: ReadonlySet<T>, k: number): number {
  checkK(k);
  return hitsAt(ranked, relevant, k) > 0 ? 1 : 0;
}

/**
 * The probability that a random relevant item scores above a random non-relevant candidate.
 * `scores[i]` scores item index `i`; `relevant` and `excluded` are item indices; excluded items
 * (e.g. training items) are neither positives nor negatives. NaN when either side is empty.
 */
export function aucOfScores(
  scores: ArrayLike<number>,
  relevant: ReadonlySet<number>,
  excluded?: ReadonlySet<number>,
): number {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (excluded?.has(i) && !relevant.has(i)) continue;
    // An item the model cannot score (NaN) ranks below every scored item.
    const s = Number.isNaN(scores[i]!) ? -Infinity : scores[i]!;
    (relevant.has(i) ? pos : neg).push(s);
  }
  if (pos.length === 0 || neg.length === 0) return Number.NaN;
  // Rank-sum (Mann–Whitney U) with mid-ranks for ties: O(n log n).
  const all: [number, number][] = [
    ...pos.map((s): [number, number] => [s, 1]),
    ...neg.map((s): [number, number] => [s, 0]),
  ];
  all.sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]![0] === all[i]![0]) j++;
    const mid = (i + 1 + j) / 2;
    for (let t = i; t < j; t++) if (all[t]![1] === 1) rankSum += mid;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

/** The share of the catalogue (`numItems`) that appears in at least one list. */
export function catalogueCoverage<T>(lists: Iterable<readonly T[]>, numItems: number): number {
  const seen = new Set<T>();
  for (const list of lists) for (const item of list) seen.add(item);
  return numItems === 0 ? 0 : seen.size / numItems;
}

/** The per-user ranking metrics {@link evaluateRanking} knows. */
export type RankingMetricName = 'precision' | 'recall' | 'ndcg' | 'map' | 'mrr' | 'hitRate' | 'auc';

const PER_USER: Record<
  Exclude<RankingMetricName, 'auc'>,
  (ranked: readonly number[], relevant: ReadonlySet<number>, k: number) => number
> = {
  precision: precisionAtK,
  recall: recallAtK,
  ndcg: ndcgAtK,
  map: averagePrecisionAtK,
  mrr: reciprocalRankAtK,
  hitRate: hitRateAtK,
};

/**
 * A ranking metric object for `crossValidate` / `gridSearch` (the {@link RankingMetric} contract):
 * the mean over test users of the per-user metric at `k`.
 *
 * @example
 * ```ts
 * await crossValidate(() => new ALS(), data, { metrics: [rankingMetric('ndcg', 10)] });
 * ```
 */
export function rankingMetric(name: Exclude<RankingMetricName, 'auc'>, k = 10): RankingMetric {
  checkK(k);
  const fn = PER_USER[name] as unknown as (ranked: readonly Id[], relevant: ReadonlySet<Id>, k: number) => number;
  if (fn === undefined) {
    throw new ValueError(
      `Unknown ranking metric ${describeValue(name)}; use one of ${Object.keys(PER_USER).join(', ')}.`,
      { field: 'name', value: name },
    );
  }
  return {
    name: `${name}@${k}`,
    kind: 'ranking',
    higherIsBetter: true,
    k,
    compute(cases) {
      if (cases.length === 0) return Number.NaN;
      let sum = 0;
      for (const c of cases)
        sum += fn(
          c.recommended.map((r) => r.item),
          new Set(c.relevant.keys()),
          k,
        );
      return sum / cases.length;
    },
  };
}

/** Options of {@link evaluateRanking}. */
export interface RankingOptions {
  /** List length. Default 10. */
  k?: number;
  /** Default: precision, recall, ndcg, map. `'coverage'` adds catalogue coverage to the mean. */
  metrics?: readonly (RankingMetricName | 'coverage')[];
  /**
   * Users in `test` unknown to `train`: `'skip'` (default) or `'include'` (scored with the model's
   * cold-start fallback).
   */
  coldUsers?: 'skip' | 'include';
}

/** What {@link evaluateRanking} returns: means, per-user values and how many users were evaluated. */
export interface RankingReport {
  /** Metric name → mean over evaluated users (plus `coverage` when asked for). */
  mean: Record<string, number>;
  /** User id → metric name → value. */
  perUser: Map<Id, Record<string, number>>;
  /** Users evaluated. */
  users: number;
}

/**
 * Ranks every item for each test user with `model` (excluding the user's `train` items), and
 * scores the top `k` against the user's `test` items. `train` and `test` may have separate id maps:
 * users and items are matched by external id; test items unknown to `train` count as relevant
 * items the model cannot recommend.
 */
export function evaluateRanking(
  model: Recommender,
  train: Interactions,
  test: Interactions,
  options: RankingOptions = {},
): RankingReport {
  const k = options.k ?? 10;
  checkK(k);
  const metrics = options.metrics ?? ['precision', 'recall', 'ndcg', 'map'];
  for (const m of metrics) {
    if (m !== 'coverage' && m !== 'auc' && !(m in PER_USER)) {
      throw new ValueError(
        `Unknown ranking metric ${describeValue(m)}; use one of ${[...Object.keys(PER_USER), 'auc', 'coverage'].join(', ')}.`,
        { field: 'metrics', value: m },
      );
    }
  }
  const cold = options.coldUsers ?? 'skip';
  // Relevant items per test user, as train item indices (or -1-based for items train lacks).
  const relevantByUser = new Map<Id, Set<number>>();
  let unknownItem = -1;
  for (let e = 0; e < test.size; e++) {
    const user = test.userIds.id(test.users[e]!);
    const item = test.itemIds.id(test.items[e]!);
    let set = relevantByUser.get(user);
    if (set === undefined) relevantByUser.set(user, (set = new Set()));
    set.add(train.itemIndex(item) ?? unknownItem--);
  }
  const perUser = new Map<Id, Record<string, number>>();
  const sums: Record<string, number> = {};
  const counts: Record<string, number> = {};
  const recommended = new Set<number>();
  const trainCsr = train.byUser();
  for (const [user, relevant] of relevantByUser) {
    const u = train.userIndex(user);
    if (u === undefined && cold === 'skip') continue;
    const scores = model.scoreAll(user);
    const seen = new Set<number>(u === undefined ? [] : trainCsr.row(u).indices);
    const banned = new Uint8Array(scores.length);
    for (const i of seen) if (i < banned.length) banned[i] = 1;
    const ranked = topK(scores, k, banned).map(([i]) => i);
    for (const i of ranked) recommended.add(i);
    const row: Record<string, number> = {};
    for (const m of metrics) {
      if (m === 'coverage') continue;
      const value = m === 'auc' ? aucOfScores(scores, relevant, seen) : PER_USER[m](ranked, relevant, k);
      row[m] = value;
      if (!Number.isNaN(value)) {
        sums[m] = (sums[m] ?? 0) + value;
        counts[m] = (counts[m] ?? 0) + 1;
      }
    }
    perUser.set(user, row);
  }
  const mean: Record<string, number> = {};
  for (const m of metrics) {
    if (m === 'coverage') mean[m] = recommended.size / train.numItems;
    else mean[m] = counts[m] === undefined ? Number.NaN : sums[m]! / counts[m]!;
  }
  return { mean, perUser, users: perUser.size };
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) {
    throw new ValueError(`k must be a positive integer, got ${describeValue(k)}.`, { field: 'k', value: k });
  }
}
