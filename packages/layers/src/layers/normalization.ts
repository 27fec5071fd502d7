/**
 * BatchNormalization and LayerNormalization.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue, type ConfigDict } from '@plasticity/core';
import type { InitializerIdentifier } from '../initializers.js';
import { Layer, type CallArgs, type LayerConfig, type Shape } from '../layer.js';
import { serializeId } from './core.js';

/** Options of {@link BatchNormalization} (Keras names and defaults). */
export interface BatchNormalizationConfig extends LayerConfig {
  /** The feature axis that is normalized (one mean/variance per entry). Default -1 (channels last). */
  axis?: number;
  /** Momentum of the moving mean and variance. Default 0.99. */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-3. */
  epsilon?: number;
  /** Learn an offset `beta`. Default true. */
  center?: boolean;
  /** Learn a scale `gamma`. Default true. */
  scale?: boolean;
  /** Initializer of `beta`. Default `'zeros'`. */
  betaInitializer?: InitializerIdentifier;
  /** Initializer of `gamma`. Default `'ones'`. */
  gammaInitializer?: InitializerIdentifier;
  /** Initializer of the moving mean. Default `'zeros'`. */
  movingMeanInitializer?: InitializerIdentifier;
  /** Initializer of the moving variance. Default `'ones'`. */
  movingVarianceInitializer?: InitializerIdentifier;
}

/**
 * Batch normalization (Ioffe & Szegedy 2015), as Keras: in training, normalize by the batch's
 * mean and (biased) variance and update `moving ← momentum·moving + (1 − momentum)·batch`; in
 * inference, or when the layer is frozen (`trainable = false`), use the moving statistics and do
 * not update them (Keras' rule for fine-tuning).
 */
export class BatchNormalization extends Layer {
  static override readonly className = 'BatchNormalization';
  /** Per-position: a sequence mask passes through (statistics include padded steps, as tfjs-layers). */
  override readonly supportsMasking: boolean = true;
  /** The normalized feature axis. */
  readonly axis: number;
  /** Momentum of the moving statistics. */
  readonly momentum: number;
  /** Added to the variance before the square root. */
  readonly epsilon: number;
  /** Whether `beta` is learnt. */
  readonly center: boolean;
  /** Whether `gamma` is learnt. */
  readonly scale: boolean;
  private readonly config: BatchNormalizationConfig;
  /** The `[features]` scale, once built (undefined with `scale: false`). */
  gamma: tf.Variable | undefined;
  /** The `[features]` offset, once built (undefined with `center: false`). */
  beta: tf.Variable | undefined;
  /** The `[features]` moving mean used in inference (not trainable). */
  movingMean: tf.Variable | undefined;
  /** The `[features]` moving variance used in inference (not trainable). */
  movingVariance: tf.Variable | undefined;

  constructor(config: BatchNormalizationConfig = {}) {
    super(config);
    this.config = config;
    this.axis = config.axis ?? -1;
    this.momentum = config.momentum ?? 0.99;
    this.epsilon = config.epsilon ?? 1e-3;
    this.center = config.center ?? true;
    this.scale = config.scale ?? true;
    if (!(this.momentum >= 0 && this.momentum <= 1)) {
      throw new ValueError(`BatchNormalization: momentum must be in [0, 1]; got ${describeValue(this.momentum)}.`, {
        field: 'momentum',
        value: this.momentum,
      });
    }
  }

  private channelAxis(rank: number): number {
    return this.axis < 0 ? rank + this.axis : this.axis;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    const dim = shape[this.channelAxis(shape.length)];
    if (typeof dim !== 'number') {
      throw new ValueError(
        `BatchNormalization "${this.name}" needs a known size on axis ${this.axis}; got [${shape.join(',')}].`,
        { field: 'axis', value: this.axis },
      );
    }
    if (this.scale)
      this.gamma = this.addWeight('gamma', [dim], { initializer: this.config.gammaInitializer ?? 'ones' });
    if (this.center) this.beta = this.addWeight('beta', [dim], { initializer: this.config.betaInitializer ?? 'zeros' });
    this.movingMean = this.addWeight('movingMean', [dim], {
      initializer: this.config.movingMeanInitializer ?? 'zeros',
      trainable: false,
    });
    this.movingVariance = this.addWeight('movingVariance', [dim], {
      initializer: this.config.movingVarianceInitializer ?? 'ones',
      trainable: false,
    });
    this.built = true;
  }

