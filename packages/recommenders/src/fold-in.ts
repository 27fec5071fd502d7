/**
 * Fold-in: serve a user who was not in the training data from a handful of their ratings, without
 * retraining. The model solves only the new user's parameters (bias, factors, or neighbourhood)
 * with every item parameter fixed, and returns a {@link FoldedUser} that predicts and recommends.
 *
 * @example
 * ```ts
 * const svd = await new SVD({ seed: 1 }).fit(train);
 * const newcomer = svd.foldIn([{ item: 'matrix', rating: 5 }, { item: 'titanic', rating: 2 }]);
 * newcomer.predict('alien').estimate;
 * newcomer.recommend(10); // excludes the items passed to foldIn
 * ```
 */
import { ValueError, describeValue } from '@plasticity/core';
import type { Id, Interactions } from './interactions.js';
import type { Prediction, Recommendation, RecommendOptions } from './recommender.js';
import { topK } from './topk.js';

/** One rating of the user to fold in. */
export interface FoldInRating {
  /** The item id. */
  item: Id;
  /** The user's rating of it. */
  rating: number;
}

/** Options of `foldIn`. */
export interface FoldInOptions {
  /** The id reported in predictions (default `'folded-in user'`). */
  user?: Id;
}

/** Implemented by the models that can fold in a new user. */
export interface FoldIn {
  /** A new user's model from their ratings, without refitting: `recommend`, `predict` as for a trained user. */
  foldIn(ratings: readonly FoldInRating[], options?: FoldInOptions): FoldedUser;
}

/** The new user's ratings as sorted item indices; items unknown to the model are dropped. */
export interface FoldInInput {
  /** Indices of the rated items the model knows. */
  items: Int32Array;
  /** The rating of each of `items`. */
  ratings: Float64Array;
  /** How many ratings named items the model has never seen (they carry no information). */
  unknownItems: number;
}

/** Checks and indexes the ratings of a user to fold in (a later rating of the same item wins). */
export function prepareFoldIn(data: Interactions, ratings: readonly FoldInRating[], owner: string): FoldInInput {
  if (!Array.isArray(ratings)) {
    throw new ValueError(`${owner}.foldIn expects an array of { item, rating }, got ${describeValue(ratings)}.`, {
      field: 'ratings',
      value: ratings,
    });
  }
  const scale = data.ratingScale;
  const byItem = new Map<number, number>();
  let unknownItems = 0;
  ratings.forEach(({ item, rating }, k) => {
    if (typeof rating !== 'number' || !Number.isFinite(rating)) {
      throw new ValueError(
        `foldIn rating ${k} (item ${describeValue(item)}) is ${describeValue(rating)}; pass a finite number.`,
        {
          field: 'rating',
          value: rating,
        },
      );
    }
    if (scale !== undefined && (rating < scale[0] || rating > scale[1])) {
      throw new ValueError(
        `foldIn rating ${k} (item ${describeValue(item)}) is ${rating}, outside the rating scale [${scale[0]}, ${scale[1]}].`,
        { field: 'rating', value: rating },
      );
    }
    const i = data.itemIndex(item);
    if (i === undefined) unknownItems++;
    else byItem.set(i, rating);
  });
  const items = Int32Array.from(byItem.keys()).sort();
  const values = Float64Array.from(items, (i) => byItem.get(i)!);
  return { items, ratings: values, unknownItems };
}

/** A user folded into a trained model: predictions and recommendations from their ratings alone. */
export class FoldedUser {
  /** @internal built by a model's `foldIn`. */
  constructor(
    private readonly data: Interactions,
    /** The id reported in this user's predictions. */
    readonly user: Id,
    /** The user's known items (indices, sorted) and ratings. */
    readonly input: FoldInInput,
    /** The score for item index `i`, or NaN when the model cannot tell. */
    private readonly score: (i: number) => number,
    /** The score used when `score` is NaN or the item is unknown. */
    private readonly fallbackScore: number,
  ) {}

  private clip(score: number): number {
    const scale = this.data.ratingScale;
    return scale === undefined ? score : Math.min(scale[1], Math.max(scale[0], score));
  }

  /** The predicted rating of `item`; unknown items and impossible pairs fall back like `Recommender.predict`. */
  predict(item: Id): Prediction {
    const i = this.data.itemIndex(item);
    const user = this.user;
    if (i === undefined) {
      return { user, item, estimate: this.clip(this.fallbackScore), wasImpossible: true, reason: 'item is unknown' };
    }
    const s = this.score(i);
    if (Number.isNaN(s)) {
      return {
        user,
        item,
        estimate: this.clip(this.fallbackScore),
        wasImpossible: true,
        reason: 'not enough data for this pair',
      };
    }
    return { user, item, estimate: this.clip(s), wasImpossible: false };
  }

  /** Scores of every training item, in item-index order. */
  scoreAll(): Float32Array {
    const out = new Float32Array(this.data.numItems);
    for (let i = 0; i < out.length; i++) {
      const s = this.score(i);
      out[i] = Number.isNaN(s) ? this.fallbackScore : s;
    }
    return out;
  }

  /** The `k` best items, excluding the folded-in ratings by default (`exclude: 'seen'`). */
  recommend(k: number, options: RecommendOptions = {}): Recommendation[] {
    if (!Number.isInteger(k) || k < 1) {
      throw new ValueError(`k must be a positive integer, got ${describeValue(k)}.`, { field: 'k', value: k });
    }
    const banned = new Uint8Array(this.data.numItems);
    const exclude = options.exclude ?? 'seen';
    if (exclude === 'seen') for (const i of this.input.items) banned[i] = 1;
    else if (exclude !== 'none') {
      for (const id of exclude) {
        const i = this.data.itemIndex(id);
        if (i !== undefined) banned[i] = 1;
      }
    }
    if (options.filter !== undefined) {
      for (let i = 0; i < banned.length; i++) if (!banned[i] && !options.filter(this.data.itemIds.id(i))) banned[i] = 1;
    }
    return topK(this.scoreAll(), k, banned).map(([i, score]) => ({ item: this.data.itemIds.id(i), score }));
  }
}
