import * as tf from '@tensorflow/tfjs-core';
import type { ConfigDict } from '@plasticity/core';
import { Optimizer, type OptimizerConfig, type UpdateContext } from './optimizer.js';
import { boolean, nonNegative, positive, unitInterval } from './validate.js';

/** Options of {@link RMSprop}, plus those of every optimizer ({@link OptimizerConfig}). */
export interface RMSpropConfig extends OptimizerConfig {
  /** Decay of the squared-gradient average (PyTorch's `alpha`; default 0.99). */
  rho?: number;
  /** Momentum factor. Default 0. */
  momentum?: number;
  /** Added to the denominator for numerical stability. Default 1e-8. */
  epsilon?: number;
  /** Normalize by the estimated variance instead of the second moment. */
  centered?: boolean;
}

/**
 * RMSprop (Hinton) as PyTorch's `torch.optim.RMSprop`: `s = ρs + (1−ρ)g²`; centered:
 * `a = ρa + (1−ρ)g`, `d = √(s − a²) + ε`, else `d = √s + ε`; with momentum
 * `b = μb + g/d`, `w −= lr·b`, else `w −= lr·g/d`. Coupled weight decay.
 */
export class RMSprop extends Optimizer {
  static override readonly className = 'RMSprop';
  /** Decay of the running average of squared gradients. */
  readonly rho: number;
  /** Momentum factor. */
  readonly momentum: number;
  /** Added to the denominator for numerical stability. */
  readonly epsilon: number;
  /** Whether the centered variance is used. */
  readonly centered: boolean;

  constructor(config: RMSpropConfig = {}) {
    super(config, 0.01);
    this.rho = unitInterval('RMSprop', 'rho', config.rho ?? 0.99);
    this.momentum = nonNegative('RMSprop', 'momentum', config.momentum ?? 0);
    this.epsilon = positive('RMSprop', 'epsilon', config.epsilon ?? 1e-8);
    this.centered = boolean('RMSprop', 'centered', config.centered ?? false);
  }

  protected updateRule({ variable, grad, learningRate, weightDecay, slot }: UpdateContext): void {
    const g = weightDecay > 0 ? tf.add(grad, tf.mul(variable, weightDecay)) : grad;
    const sq = slot('squareAverage');
    const sqNext = tf.add(tf.mul(sq, this.rho), tf.mul(tf.square(g), 1 - this.rho));
    sq.assign(sqNext);
    let avg: tf.Tensor;
    if (this.centered) {
      const ga = slot('gradAverage');
      const gaNext = tf.add(tf.mul(ga, this.rho), tf.mul(g, 1 - this.rho));
      ga.assign(gaNext);
      avg = tf.add(tf.sqrt(tf.sub(sqNext, tf.square(gaNext))), this.epsilon);
    } else {
      avg = tf.add(tf.sqrt(sqNext), this.epsilon);
    }
    if (this.momentum > 0) {
      const buf = slot('momentum');
      const bufNext = tf.add(tf.mul(buf, this.momentum), tf.div(g, avg));
      buf.assign(bufNext);
      variable.assign(tf.sub(variable, tf.mul(bufNext, learningRate)));
    } else {
      variable.assign(tf.sub(variable, tf.mul(tf.div(g, avg), learningRate)));
    }
  }

  protected ownConfig(): ConfigDict {
    return { rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}
