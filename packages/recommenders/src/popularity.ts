/**
 * Popularity: every user gets the items with the most interactions (or the largest summed
 * weight). The baseline every personalised model has to beat.
 */
import { registerRecommender, type ConfigDict } from '@plasticity/core';
import type { Interactions } from './interactions.js';
import { Recommender, type RecommenderState } from './recommender.js';

export interface PopularityConfig {
  /** `'count'` (default): number of interactions; `'sum'`: summed values (e.g. play counts). */
  by?: 'count' | 'sum';
}

export class Popularity extends Recommender {
  static override className = 'Popularity';
  readonly by: 'count' | 'sum';
  private scores: Float32Array = new Float32Array(0);

  constructor(config: PopularityConfig = {}) {
    super();
    this.by = config.by ?? 'count';
  }

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

registerRecommender(Popularity);
