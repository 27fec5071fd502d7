/**
 * Popularity: every user gets the items with the most interactions (or the largest summed
 * weight). The baseline every personalised model has to beat.
 */
import { type ConfigDict } from '@plasticity/core';
import type { Interactions } from './interactions.js';
import { Recommender, type RecommenderState } from './recommender.js';
import { resolveOptions, type OptionAliases, type OptionSchema, type WithAliases } from './internal/options.js';

/** Popularity's options (what `getConfig()` returns). */
export interface PopularityConfig {
  /** `'count'` (default): number of interactions; `'sum'`: summed values (e.g. play counts). */
  by?: 'count' | 'sum';
}

const POPULARITY_ALIASES = {} as const;
const POPULARITY_SCHEMA: OptionSchema = { names: ['by'], aliases: POPULARITY_ALIASES };

/**
 * Popularity: every user gets the items with the most interactions (`by: 'count'`) or the largest
 * summed weight (`by: 'sum'`). The baseline every personalised model has to beat, and the
 * cold-start fallback of the implicit models.
 *
 * Args:
 * - `by`: `'count'` (default) or `'sum'` (e.g. play counts).
 *
 * @example
 * ```ts
 * const model = await new Popularity({ by: 'sum' }).fit(data);
 * model.recommend('ann', 10);
 * ```
 */
export class Popularity extends Recommender {
  static override className = 'Popularity';
  /** The accepted aliases of Popularity's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof POPULARITY_ALIASES> = POPULARITY_ALIASES;
  /** The resolved `by` option (see {@link PopularityConfig.by}). */
  readonly by: 'count' | 'sum';
  private scores: Float32Array = new Float32Array(0);

  constructor(given: WithAliases<PopularityConfig, typeof Popularity.aliases> = {}) {
    const config = resolveOptions<PopularityConfig>('Popularity', given, POPULARITY_SCHEMA);
    super();
    this.by = config.by ?? 'count';
  }

  /** Every option by its canonical name (what the constructor and `Recommender.load` take back). */
  getConfig(): ConfigDict {
    return { by: this.by };
  }

  protected fitModel(data: Interactions): void {
    const scores = new Float32Array(data.numItems);
    for (let k = 0; k < data.size; k++) scores[data.items[k]!]! += this.by === 'count' ? 1 : data.values[k]!;
    this.scores = scores;
  }

  protected estimate(_u: number, i: number): number {
    return this.scores[i]!;
  }

  protected override fallback(_u: number | undefined, i: number | undefined): number {
    return i === undefined ? 0 : this.scores[i]!;
  }

  protected override scoreItems(_u: number, out: Float32Array): void {
    out.set(this.scores);
  }

  protected getState(): RecommenderState {
    return { json: {}, arrays: { scores: this.scores } };
  }

  protected setState(state: RecommenderState): void {
    this.scores = state.arrays.scores as Float32Array;
  }
}
