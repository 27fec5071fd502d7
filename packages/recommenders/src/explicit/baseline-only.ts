/**
 * BaselineOnly (Surprise): `r̂ = mu + bu + bi`, biases by ALS (default) or SGD.
 */
import { type ConfigDict } from '@plasticity/core';
import { FoldedUser, prepareFoldIn, type FoldIn, type FoldInOptions, type FoldInRating } from '../fold-in.js';
import type { Interactions } from '../interactions.js';
import { Recommender, type RecommenderState } from '../recommender.js';
import {
  baselineConfig,
  computeBaselines,
  foldInUserBias,
  resolveBaselineOptions,
  BASELINE_SCHEMA,
  type BaselineOptions,
  type BaselineOptionsInput,
  type ResolvedBaselineOptions,
} from './common.js';
import { resolveOptions, type OptionAliases, type OptionSchema, type WithAliases } from '../internal/options.js';
import { stateF32 } from './common.js';

/**
 * BaselineOnly's options by their canonical names (what `getConfig()` returns); Surprise's
 * `bsl_options` and the `bsl` of earlier releases are accepted as aliases of `baseline`.
 */
export interface BaselineOnlyConfig {
  /** How the biases are estimated (Surprise: `bsl_options`). Default ALS, 10 epochs. */
  baseline?: BaselineOptionsInput;
}

const BASELINE_ONLY_ALIASES = { bsl_options: 'baseline', bsl: 'baseline' } as const;
const BASELINE_ONLY_SCHEMA: OptionSchema = {
  names: ['baseline'],
  aliases: BASELINE_ONLY_ALIASES,
  nested: { baseline: BASELINE_SCHEMA },
};

/**
 * BaselineOnly (Surprise's `BaselineOnly`): `r̂ = mu + bu + bi`, the global mean plus a user and an
 * item bias, estimated by regularised alternating least squares (default) or SGD.
 *
 * Args (canonical name, then its aliases):
 * - `baseline` (`bsl_options`, `bsl`): `{ method: 'als' | 'sgd' (default 'als'), epochs (n_epochs):
 *   10 (ALS) or 20 (SGD), regularizationUser (reg_u): 15, regularizationItem (reg_i): 10 (ALS: added
 *   to each user's or item's rating count), regularization (reg): 0.02 and learningRate
 *   (learning_rate): 0.005 (SGD) }`.
 *
 * @example
 * ```ts
 * const model = await new BaselineOnly({ baseline: { method: 'sgd', epochs: 20 } }).fit(data);
 * model.predict('ann', 'alien').estimate;
 * new BaselineOnly({ bsl_options: { method: 'als', reg_u: 12 } }); // Surprise's names
 * ```
 */
export class BaselineOnly extends Recommender implements FoldIn {
  static override className = 'BaselineOnly';
  /** The accepted aliases of BaselineOnly's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof BASELINE_ONLY_ALIASES> = BASELINE_ONLY_ALIASES;
  /** The resolved baseline options. */
  readonly baseline: ResolvedBaselineOptions;
  private bu: Float32Array = new Float32Array(0);
  private bi: Float32Array = new Float32Array(0);
  private mu = 0;

  constructor(given: WithAliases<BaselineOnlyConfig, typeof BaselineOnly.aliases> = {}) {
    super();
    const config = resolveOptions<{ baseline?: BaselineOptions }>('BaselineOnly', given, BASELINE_ONLY_SCHEMA);
    this.baseline = resolveBaselineOptions('BaselineOnly', config.baseline, given, BASELINE_ONLY_SCHEMA);
  }

  /** Every option by its canonical name. */
  getConfig(): ConfigDict {
    return { baseline: baselineConfig(this.baseline) };
  }

  protected fitModel(data: Interactions): void {
    this.emit({ type: 'begin', label: 'fit', epochs: this.baseline.epochs });
    const { bu, bi, mu } = computeBaselines(data, this.baseline);
    this.bu = Float32Array.from(bu);
    this.bi = Float32Array.from(bi);
    this.mu = mu;
    this.emit({ type: 'end' });
  }

  protected estimate(u: number, i: number): number {
    return this.mu + this.bu[u]! + this.bi[i]!;
  }

  protected override fallback(u: number | undefined, i: number | undefined): number {
    return this.mu + (u === undefined ? 0 : this.bu[u]!) + (i === undefined ? 0 : this.bi[i]!);
  }

  protected override scoreItems(u: number, out: Float32Array): void {
    const base = this.mu + this.bu[u]!;
    for (let i = 0; i < out.length; i++) out[i] = base + this.bi[i]!;
  }

  /**
   * Folds in a new user: `bu = Σ (r - mu - bi) / (lambda + n)` with the item biases fixed, where
   * lambda is `regularizationUser` (ALS) or `regularization · n` (SGD's per-rating penalty).
   */
  foldIn(ratings: readonly FoldInRating[], options: FoldInOptions = {}): FoldedUser {
    const data = this.data();
    const input = prepareFoldIn(data, ratings, 'BaselineOnly');
    const n = input.items.length;
    const lambda = this.baseline.method === 'als' ? this.baseline.regularizationUser : this.baseline.regularization * n;
    const bu = n === 0 ? 0 : foldInUserBias(input.items, input.ratings, this.mu, this.bi, lambda);
    return new FoldedUser(
      data,
      options.user ?? 'folded-in user',
      input,
      (i) => this.mu + bu + this.bi[i]!,
      this.mu + bu,
    );
  }

  protected getState(): RecommenderState {
    return { json: { mu: this.mu }, arrays: { bu: this.bu, bi: this.bi } };
  }

  protected setState(state: RecommenderState): void {
    this.mu = state.json.mu as number;
    this.bu = stateF32(state, 'bu');
    this.bi = stateF32(state, 'bi');
  }
}
