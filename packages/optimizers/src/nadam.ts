import * as tf from '@tensorflow/tfjs-core';
import type { ConfigDict } from '@plasticity/core';
import { Optimizer, type OptimizerConfig, type UpdateContext } from './optimizer.js';
import { nonNegative, positive, unitInterval } from './validate.js';

/** Options of {@link Nadam}, plus those of every optimizer ({@link OptimizerConfig}). */
export interface NadamConfig extends OptimizerConfig {
  /** Decay of the first-moment (mean) estimate, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second-moment estimate, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to the denominator for numerical stability. Default 1e-8. */
  epsilon?: number;
  /** ψ in the momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)) (default 0.004). */
  momentumDecay?: number;
}

/**
 * Nadam (Dozat 2016) as PyTorch's `torch.optim.NAdam`, with its momentum schedule
 * `μₜ = β₁(1 − ½·0.96^(tψ))`: `w −= lr(1−μₜ)/(1−Πμ) · g/d + lr·μₜ₊₁/(1−Πμ·μₜ₊₁) · m/d`,
 * `d = √(v/(1−β₂ᵗ)) + ε`. Coupled weight decay.
 */
export class Nadam extends Optimizer {
  static override readonly className = 'Nadam';
  /** Decay of the first-moment estimate. */
  readonly beta1: number;
  /** Decay of the second-moment estimate. */
  readonly beta2: number;
  /** Added to the denominator for numerical stability. */
  readonly epsilon: number;
  /** Momentum decay ψ. */
  readonly momentumDecay: number;

  constructor(config: NadamConfig = {}) {
    super(config, 0.002);
    this.beta1 = unitInterval('Nadam', 'beta1', config.beta1 ?? 0.9);
    this.beta2 = unitInterval('Nadam', 'beta2', config.beta2 ?? 0.999);
    this.epsilon = positive('Nadam', 'epsilon', config.epsilon ?? 1e-8);
    this.momentumDecay = nonNegative('Nadam', 'momentumDecay', config.momentumDecay ?? 4e-3);
  }

  private readonly muProducts: number[] = [1];

  private mu(t: number): number {
    return this.beta1 * (1 - 0.5 * 0.96 ** (t * this.momentumDecay));
  }

  /** Π_{k=1..t} μₖ: a function of the step alone, so it needs no per-variable state. */
  private muProduct(t: number): number {
    for (let k = this.muProducts.length; k <= t; k++) this.muProducts.push(this.muProducts[k - 1]! * this.mu(k));
    return this.muProducts[t]!;
  }

  protected updateRule({ variable, grad, learningRate, weightDecay, step, slot }: UpdateContext): void {
    const g = weightDecay > 0 ? tf.add(grad, tf.mul(variable, weightDecay)) : grad;
    const mu = this.mu(step);
    const muNext = this.mu(step + 1);
    const muProduct = this.muProduct(step);
    const m = slot('m');
    const v = slot('v');
    const mNext = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
    const vNext = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
    m.assign(mNext);
    v.assign(vNext);
    const denom = tf.add(tf.sqrt(tf.div(vNext, 1 - this.beta2 ** step)), this.epsilon);
    const fromGrad = tf.mul(tf.div(g, denom), (learningRate * (1 - mu)) / (1 - muProduct));
    const fromMomentum = tf.mul(tf.div(mNext, denom), (learningRate * muNext) / (1 - muProduct * muNext));
    variable.assign(tf.sub(tf.sub(variable, fromGrad), fromMomentum));
  }

  protected ownConfig(): ConfigDict {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, momentumDecay: this.momentumDecay };
  }
}