  private broadcastShape(x: tf.Tensor): number[] {
    const axis = this.channelAxis(x.rank);
    return x.shape.map((d, i) => (i === axis ? d : 1));
  }

  call(inputs: tf.Tensor | tf.Tensor[], args: CallArgs): tf.Tensor {
    const x = inputs as tf.Tensor;
    const shape = this.broadcastShape(x);
    const normalize = (mean: tf.Tensor, variance: tf.Tensor): tf.Tensor => {
      let y = tf.mul(tf.sub(x, tf.reshape(mean, shape)), tf.rsqrt(tf.add(tf.reshape(variance, shape), this.epsilon)));
      if (this.gamma !== undefined) y = tf.mul(y, tf.reshape(this.gamma, shape));
      if (this.beta !== undefined) y = tf.add(y, tf.reshape(this.beta, shape));
      return y;
    };
    if (args.training !== true || !this.trainable) {
      return tf.tidy(() => normalize(this.movingMean!, this.movingVariance!));
    }
    const axis = this.channelAxis(x.rank);
    const reduce = x.shape.map((_, i) => i).filter((i) => i !== axis);
    const { mean, variance } = tf.moments(x, reduce);
    // The moving statistics are assigned, not returned: no gradient flows into them.
    tf.tidy(() => {
      const m = this.momentum;
      const newMean = tf.add(tf.mul(this.movingMean!, m), tf.mul(mean, 1 - m));
      const newVar = tf.add(tf.mul(this.movingVariance!, m), tf.mul(variance, 1 - m));
      this.movingMean!.assign(newMean);
      this.movingVariance!.assign(newVar);
    });
    return normalize(mean, variance);
  }

  protected override ownConfig(): ConfigDict {
    return {
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeId(this.config.betaInitializer ?? 'zeros'),
      gammaInitializer: serializeId(this.config.gammaInitializer ?? 'ones'),
      movingMeanInitializer: serializeId(this.config.movingMeanInitializer ?? 'zeros'),
      movingVarianceInitializer: serializeId(this.config.movingVarianceInitializer ?? 'ones'),
    };
  }
}

/** Layer normalization (Ba et al. 2016) over the last axis (or `axis` list). */
export class LayerNormalization extends Layer {
  static override readonly className = 'LayerNormalization';
  /** Per-position: a sequence mask passes through (statistics include padded steps, as tfjs-layers). */
  override readonly supportsMasking: boolean = true;
  /** The axes normalized over. Default `[-1]`. */
  readonly axis: number[];
  /** Added to the variance before the square root. Default 1e-3. */
  readonly epsilon: number;
  /** Whether `beta` is learnt. Default true. */
  readonly center: boolean;
  /** Whether `gamma` is learnt. Default true. */
  readonly scale: boolean;
  /** The scale, once built. */
  gamma: tf.Variable | undefined;
  /** The offset, once built. */
  beta: tf.Variable | undefined;
  constructor(
    config: LayerConfig & { axis?: number | number[]; epsilon?: number; center?: boolean; scale?: boolean } = {},
  ) {
    super(config);
    this.axis = typeof config.axis === 'number' ? [config.axis] : [...(config.axis ?? [-1])];
    this.epsilon = config.epsilon ?? 1e-3;
    this.center = config.center ?? true;
    this.scale = config.scale ?? true;
  }
  private axes(rank: number): number[] {
    return this.axis.map((a) => (a < 0 ? rank + a : a));
  }
  override build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    const paramShape = this.axes(shape.length).map((a) => shape[a] as number);
    if (this.scale) this.gamma = this.addWeight('gamma', paramShape, { initializer: 'ones' });
    if (this.center) this.beta = this.addWeight('beta', paramShape, { initializer: 'zeros' });
    this.built = true;
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = inputs as tf.Tensor;
    return tf.tidy(() => {
      const axes = this.axes(x.rank);
      const { mean, variance } = tf.moments(x, axes, true);
      let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      const paramShape = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
      if (this.gamma !== undefined) y = tf.mul(y, tf.reshape(this.gamma, paramShape));
      if (this.beta !== undefined) y = tf.add(y, tf.reshape(this.beta, paramShape));
      return y;
    });
  }
  protected override ownConfig(): ConfigDict {
    return { axis: [...this.axis], epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}
