/**
 * NormalPredictor (Surprise): a random rating drawn from `N(mu, sigma²)`, with `mu` and `sigma`
 * the maximum-likelihood mean and standard deviation of the training ratings. The baseline any
 * model must beat; draws come from a seeded generator (saved with the model).
 */
import { createRng, type ConfigDict, type Rng, type RngState } from '@plasticity/core';
import type { Interactions } from '../interactions.js';
import { Recommender, type RecommenderState } from '../recommender.js';
import { checkInt } from './common.js';
import { resolveOptions, type OptionAliases, type OptionSchema, type WithAliases } from '../internal/options.js';

/** NormalPredictor's options (what `getConfig()` returns); Surprise's `random_state` is an alias of `seed`. */
export interface NormalPredictorConfig {
  /** Seed of the draws. Default 0. */
  seed?: number;
}

const NORMAL_PREDICTOR_ALIASES = { random_state: 'seed' } as const;
const NORMAL_PREDICTOR_SCHEMA: OptionSchema = { names: ['seed'], aliases: NORMAL_PREDICTOR_ALIASES };

/**
 * NormalPredictor (Surprise's `NormalPredictor`): a random rating drawn from `N(mu, sigma²)`, with
 * `mu` and `sigma` the maximum-likelihood mean and standard deviation of the training ratings. The
 * baseline any model must beat.
 *
 * Args (canonical name, then its aliases):
 * - `seed` (`random_state`): the seeded generator of the draws (saved with the model). Default 0.
 *
 * @example
 * ```ts
 * const model = await new NormalPredictor({ seed: 1 }).fit(ratings);
 * model.predict('ann', 'alien').estimate; // a draw from N(mu, sigma²), clipped to the scale
 * ```
 */
export class NormalPredictor extends Recommender {
  static override className = 'NormalPredictor';
  /** The accepted aliases of NormalPredictor's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof NORMAL_PREDICTOR_ALIASES> = NORMAL_PREDICTOR_ALIASES;
  /** The resolved `seed` option. */
  readonly seed: number;
  private rng: Rng;
  /** The training mean and (population) standard deviation. */
  mu = 0;
  /** The training ratings' (population) standard deviation, set by `fit`. */
  sigma = 0;

  constructor(given: WithAliases<NormalPredictorConfig, typeof NormalPredictor.aliases> = {}) {
    const config = resolveOptions<NormalPredictorConfig>('NormalPredictor', given, NORMAL_PREDICTOR_SCHEMA);
    super();
    this.seed = checkInt('NormalPredictor', 'seed', config.seed ?? 0, 0);
    this.rng = createRng(this.seed);
  }

  /** Every option by its canonical name (what the constructor and `Recommender.load` take back). */
  getConfig(): ConfigDict {
    return { seed: this.seed };
  }

  protected fitModel(data: Interactions): void {
    const mu = data.globalMean;
    let ss = 0;
    for (const r of data.values) ss += (r - mu) * (r - mu);
    this.mu = mu;
    this.sigma = Math.sqrt(ss / data.size);
    this.rng = createRng(this.seed);
  }

  protected estimate(): number {
    return this.rng.normal(this.mu, this.sigma);
  }

  protected getState(): RecommenderState {
    return { json: { mu: this.mu, sigma: this.sigma, rng: { ...this.rng.getState() } }, arrays: {} };
  }

  protected setState(state: RecommenderState): void {
    this.mu = state.json.mu as number;
    this.sigma = state.json.sigma as number;
    this.rng.setState(state.json.rng as unknown as RngState);
  }
}
