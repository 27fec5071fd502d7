import * as tf from '@tensorflow/tfjs-core';
import type { ConfigDict } from '@plasticity/core';
import { Optimizer, type OptimizerConfig, type UpdateContext } from './optimizer.js';
import { positive, unitInterval } from './validate.js';

/** Options of {@link Adadelta}, plus those of every optimizer ({@link OptimizerConfig}). */
export interface AdadeltaConfig extends OptimizerConfig {
  /** Decay of the running average of squared gradients. Default 0.9. */
  rho?: number;
  /** Added to the denominator for numerical stability. Default 1e-6. */
  epsilon?: number;
}

/**
 * Adadelta (Zeiler 2012) as PyTorch's `torch.optim.Adadelta`: `s = ρs + (1−ρ)g²`,
 * `Δ = √(u + ε)/√(s + ε) · g`, `u = ρu + (1−ρ)Δ²`, `w −= lr·Δ`. Default lr 1. Coupled weight decay.
 */
export class Adadelta extends Optimizer {
  static override readonly className = 'Adadelta';
  /** Decay of the running average of squared gradients. */
  readonly rho: number;
  /** Added to the denominator for numerical stability. */
  readonly epsilon: number;

  constructor(config: AdadeltaConfig = {}) {
    super(config, 1.0);
    this.rho = unitInterval('Adadelta', 'rho', config.rho ?? 0.9);
    this.epsilon = positive('Adadelta', 'epsilon', config.epsilon ?? 1e-6);
  }

  protected updateRule({ variable, grad, learningRate, weightDecay, slot }: UpdateContext): void {
    const g = weightDecay > 0 ? tf.add(grad, tf.mul(variable, weightDecay)) : grad;
    const sq = slot('squareAverage');
    const acc = slot('accumulatedDelta');
    const sqNext = tf.add(tf.mul(sq, this.rho), tf.mul(tf.square(g), 1 - this.rho));
    const delta = tf.mul(tf.div(tf.sqrt(tf.add(acc, this.epsilon)), tf.sqrt(tf.add(sqNext, this.epsilon))), g);
    sq.assign(sqNext);
    acc.assign(tf.add(tf.mul(acc, this.rho), tf.mul(tf.square(delta), 1 - this.rho)));
    variable.assign(tf.sub(variable, tf.mul(delta, learningRate)));
  }

  protected ownConfig(): ConfigDict {
    return { rho: this.rho, epsilon: this.epsilon };
  }
}
