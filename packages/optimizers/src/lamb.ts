import * as tf from '@tensorflow/tfjs-core';
import type { ConfigDict } from '@plasticity/core';
import { Optimizer, l2Norm, type OptimizerConfig, type UpdateContext } from './optimizer.js';
import { positive, unitInterval } from './validate.js';

/** Options of {@link Lamb}, plus those of every optimizer ({@link OptimizerConfig}). */
export interface LambConfig extends OptimizerConfig {
  /** Decay of the first-moment (mean) estimate, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second-moment estimate, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to the denominator for numerical stability. Default 1e-6. */
  epsilon?: number;
}

/**
 * LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning", Algorithm 2) with Adam's
 * bias correction: `r = m̂/(√v̂ + ε) + wd·w`, `w −= lr · (‖w‖/‖r‖) · r` (trust ratio 1 when either
 * norm is 0). Decoupled weight decay inside the trust ratio.
 */
export class Lamb extends Optimizer {
  static override readonly className = 'Lamb';
  /** Decay of the first-moment estimate. */
  readonly beta1: number;
  /** Decay of the second-moment estimate. */
  readonly beta2: number;
  /** Added to the denominator for numerical stability. */
  readonly epsilon: number;

  constructor(config: LambConfig = {}) {
    super(config, 0.001);
    this.beta1 = unitInterval('Lamb', 'beta1', config.beta1 ?? 0.9);
    this.beta2 = unitInterval('Lamb', 'beta2', config.beta2 ?? 0.999);
    this.epsilon = positive('Lamb', 'epsilon', config.epsilon ?? 1e-6);
  }

  protected updateRule({ variable, grad, learningRate, weightDecay, step, slot }: UpdateContext): void {
    const m = slot('m');
    const v = slot('v');
    const mNext = tf.add(tf.mul(m, this.beta1), tf.mul(grad, 1 - this.beta1));
    const vNext = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(grad), 1 - this.beta2));
    m.assign(mNext);
    v.assign(vNext);
    // m̂/(√v̂ + ε) with the bias corrections folded into scalars.
    const denom = tf.add(tf.mul(tf.sqrt(vNext), 1 / Math.sqrt(1 - this.beta2 ** step)), this.epsilon);
    let r = tf.div(tf.mul(mNext, 1 / (1 - this.beta1 ** step)), denom);
    if (weightDecay > 0) r = tf.add(r, tf.mul(variable, weightDecay));
    const wNorm = l2Norm(variable);
    const rNorm = l2Norm(r);
    // Stays on the device: no read-back for the trust ratio.
    const bothPositive = tf.logicalAnd(tf.greater(wNorm, 0), tf.greater(rNorm, 0));
    const trust = tf.where(bothPositive, tf.div(wNorm, tf.maximum(rNorm, 1e-30)), tf.onesLike(wNorm));
    variable.assign(tf.sub(variable, tf.mul(r, tf.mul(trust, learningRate))));
  }

  protected ownConfig(): ConfigDict {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}
