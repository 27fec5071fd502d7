import * as tf from '@tensorflow/tfjs-core';
import type { ConfigDict } from '@plasticity/core';
import { Optimizer, type OptimizerConfig, type UpdateContext } from './optimizer.js';
import { unitInterval } from './validate.js';

/** Options of {@link Lion}, plus those of every optimizer ({@link OptimizerConfig}). */
export interface LionConfig extends OptimizerConfig {
  /** Decay of the first-moment (mean) estimate, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second-moment estimate, in [0, 1). Default 0.99. */
  beta2?: number;
}

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2):
 * `u = sign(β₁m + (1−β₁)g)`, `w −= lr·(u + wd·w)`, `m = β₂m + (1−β₂)g`. Decoupled weight decay.
 * Use a learning rate 3–10× smaller than AdamW's (default 1e-4).
 */
export class Lion extends Optimizer {
  static override readonly className = 'Lion';
  /** Decay of the first-moment estimate. */
  readonly beta1: number;
  /** Decay of the second-moment estimate. */
  readonly beta2: number;

  constructor(config: LionConfig = {}) {
    super(config, 1e-4);
    this.beta1 = unitInterval('Lion', 'beta1', config.beta1 ?? 0.9);
    this.beta2 = unitInterval('Lion', 'beta2', config.beta2 ?? 0.99);
  }

  protected updateRule({ variable, grad, learningRate, weightDecay, slot }: UpdateContext): void {
    const m = slot('m');
    const update = tf.sign(tf.add(tf.mul(m, this.beta1), tf.mul(grad, 1 - this.beta1)));
    const step = weightDecay > 0 ? tf.add(update, tf.mul(variable, weightDecay)) : update;
    variable.assign(tf.sub(variable, tf.mul(step, learningRate)));
    m.assign(tf.add(tf.mul(m, this.beta2), tf.mul(grad, 1 - this.beta2)));
  }

  protected ownConfig(): ConfigDict {
    return { beta1: this.beta1, beta2: this.beta2 };
  }
}
