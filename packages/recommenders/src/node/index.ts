/**
 * `@plasticity/recommenders/node`: the Node-only parts (reading MovieLens folders from disk).
 * Everything else is in the browser-safe main entry, `@plasticity/recommenders`.
 *
 * @example
 * ```ts
 * import { SVD } from '@plasticity/recommenders';
 * import { loadMovieLensInteractions } from '@plasticity/recommenders/node';
 *
 * const data = await loadMovieLensInteractions('/data/ml-latest-small');
 * const model = await new SVD({ seed: 1 }).fit(data);
 * ```
 *
 * @packageDocumentation
 */
export { loadMovieLensInteractions, type MovieLensInteractionOptions } from './movielens.js';
