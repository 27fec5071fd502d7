/**
 * BaselineOnly (Surprise): `r̂ = mu + bu + bi`, biases by ALS (default) or SGD.
 *
 * @example
 * ```ts
 * const model = await new BaselineOnly({ bsl: { method: 'sgd' } }).fit(data);
 * model.predict('ann', 'alien').estimate;
 * ```
 */
import { registerRecommender, type ConfigDict } from '@plasticity/core';
import { FoldedUser, prepareFoldIn, type FoldIn, type FoldInOptions, type FoldInRating } from '../fold-in.js';
import type { Interactions } from '../interactions.js';
import { Recommender, type RecommenderState } from '../recommender.js';
import {
  baselineConfig,
  computeBaselines,
  foldInUserBias,
  resolveBaselineOptions,
  type BaselineOptions,
  type ResolvedBaselineOptions,
} from './common.js';
import { stateF32 } from './common.js';

export interface BaselineOnlyConfig {
  /** How the biases are estimated (Surprise's `bsl_options`). */
  bsl?: BaselineOptions;
}

export class BaselineOnly extends Recommender implements FoldIn {
  static override className = 'BaselineOnly';
  readonly bsl: ResolvedBaselineOptions;
  private bu: Float32Array = new Float32Array(0);
  private bi: Float32Array = new Float32Array(0);
  private mu = 0;

  constructor(config: BaselineOnlyConfig = {}) {
    super();
    this.bsl = resolveBaselineOptions('BaselineOnly', config.bsl);
  }

  getConfig(): ConfigDict {
    return { bsl: baselineConfig(this.bsl) };
  }

  protected fitModel(data: Interactions): void {
    this.emit({ type: 'begin', label: 'fit', epochs: this.bsl.nEpochs });
    const { bu, bi, mu } = computeBaselines(data, this.bsl);
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
   * lambda is `regU` (ALS) or `reg · n` (SGD's per-rating penalty).
   */
  foldIn(ratings: readonly FoldInRating[], options: FoldInOptions = {}): FoldedUser {
    const data = this.data();
    const input = prepareFoldIn(data, ratings, 'BaselineOnly');
    const n = input.items.length;
    const lambda = this.bsl.method === 'als' ? this.bsl.regU : this.bsl.reg * n;
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

registerRecommender(BaselineOnly);
