import * as tf from '@tensorflow/tfjs-core';
import { ValueError, type ConfigDict } from '@plasticity/core';
import { Optimizer, type OptimizerConfig, type UpdateContext } from './optimizer.js';
import { boolean, closedUnit, nonNegative } from './validate.js';

/** Options of {@link SGD}, plus those of every optimizer ({@link OptimizerConfig}). */
export interface SGDConfig extends OptimizerConfig {
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Dampening of the momentum (default 0). */
  dampening?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with momentum, dampening and Nesterov momentum, as PyTorch's
 * `torch.optim.SGD`: `g += wd·w`; `buf = μ·buf + (1 − dampening)·g` (`buf = g` on the first
 * step); `g = nesterov ? g + μ·buf : buf`; `w −= lr·g`. Weight decay is coupled (L2).
 *
 * Args (config, {@link SGDConfig}): `learningRate` (default 0.01), `momentum` (0), `dampening` (0),
 * `nesterov` (false), `weightDecay` (0), and the options of {@link OptimizerConfig}.
 *
 * @example
 * ```ts
 * model.compile({ optimizer: new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }), loss: 'mse' });
 * ```
 */
export class SGD extends Optimizer {
  /** Registered name: `SGD`. */
  static override readonly className = 'SGD';
  /** Momentum factor μ. */
  readonly momentum: number;
  /** Dampening of the momentum. */
  readonly dampening: number;
  /** Whether Nesterov momentum is used. */
  readonly nesterov: boolean;

  constructor(config: SGDConfig = {}) {
    super(config, 0.01);
    this.momentum = nonNegative('SGD', 'momentum', config.momentum ?? 0);
    this.dampening = closedUnit('SGD', 'dampening', config.dampening ?? 0);
    this.nesterov = boolean('SGD', 'nesterov', config.nesterov ?? false);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new ValueError(
        `SGD: nesterov needs momentum > 0 and dampening 0; got momentum=${this.momentum}, dampening=${this.dampening}.`,
        { field: 'nesterov', value: true },
      );
    }
  }

  protected updateRule({ variable, grad, learningRate, weightDecay, step, slot }: UpdateContext): void {
    let g = weightDecay > 0 ? tf.add(grad, tf.mul(variable, weightDecay)) : grad;
    if (this.momentum > 0) {
      const buf = slot('momentum');
      const damped = this.dampening === 0 ? g : tf.mul(g, 1 - this.dampening);
      const next = step === 1 ? g : tf.add(tf.mul(buf, this.momentum), damped);
      buf.assign(next);
      g = this.nesterov ? tf.add(g, tf.mul(next, this.momentum)) : next;
    }
    variable.assign(tf.sub(variable, tf.mul(g, learningRate)));
  }

  protected ownConfig(): ConfigDict {
    return { momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov };
  }
}
