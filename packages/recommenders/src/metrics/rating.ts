/**
 * Rating-prediction metrics, as Surprise's `accuracy` module defines them: RMSE, MAE and FCP
 * (fraction of concordant pairs, Koren & Sill 2011).
 *
 * @example
 * ```ts
 * rmse([{ estimate: 3, actual: 4 }, { estimate: 5, actual: 5 }]); // √(1/2)
 * ```
 */
import { ValueError } from '@plasticity/core';
import type { Id } from '../interactions.js';
import type { RatingMetric } from './types.js';

type Scored = { estimate: number; actual: number };

function checkNotEmpty(predictions: readonly unknown[], name: string): void {
  if (predictions.length === 0) {
    throw new ValueError(`${name} needs at least one prediction; the list is empty.`, {
      field: 'predictions',
      value: 0,
    });
  }
}

/** Root mean squared error `√(mean((r̂ - r)²))`. */
export function rmse(predictions: readonly Scored[]): number {
  checkNotEmpty(predictions, 'rmse');
  let s = 0;
  for (const p of predictions) s += (p.estimate - p.actual) ** 2;
  return Math.sqrt(s / predictions.length);
}

/** Mean absolute error `mean(|r̂ - r|)`. */
export function mae(predictions: readonly Scored[]): number {
  checkNotEmpty(predictions, 'mae');
  let s = 0;
  for (const p of predictions) s += Math.abs(p.estimate - p.actual);
  return s / predictions.length;
}

/**
 * Fraction of concordant pairs, per Surprise: for each user, `nc` counts ordered pairs of their
 * test items with `r̂_i > r̂_j` and `r_i > r_j`, `nd` those with `r̂_i ≥ r̂_j` and `r_i < r_j`;
 * FCP = mean(nc) / (mean(nc) + mean(nd)), the means over users.
 */
export function fcp(predictions: readonly (Scored & { user: Id })[]): number {
  checkNotEmpty(predictions, 'fcp');
  const byUser = new Map<Id, Scored[]>();
  for (const p of predictions) {
    let list = byUser.get(p.user);
    if (list === undefined) byUser.set(p.user, (list = []));
    list.push(p);
  }
  let nc = 0;
  let nd = 0;
  for (const list of byUser.values()) {
    for (const a of list) {
      for (const b of list) {
        if (a.estimate > b.estimate && a.actual > b.actual) nc++;
        if (a.estimate >= b.estimate && a.actual < b.actual) nd++;
      }
    }
  }
  nc /= byUser.size;
  nd /= byUser.size;
  if (nc + nd === 0) {
    throw new ValueError('fcp is undefined: no user has two test ratings that differ. Use more test data per user.', {
      field: 'predictions',
      value: predictions.length,
    });
  }
  return nc / (nc + nd);
}

/** Root mean squared error of the predictions (lower is better), as Surprise's `accuracy.rmse`. */
export const RMSE: RatingMetric = { name: 'rmse', kind: 'rating', higherIsBetter: false, compute: rmse };
/** Mean absolute error of the predictions (lower is better), as Surprise's `accuracy.mae`. */
export const MAE: RatingMetric = { name: 'mae', kind: 'rating', higherIsBetter: false, compute: mae };
/** Fraction of concordant pairs per user (higher is better), as Surprise's `accuracy.fcp`. */
export const FCP: RatingMetric = { name: 'fcp', kind: 'rating', higherIsBetter: true, compute: fcp };
