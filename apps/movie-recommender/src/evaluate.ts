/** The comparison table of `evaluate`: one train/test split, every algorithm fitted and scored on it. */
import { MAE, RMSE, evaluate, trainTestSplit, Interactions, type Metric } from '@plasticity/recommenders';
import { ValueError, describeValue } from '@plasticity/core';
import { RATING_PREDICTORS, createAlgorithm } from './algorithms.js';
import { precisionAt } from './metrics.js';

/** One row of the comparison. Metrics a model cannot produce are `null`. */
export interface AlgorithmScore {
  algorithm: string;
  rmse: number | null;
  mae: number | null;
  precisionAt10: number | null;
  /** Seconds to fit on the train part. */
  fitTime: number;
  /** Set when the algorithm failed on this data (the others still run). */
  error?: string;
}

export interface CompareOptions {
  testSize?: number;
  seed?: number;
  /** Keep only the first `maxUsers` users (by id order) to make the comparison quick. */
  maxUsers?: number;
  /** Called after each algorithm (for progress bars). */
  onResult?: (score: AlgorithmScore, done: number, total: number) => void;
  /** Seconds since some origin; default wall time. */
  clock?: () => number;
}

/** The interactions of the first `maxUsers` users. */
export function subsetUsers(data: Interactions, maxUsers: number): Interactions {
  if (!Number.isInteger(maxUsers) || maxUsers < 1) {
    throw new ValueError(`maxUsers must be a positive integer, got ${describeValue(maxUsers)}.`, {
      field: 'maxUsers',
      value: maxUsers,
    });
  }
  if (maxUsers >= data.numUsers) return data;
  const users = [];
  const items = [];
  const values = [];
  for (const r of data.records()) {
    if (data.userIndex(r.user)! >= maxUsers) continue;
    users.push(r.user);
    items.push(r.item);
    values.push(r.value);
  }
  return Interactions.fromArrays({ users, items, values }, data.ratingScale ? { ratingScale: data.ratingScale } : {});
}

/** Fits and scores each named algorithm on the same split. */
export async function compareAlgorithms(
  data: Interactions,
  algorithms: readonly string[],
  options: CompareOptions = {},
): Promise<AlgorithmScore[]> {
  const clock = options.clock ?? (() => performance.now() / 1000);
  const subset = options.maxUsers === undefined ? data : subsetUsers(data, options.maxUsers);
  const { train, test } = trainTestSplit(subset, { testSize: options.testSize ?? 0.2, seed: options.seed ?? 1 });
  const scores: AlgorithmScore[] = [];
  for (const algorithm of algorithms) {
    const model = createAlgorithm(algorithm);
    const rating = RATING_PREDICTORS.has(algorithm);
    const metrics: Metric[] = rating ? [RMSE, MAE, precisionAt(10)] : [precisionAt(10)];
    let score: AlgorithmScore;
    const start = clock();
    try {
      await model.fit(train);
      const fitTime = clock() - start;
      const m = evaluate(model, test, metrics).metrics;
      score = {
        algorithm,
        rmse: rating ? m.rmse! : null,
        mae: rating ? m.mae! : null,
        precisionAt10: Number.isNaN(m['precision@10']) ? null : m['precision@10']!,
        fitTime,
      };
    } catch (error) {
      score = {
        algorithm,
        rmse: null,
        mae: null,
        precisionAt10: null,
        fitTime: clock() - start,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    scores.push(score);
    options.onResult?.(score, scores.length, algorithms.length);
  }
  return scores;
}

/** The comparison as an aligned text table. */
export function formatTable(scores: readonly AlgorithmScore[]): string {
  const fmt = (v: number | null, digits = 4) => (v === null ? '—' : v.toFixed(digits));
  const rows = [
    ['algorithm', 'RMSE', 'MAE', 'P@10', 'fit s'],
    ...scores.map((s) => [
      s.algorithm,
      fmt(s.rmse),
      fmt(s.mae),
      fmt(s.precisionAt10),
      s.error === undefined ? s.fitTime.toFixed(2) : `failed: ${s.error}`,
    ]),
  ];
  const widths = rows[0]!.map((_, c) =>
    Math.max(...rows.slice(0, rows.length).map((r) => (c === 4 ? 0 : r[c]!.length))),
  );
  return rows.map((r) => r.map((cell, c) => (c === 4 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}
