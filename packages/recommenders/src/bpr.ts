/**
 * Bayesian Personalised Ranking (Rendle et al. 2009) by stochastic gradient ascent on
 * `ln σ(x̂ᵤᵢ − x̂ᵤⱼ) − λ‖Θ‖²` over triples (user, seen item i, sampled unseen item j), with an item
 * bias as in the `implicit` library. Each epoch draws as many triples as there are interactions;
 * sampling is seeded, so a fit is reproducible.
 *
 * @example
 * ```ts
 * const bpr = await new BPR({ factors: 32, epochs: 50, seed: 1 }).fit(data);
 * bpr.recommend('ann', 10);
 * ```
 */
import { createRng, type ConfigDict } from '@plasticity/core';
import type { Interactions } from './interactions.js';
import {
  FactorRecommender,
  checkImplicitValues,
  checkNonNegative,
  checkPositive,
  type ScoringEngine,
} from './internal/factor-model.js';
import { resolveOptions, type OptionAliases, type OptionSchema, type WithAliases } from './internal/options.js';

/**
 * BPR's hyperparameters by their canonical names (what `getConfig()` returns); the `implicit`
 * library's `learning_rate`, `iterations` (= `epochs`) and `random_state` are aliases.
 */
export interface BPRConfig {
  /** Latent dimensions. Default 32. */
  factors?: number;
  /** SGD step size. Default 0.05. */
  learningRate?: number;
  /** λ on the factors and biases touched by each step. Default 0.01. */
  regularization?: number;
  /** Passes; each draws one triple per interaction. Default 30. */
  epochs?: number;
  /** Seed of the initial factors and the sampling. Default 0. */
  seed?: number;
  /** All-items scoring engine, see {@link ScoringEngine}. Default `'auto'`. */
  scoring?: ScoringEngine;
}

const BPR_ALIASES = { learning_rate: 'learningRate', iterations: 'epochs', random_state: 'seed' } as const;
const BPR_SCHEMA: OptionSchema = {
  names: ['factors', 'learningRate', 'regularization', 'epochs', 'seed', 'scoring'],
  aliases: BPR_ALIASES,
};

/**
 * BPR: Bayesian Personalised Ranking (Rendle et al. 2009; the `implicit` library's
 * `BayesianPersonalizedRanking`). Score `x̂ᵤᵢ = xᵤ·yᵢ + bᵢ`, trained by stochastic gradient ascent
 * on `ln σ(x̂ᵤᵢ − x̂ᵤⱼ) − λ‖Θ‖²` over sampled triples (user, seen item i, unseen item j).
 *
 * Args (canonical name, then its aliases):
 * - `factors`: latent dimension. Default 32.
 * - `learningRate` (`learning_rate`): SGD step size. Default 0.05.
 * - `regularization`: λ on the factors and biases each step touches. Default 0.01.
 * - `epochs` (`iterations`, implicit's name): passes, each drawing one triple per interaction. Default 30.
 * - `seed` (`random_state`): initial factors and sampling. Default 0.
 * - `scoring`: all-items scoring engine, see {@link ScoringEngine}. Default `'auto'`.
 *
 * @example
 * ```ts
 * const bpr = await new BPR({ factors: 32, epochs: 50, seed: 1 }).fit(data);
 * bpr.recommend('ann', 10);
 * ```
 */
export class BPR extends FactorRecommender {
  static override className = 'BPR';
  /** The accepted aliases of BPR's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof BPR_ALIASES> = BPR_ALIASES;
  /** The resolved `learningRate` option (see {@link BPRConfig.learningRate}). */
  readonly learningRate: number;
  /** The resolved `regularization` option (see {@link BPRConfig.regularization}). */
  readonly regularization: number;
  /** The resolved `epochs` option (see {@link BPRConfig.epochs}). */
  readonly epochs: number;
  /** The resolved `seed` option (see {@link BPRConfig.seed}). */
  readonly seed: number;

