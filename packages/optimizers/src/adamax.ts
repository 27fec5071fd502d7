import * as tf from '@tensorflow/tfjs-core';
import type { ConfigDict } from '@plasticity/core';
import { Optimizer, type OptimizerConfig, type UpdateContext } from './optimizer.js';
import { positive, unitInterval } from './validate.js';

/** Options of {@link Adamax}, plus those of every optimizer ({@link OptimizerConfig}). */
export interface AdamaxConfig extends OptimizerConfig {
  /** Decay of the first-moment (mean) estimate, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second-moment estimate, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to the denominator for numerical stability. Default 1e-8. */
  epsilon?: number;
}

/**
 * Adamax (Kingma & Ba 2015, §7) as PyTorch's `torch.optim.Adamax`:
 * `m = β₁m + (1−β₁)g`, `u = max(β₂u, |g| + ε)`, `w −= lr/(1−β₁ᵗ) · m/u`. Coupled weight decay.
 */
export class Adamax extends Optimizer {
  static override readonly className = 'Adamax';
  /** Decay of the first-moment estimate. */
  readonly beta1: number;
  /** Decay of the second-moment estimate. */
  readonly beta2: number;
  /** Added to the denominator for numerical stability. */
  readonly epsilon: number;

  constructor(config: AdamaxConfig = {}) {
    super(config, 0.002);
    this.beta1 = unitInterval('Adamax', 'beta1', config.beta1 ?? 0.9);
    this.beta2 = unitInterval('Adamax', 'beta2', config.beta2 ?? 0.999);
    this.epsilon = positive('Adamax', 'epsilon', config.epsilon ?? 1e-8);
  }

  protected updateRule({ variable, grad, learningRate, weightDecay, step, slot }: UpdateContext): void {
    const g = weightDecay > 0 ? tf.add(grad, tf.mul(variable, weightDecay)) : grad;
    const m = slot('m');
    const u = slot('u');
    const mNext = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
    const uNext = tf.maximum(tf.mul(u, this.beta2), tf.add(tf.abs(g), this.epsilon));
    m.assign(mNext);
    u.assign(uNext);
    variable.assign(tf.sub(variable, tf.mul(tf.div(mNext, uNext), learningRate / (1 - this.beta1 ** step))));
  }

  protected ownConfig(): ConfigDict {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}
