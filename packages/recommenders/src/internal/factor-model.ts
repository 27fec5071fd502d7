/**
 * The shared half of every latent-factor model (ALS, BPR, the two-tower and feature models): a
 * score is `userFactors[u] · itemFactors[i]` (+ an item bias), all-items scoring is one matrix
 * product per block of users, similar items are cosine neighbours in factor space, and unknown
 * users fall back to popularity.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue, type ConfigDict } from '@plasticity/core';
import type { Interactions } from '../interactions.js';
import { Recommender, type RecommenderState } from '../recommender.js';
import { cosineToAll, dot, scoreRows, scoreRowsTensor } from './dense.js';

/**
 * Where all-items scoring runs: JS loops over typed arrays, one tensor matMul per block of users,
 * or `'auto'`: tensors for blocks of 16+ users when the active backend is not tfjs's plain `cpu`
 * (on wasm the matMul is ~5× faster than the loops for MovieLens-sized catalogues), else arrays.
 */
export type ScoringEngine = 'auto' | 'arrays' | 'tensors';

/** Blocks smaller than this score with typed arrays under `'auto'` (uploading the item matrix dominates). */
const AUTO_TENSOR_BLOCK = 16;

export function checkScoring(value: unknown): ScoringEngine {
  if (value === undefined) return 'auto';
  if (value === 'auto' || value === 'arrays' || value === 'tensors') return value;
  throw new ValueError(`scoring must be 'auto', 'arrays' or 'tensors', got ${describeValue(value)}.`, {
    field: 'scoring',
    value,
  });
}

/** Item interaction counts: the cold-start ranking. */
export function popularityOf(data: Interactions): Float32Array {
  const counts = new Float32Array(data.numItems);
  for (let k = 0; k < data.size; k++) counts[data.items[k]!]!++;
  return counts;
}

export abstract class FactorRecommender extends Recommender {
  /** `[numUsers, factors]` row-major. */
  protected userFactors: Float32Array = new Float32Array(0);
  /** `[numItems, factors]` row-major. */
  protected itemFactors: Float32Array = new Float32Array(0);
  /** Per-item bias added to every score, when the model learns one. */
  protected itemBias: Float32Array | undefined;
  /**
   * Per-item interaction counts, `[numItems]`, computed on first use: the score of a user or item
   * the model has no factors for. Cleared on `setState`.
   */
  protected popularity: Float32Array | undefined;
  /** Where all-items scoring runs (the `scoring` option). */
  scoring: ScoringEngine;

  constructor(
    /** Latent dimension of the user and item vectors (the `factors` option). */
    readonly factors: number,
    scoring: ScoringEngine | undefined,
  ) {
    super();
    if (!Number.isInteger(factors) || factors < 1) {
      throw new ValueError(`factors must be a positive integer, got ${describeValue(factors)}.`, {
        field: 'factors',
        value: factors,
      });
    }
    this.scoring = checkScoring(scoring);
  }

  /** The options every factor model shares (`factors`, `scoring`), for a subclass's `getConfig`. */
  protected baseConfig(): ConfigDict {
    return { factors: this.factors, scoring: this.scoring };
  }

  /** A copy of the learnt user factors, `[numUsers, factors]` row-major. */
  getUserFactors(): Float32Array {
    this.data();
    return this.userFactors.slice();
  }

  /** A copy of the learnt item factors, `[numItems, factors]` row-major. */
  getItemFactors(): Float32Array {
    this.data();
    return this.itemFactors.slice();
  }

  protected estimate(u: number, i: number): number {
    const f = this.factors;
    return dot(this.userFactors, u * f, this.itemFactors, i * f, f) + (this.itemBias?.[i] ?? 0);
  }

  protected override fallback(_u: number | undefined, i: number | undefined): number {
    this.popularity ??= popularityOf(this.data());
    return i === undefined ? 0 : this.popularity[i]!;
  }

  protected override scoreItems(u: number, out: Float32Array): void {
    this.scoreUserBlock(Int32Array.of(u), out);
  }

  protected override scoreUserBlock(users: Int32Array, out: Float32Array): void {
    const n = this.data().numItems;
    const backend = tf.getBackend() as string | null | undefined;
    const useTensors =
      this.scoring === 'tensors' ||
      (this.scoring === 'auto' && users.length >= AUTO_TENSOR_BLOCK && backend != null && backend !== 'cpu');
    if (useTensors) {
      const itemsT = tf.tidy(() => tf.transpose(tf.tensor2d(this.itemFactors, [n, this.factors])));
      try {
        scoreRowsTensor(this.userFactors, users, itemsT, this.factors, out);
      } finally {
        itemsT.dispose();
      }
    } else {
      scoreRows(this.userFactors, users, this.itemFactors, this.factors, n, out);
    }
    const bias = this.itemBias;
    if (bias !== undefined) {
      for (let b = 0; b < users.length; b++) for (let i = 0; i < n; i++) out[b * n + i]! += bias[i]!;
    }
  }

  protected override itemSimilarities(i: number, out: Float32Array): void {
    cosineToAll(this.itemFactors, i, this.factors, out);
  }

  /** The factor matrices (`userFactors`, `itemFactors`) and, when learnt, `itemBias`. */
  protected getState(): RecommenderState {
    const arrays: RecommenderState['arrays'] = { userFactors: this.userFactors, itemFactors: this.itemFactors };
    if (this.itemBias !== undefined) arrays['itemBias'] = this.itemBias;
    return { json: {}, arrays };
  }

  /** Restores the arrays `getState` wrote and clears the popularity cache. */
  protected setState(state: RecommenderState): void {
    this.userFactors = state.arrays['userFactors'] as Float32Array;
    this.itemFactors = state.arrays['itemFactors'] as Float32Array;
    this.itemBias = state.arrays['itemBias'] as Float32Array | undefined;
    this.popularity = undefined;
  }
}

/** Checks that implicit weights are finite and non-negative. */
export function checkImplicitValues(data: Interactions, model: string): void {
  for (let k = 0; k < data.size; k++) {
    const v = data.values[k]!;
    if (!(v >= 0)) {
      throw new ValueError(
        `${model} needs non-negative implicit weights (counts, clicks, confidence); interaction ${k} (user ` +
          `${describeValue(data.userIds.id(data.users[k]!))}, item ${describeValue(data.itemIds.id(data.items[k]!))}) ` +
          `has ${v}. Drop negative feedback or shift the values.`,
        { field: 'values', value: v },
      );
    }
  }
}

export function checkPositive(name: string, value: unknown, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new ValueError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${describeValue(value)}.`, {
      field: name,
      value,
    });
  }
  return value;
}

export function checkNonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValueError(`${name} must be a non-negative number, got ${describeValue(value)}.`, {
      field: name,
      value,
    });
  }
  return value;
}