  constructor(given: WithAliases<BPRConfig, typeof BPR.aliases> = {}) {
    const config = resolveOptions<BPRConfig>('BPR', given, BPR_SCHEMA);
    super(config.factors ?? 32, config.scoring);
    this.learningRate = checkPositive('learningRate', config.learningRate ?? 0.05);
    this.regularization = checkNonNegative('regularization', config.regularization ?? 0.01);
    this.epochs = checkPositive('epochs', config.epochs ?? 30, true);
    this.seed = config.seed ?? 0;
  }

  /** Every option by its canonical name (what the constructor and `Recommender.load` take back). */
  getConfig(): ConfigDict {
    return {
      ...this.baseConfig(),
      learningRate: this.learningRate,
      regularization: this.regularization,
      epochs: this.epochs,
      seed: this.seed,
    };
  }

  protected fitModel(data: Interactions): void {
    checkImplicitValues(data, 'BPR');
    const f = this.factors;
    const rng = createRng(this.seed);
    const init = (n: number): Float32Array => Float32Array.from({ length: n * f }, () => (rng.uniform() - 0.5) / f);
    const x = (this.userFactors = init(data.numUsers));
    const y = (this.itemFactors = init(data.numItems));
    const bias = (this.itemBias = new Float32Array(data.numItems));
    this.popularity = undefined;
    const csr = data.byUser();
    const nItems = data.numItems;
    this.emit({ type: 'begin', label: 'BPR', epochs: this.epochs });
    for (let epoch = 0; epoch < this.epochs; epoch++) {
      let correct = 0;
      let steps = 0;
      for (let s = 0; s < data.size; s++) {
        const e = rng.int(data.size);
        const u = data.users[e]!;
        const i = data.items[e]!;
        if (csr.rowLength(u) >= nItems) continue;
        let j = rng.int(nItems);
        for (let tries = 0; contains(csr.indices, csr.indptr[u]!, csr.indptr[u + 1]!, j) && tries < 100; tries++) {
          j = rng.int(nItems);
        }
        if (contains(csr.indices, csr.indptr[u]!, csr.indptr[u + 1]!, j)) continue;
        if (bprStep(x, y, bias, u, i, j, f, this.learningRate, this.regularization) > 0) correct++;
        steps++;
      }
      this.emit({
        type: 'epoch',
        epoch,
        epochs: this.epochs,
        metrics: { correctRanking: steps === 0 ? 0 : correct / steps },
      });
    }
    this.emit({ type: 'end' });
  }
}

/**
 * One ascent step on `ln σ(x̂ᵤᵢⱼ) − λ(‖xᵤ‖² + ‖yᵢ‖² + ‖yⱼ‖² + bᵢ² + bⱼ²)/2` for the triple; returns
 * `x̂ᵤᵢⱼ` before the step.
 */
export function bprStep(
  x: Float32Array,
  y: Float32Array,
  bias: Float32Array,
  u: number,
  i: number,
  j: number,
  f: number,
  lr: number,
  reg: number,
): number {
  const uo = u * f;
  const io = i * f;
  const jo = j * f;
  let diff = bias[i]! - bias[j]!;
  for (let k = 0; k < f; k++) diff += x[uo + k]! * (y[io + k]! - y[jo + k]!);
  // d/dx̂ ln σ(x̂) = 1 − σ(x̂) = σ(−x̂)
  const g = 1 / (1 + Math.exp(diff));
  for (let k = 0; k < f; k++) {
    const xu = x[uo + k]!;
    const yi = y[io + k]!;
    const yj = y[jo + k]!;
    x[uo + k] = xu + lr * (g * (yi - yj) - reg * xu);
    y[io + k] = yi + lr * (g * xu - reg * yi);
    y[jo + k] = yj + lr * (-g * xu - reg * yj);
  }
  bias[i] = bias[i]! + lr * (g - reg * bias[i]!);
  bias[j] = bias[j]! + lr * (-g - reg * bias[j]!);
  return diff;
}

function contains(sorted: Int32Array, lo: number, hi: number, value: number): boolean {
  hi--;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
