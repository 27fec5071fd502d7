import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL, runHostKernel, type AdamUpdateAttrs, type ConfigDict } from '@plasticity/core';
import { Optimizer, type OptimizerConfig, type UpdateContext } from './optimizer.js';
import { boolean, positive, unitInterval } from './validate.js';

/** Options of {@link Adam} and {@link AdamW}, plus those of every optimizer ({@link OptimizerConfig}). */
export interface AdamConfig extends OptimizerConfig {
  /** Decay of the first-moment (mean) estimate, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second-moment (uncentered variance) estimate, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to the denominator for numerical stability. Default 1e-8. */
  epsilon?: number;
  /** Use the maximum of past second moments (Reddi et al. 2018). */
  amsgrad?: boolean;
}

function adamFields(
  owner: string,
  config: AdamConfig,
): { beta1: number; beta2: number; epsilon: number; amsgrad: boolean } {
  return {
    beta1: unitInterval(owner, 'beta1', config.beta1 ?? 0.9),
    beta2: unitInterval(owner, 'beta2', config.beta2 ?? 0.999),
    epsilon: positive(owner, 'epsilon', config.epsilon ?? 1e-8),
    amsgrad: boolean(owner, 'amsgrad', config.amsgrad ?? false),
  };
}

/**
 * Adam (Kingma & Ba 2015) as PyTorch's `torch.optim.Adam`, with optional AMSGrad:
 * `m = β₁m + (1−β₁)g`, `v = β₂v + (1−β₂)g²`,
 * `w −= lr/(1−β₁ᵗ) · m / (√v̂/√(1−β₂ᵗ) + ε)` where `v̂` is `v` or its running maximum.
 * Weight decay is coupled (L2 added to the gradient); use {@link AdamW} for decoupled decay.
 *
 * Args (config, {@link AdamConfig}): `learningRate` (default 0.001, a number or a schedule),
 * `beta1` (0.9), `beta2` (0.999), `epsilon` (1e-8), `amsgrad` (false), `weightDecay` (0), and the
 * clipping, parameter-group, accumulation, EMA and NaN options of {@link OptimizerConfig}.
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3, 1]), true, 'w');
 * const optimizer = new Adam({ learningRate: 0.01, globalClipNorm: 1 });
 * optimizer.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(x, w), y)))); // x [batch, 3], y [batch, 1]
 * ```
 */
export class Adam extends Optimizer {
  /** Registered name: `Adam`. */
  static override readonly className: string = 'Adam';
  /** Decay of the first-moment estimate. */
  readonly beta1: number;
  /** Decay of the second-moment estimate. */
  readonly beta2: number;
  /** Added to the denominator for numerical stability. */
  readonly epsilon: number;
  /** Whether the running maximum of the second moments is used (AMSGrad). */
  readonly amsgrad: boolean;
  /** Decoupled (AdamW) instead of coupled (L2) weight decay. */
  protected readonly decoupled: boolean = false;

  constructor(config: AdamConfig = {}) {
    super(config, 0.001);
    ({
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      amsgrad: this.amsgrad,
    } = adamFields(new.target.name, config));
  }

  protected updateRule({ variable, grad, learningRate, weightDecay, step, slot }: UpdateContext): void {
    if (!this.amsgrad && variable.dtype === 'float32' && tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend())) {
      // The backend's kernel for the ADAM_UPDATE_KERNEL contract (wasm SIMD, or one JavaScript
      // pass on the CPU, each registered by its backend plugin): the arithmetic of the ops below
      // in one pass over the weights.
      const m = slot('m');
      const v = slot('v');
      const attrs: AdamUpdateAttrs = {
        beta1: this.beta1,
        beta2: this.beta2,
        epsilon: this.epsilon,
        bias2Sqrt: Math.sqrt(1 - this.beta2 ** step),
        stepSize: learningRate / (1 - this.beta1 ** step),
        l2: this.decoupled ? 0 : weightDecay,
        keep: this.decoupled ? 1 - learningRate * weightDecay : 1,
      };
      const [w, mNext, vNext] = runHostKernel(ADAM_UPDATE_KERNEL, { variable, grad, m, v }, { ...attrs });
      m.assign(mNext!);
      v.assign(vNext!);
      variable.assign(w!);
      return;
    }
    let g = grad;
    let w: tf.Tensor = variable;
    if (weightDecay > 0) {
      if (this.decoupled) w = tf.mul(variable, 1 - learningRate * weightDecay);
      else g = tf.add(g, tf.mul(variable, weightDecay));
    }
    const m = slot('m');
    const v = slot('v');
    const mNext = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
    const vNext = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
    m.assign(mNext);
    v.assign(vNext);
    let second: tf.Tensor = vNext;
    if (this.amsgrad) {
      const vMax = slot('vMax');
      second = tf.maximum(vMax, vNext);
      vMax.assign(second);
    }
    const bias1 = 1 - this.beta1 ** step;
    const bias2Sqrt = Math.sqrt(1 - this.beta2 ** step);
    const denom = tf.add(tf.div(tf.sqrt(second), bias2Sqrt), this.epsilon);
    variable.assign(tf.sub(w, tf.mul(tf.div(mNext, denom), learningRate / bias1)));
  }

  protected ownConfig(): ConfigDict {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}

/**
 * AdamW (Loshchilov & Hutter 2019) as PyTorch's `torch.optim.AdamW`: Adam with decoupled weight
 * decay, `w ← w·(1 − lr·wd)` before the Adam step. Default weight decay 0.01.
 */
export class AdamW extends Adam {
  /** Registered name: `AdamW`. */
  static override readonly className: string = 'AdamW';
  protected override readonly decoupled: boolean = true;

  constructor(config: AdamConfig = {}) {
    super({ ...config, weightDecay: config.weightDecay ?? 0.01 });
  }
}
