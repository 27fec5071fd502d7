import * as tf from '@tensorflow/tfjs-core';
import type { ConfigDict } from '@plasticity/core';
import { Optimizer, type OptimizerConfig, type UpdateContext } from './optimizer.js';
import { nonNegative, positive } from './validate.js';

/** Options of {@link Adagrad}, plus those of every optimizer ({@link OptimizerConfig}). */
export interface AdagradConfig extends OptimizerConfig {
  /** Learning-rate decay: `lr / (1 + (t−1)·lrDecay)` (default 0). */
  lrDecay?: number;
  /** Starting value of the squared-gradient sum (default 0). */
  initialAccumulatorValue?: number;
  /** Added to the denominator for numerical stability. Default 1e-10. */
  epsilon?: number;
}

/**
 * Adagrad (Duchi et al. 2011) as PyTorch's `torch.optim.Adagrad`: `s += g²`,
 * `w −= lr/(1 + (t−1)·lrDecay) · g/(√s + ε)`. Coupled weight decay.
 */
export class Adagrad extends Optimizer {
  static override readonly className = 'Adagrad';
  /** Learning-rate decay. */
  readonly lrDecay: number;
  /** Starting value of the sum of squared gradients. */
  readonly initialAccumulatorValue: number;
  /** Added to the denominator for numerical stability. */
  readonly epsilon: number;

  constructor(config: AdagradConfig = {}) {
    super(config, 0.01);
    this.lrDecay = nonNegative('Adagrad', 'lrDecay', config.lrDecay ?? 0);
    this.initialAccumulatorValue = nonNegative(
      'Adagrad',
      'initialAccumulatorValue',
      config.initialAccumulatorValue ?? 0,
    );
    this.epsilon = positive('Adagrad', 'epsilon', config.epsilon ?? 1e-10);
  }

  protected updateRule({ variable, grad, learningRate, weightDecay, step, slot }: UpdateContext): void {
    const g = weightDecay > 0 ? tf.add(grad, tf.mul(variable, weightDecay)) : grad;
    const sum = slot('sum', this.initialAccumulatorValue === 0 ? 'zeros' : this.initialAccumulatorValue);
    const sumNext = tf.add(sum, tf.square(g));
    sum.assign(sumNext);
    const clr = learningRate / (1 + (step - 1) * this.lrDecay);
    variable.assign(tf.sub(variable, tf.mul(tf.div(g, tf.add(tf.sqrt(sumNext), this.epsilon)), clr)));
  }

  protected ownConfig(): ConfigDict {
    return { lrDecay: this.lrDecay, initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}
