/**
 * MovieLens folders as {@link Interactions}: the Node-only reader of `@plasticity/datasets/node`
 * behind this package's `./node` subpath, so that the main entry stays free of Node built-ins.
 */
import { loadMovieLens, type MovieLensFormat } from '@plasticity/datasets/node';
import { Interactions, type InteractionOptions } from '../interactions.js';

/** Options of {@link loadMovieLensInteractions}: the {@link InteractionOptions} and the folder's format. */
export interface MovieLensInteractionOptions extends InteractionOptions {
  /** The folder's format; detected from its files when left out. */
  format?: MovieLensFormat;
}

/**
 * Reads a MovieLens folder (ml-100k, ml-1m/10m, or ml-latest / ml-latest-small / 20m / 25m /
 * 32m, detected from its files) into {@link Interactions}. The rating scale defaults to
 * `[0.5, 5]` for the "latest" format and `[1, 5]` for the others; timestamps are kept (for
 * temporal splits). Node only: import it from `@plasticity/recommenders/node`.
 *
 * @example
 * ```ts
 * import { loadMovieLensInteractions } from '@plasticity/recommenders/node';
 *
 * const data = await loadMovieLensInteractions('/data/ml-latest-small');
 * data.size; // 100836
 * ```
 */
export async function loadMovieLensInteractions(
  dir: string,
  options: MovieLensInteractionOptions = {},
): Promise<Interactions> {
  const { format, ...rest } = options;
  const movielens = await loadMovieLens(dir, format === undefined ? {} : { format });
  const { ratings } = movielens;
  return Interactions.fromArrays(
    { users: ratings.userId, items: ratings.itemId, values: ratings.rating, timestamps: ratings.timestamp },
    { ratingScale: movielens.format === 'latest' ? [0.5, 5] : [1, 5], ...rest },
  );
}
