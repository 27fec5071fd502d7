/**
 * Losses (kind `loss`): each maps `(yTrue, yPred)` to one value per sample (mean over the last
 * axis where Keras does), and training averages those over the batch with sample weights.
 * Names follow Keras: `'mse'`, `'meanSquaredError'`, `'mean_squared_error'`, `'categoricalCrossentropy'`, …
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ValueError,
  describeValue,
  deserializePlugin,
  hasPlugin,
  registerLoss,
  type ConfigDict,
  type Serializable,
  type SerializedPlugin,
} from '@plasticity/core';
import { pascalCase } from './initializers.js';

const EPSILON = 1e-7;

/** Base class: `call` returns per-sample losses, shape [batch] (or [batch, …] for sequences). */
export abstract class Loss implements Serializable {
  /**
   * The registered name this loss saves under (`compile({ loss })` also accepts it, or a Keras alias like `'mse'`).
   */
  static readonly className: string;
  /**
   * Per-sample losses `[batch]` (or `[batch, time]` for sequences) for targets `yTrue` and predictions `yPred` of the same shape (integer `[batch]` targets for sparse losses).
   */
  abstract call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor;
  /** The options that rebuild this loss (JSON-safe). */
  getConfig(): ConfigDict {
    return {};
  }
}

const meanLast = (x: tf.Tensor): tf.Tensor => tf.mean(x, -1);

/** Mean over the last axis of (y − p)² (`loss: 'mse'`). */
export class MeanSquaredError extends Loss {
  static override readonly className = 'MeanSquaredError';
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return meanLast(tf.squaredDifference(yPred, yTrue));
  }
}

/** Mean over the last axis of |y − p| (`loss: 'mae'`). */
export class MeanAbsoluteError extends Loss {
  static override readonly className = 'MeanAbsoluteError';
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return meanLast(tf.abs(tf.sub(yPred, yTrue)));
  }
}

/** 100 · mean |y − p| / max(|y|, ε) over the last axis (`loss: 'mape'`). */
export class MeanAbsolutePercentageError extends Loss {
  static override readonly className = 'MeanAbsolutePercentageError';
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const diff = tf.abs(tf.div(tf.sub(yTrue, yPred), tf.maximum(tf.abs(yTrue), EPSILON)));
    return tf.mul(100, meanLast(diff));
  }
}

/** Mean over the last axis of (log(1 + y) − log(1 + p))², inputs clipped at ε (`loss: 'msle'`). */
export class MeanSquaredLogarithmicError extends Loss {
  static override readonly className = 'MeanSquaredLogarithmicError';
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const a = tf.log1p(tf.maximum(yPred, EPSILON));
    const b = tf.log1p(tf.maximum(yTrue, EPSILON));
    return meanLast(tf.squaredDifference(a, b));
  }
}

/** ½e² for |e| ≤ δ, δ(|e| − ½δ) beyond. */
export class Huber extends Loss {
  static override readonly className = 'Huber';
  /** Where the loss turns from quadratic to linear. Default 1. */
  readonly delta: number;
  constructor(config: { delta?: number } = {}) {
    super();
    this.delta = config.delta ?? 1;
  }
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const e = tf.abs(tf.sub(yPred, yTrue));
    const quadratic = tf.minimum(e, this.delta);
    const linear = tf.sub(e, quadratic);
    return meanLast(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(this.delta, linear)));
  }
  override getConfig(): ConfigDict {
    return { delta: this.delta };
  }
}

/** log(cosh(e)) = e + softplus(−2e) − log 2, stable for large |e|. */
export class LogCosh extends Loss {
  static override readonly className = 'LogCosh';
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const e = tf.sub(yPred, yTrue);
    return meanLast(tf.sub(tf.add(e, tf.softplus(tf.mul(-2, e))), Math.LN2));
  }
}

/** Options of the cross-entropy losses. */
export interface CrossentropyConfig {
  /** Predictions are logits (default false: probabilities). */
  fromLogits?: boolean;
  /** Label smoothing in [0, 1]. */
  labelSmoothing?: number;
}

function smoothing(owner: string, value: number | undefined): number {
  const s = value ?? 0;
  if (!(s >= 0 && s <= 1))
    throw new ValueError(`${owner}: labelSmoothing must be in [0, 1]; got ${describeValue(s)}.`, {
      field: 'labelSmoothing',
      value: s,
    });
  return s;
}

/** −[y·log p + (1−y)·log(1−p)], mean over the last axis. */
export class BinaryCrossentropy extends Loss {
  static override readonly className = 'BinaryCrossentropy';
  /** Whether `yPred` is a logit rather than a probability. */
  readonly fromLogits: boolean;
  /** Targets are squeezed towards 0.5 by this amount. */
  readonly labelSmoothing: number;
  constructor(config: CrossentropyConfig = {}) {
    super();
    this.fromLogits = config.fromLogits ?? false;
    this.labelSmoothing = smoothing('BinaryCrossentropy', config.labelSmoothing);
  }
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const y =
      this.labelSmoothing > 0 ? tf.add(tf.mul(yTrue, 1 - this.labelSmoothing), 0.5 * this.labelSmoothing) : yTrue;
    if (this.fromLogits) {
      // max(x, 0) − x·y + log(1 + exp(−|x|))
      const x = yPred;
      return meanLast(tf.add(tf.sub(tf.relu(x), tf.mul(x, y)), tf.log1p(tf.exp(tf.neg(tf.abs(x))))));
    }
    const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
    return meanLast(tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p))))));
  }
  override getConfig(): ConfigDict {
    return { fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing };
  }
}

/** −Σ y·log p over the last (class) axis; one-hot targets. */
export class CategoricalCrossentropy extends Loss {
  static override readonly className = 'CategoricalCrossentropy';
  /** Whether `yPred` holds logits rather than probabilities. */
  readonly fromLogits: boolean;
  /** Targets are mixed with the uniform distribution by this amount. */
  readonly labelSmoothing: number;
  constructor(config: CrossentropyConfig = {}) {
    super();
    this.fromLogits = config.fromLogits ?? false;
    this.labelSmoothing = smoothing('CategoricalCrossentropy', config.labelSmoothing);
  }
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const classes = yPred.shape[yPred.rank - 1]!;
    const y =
      this.labelSmoothing > 0 ? tf.add(tf.mul(yTrue, 1 - this.labelSmoothing), this.labelSmoothing / classes) : yTrue;
    const logP = this.fromLogits
      ? tf.logSoftmax(yPred)
      : tf.log(tf.clipByValue(tf.div(yPred, tf.sum(yPred, -1, true)), EPSILON, 1 - EPSILON));
    return tf.neg(tf.sum(tf.mul(y, logP), -1));
  }
  override getConfig(): ConfigDict {
    return { fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing };
  }
}

/** Categorical cross-entropy with integer class targets. */
export class SparseCategoricalCrossentropy extends Loss {
  static override readonly className = 'SparseCategoricalCrossentropy';
  /** Whether `yPred` holds logits rather than probabilities. Default false. */
  readonly fromLogits: boolean;
  constructor(config: { fromLogits?: boolean } = {}) {
    super();
    this.fromLogits = config.fromLogits ?? false;
  }
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const classes = yPred.shape[yPred.rank - 1]!;
    const labels = tf.cast(yTrue.rank === yPred.rank ? tf.squeeze(yTrue, [-1]) : yTrue, 'int32');
    const oneHot = tf.oneHot(tf.reshape(labels, [-1]), classes);
    const flatPred = tf.reshape(yPred, [-1, classes]);
    const logP = this.fromLogits
      ? tf.logSoftmax(flatPred)
      : tf.log(tf.clipByValue(tf.div(flatPred, tf.sum(flatPred, -1, true)), EPSILON, 1 - EPSILON));
    return tf.reshape(tf.neg(tf.sum(tf.mul(oneHot, logP), -1)), labels.shape);
  }
  override getConfig(): ConfigDict {
    return { fromLogits: this.fromLogits };
  }
}

/** Σ y·log(y/p) over the last axis (clipped to [ε, 1]). */
export class KLDivergence extends Loss {
  static override readonly className = 'KLDivergence';
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const y = tf.clipByValue(yTrue, EPSILON, 1);
    const p = tf.clipByValue(yPred, EPSILON, 1);
    return tf.sum(tf.mul(y, tf.log(tf.div(y, p))), -1);
  }
}

/** p − y·log(p + ε). */
export class Poisson extends Loss {
  static override readonly className = 'Poisson';
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return meanLast(tf.sub(yPred, tf.mul(yTrue, tf.log(tf.add(yPred, EPSILON)))));
  }
}

/** −cos(y, p) over the last axis (Keras `CosineSimilarity` loss: −1 is perfect). */
export class CosineSimilarity extends Loss {
  static override readonly className = 'CosineSimilarity';
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const n = (t: tf.Tensor): tf.Tensor => tf.div(t, tf.maximum(tf.sqrt(tf.sum(tf.square(t), -1, true)), 1e-12));
    return tf.neg(tf.sum(tf.mul(n(yTrue), n(yPred)), -1));
  }
}

/** Targets in {−1, 1} (0/1 are mapped): mean(max(1 − y·p, 0)). */
export class Hinge extends Loss {
  static override readonly className = 'Hinge';
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return meanLast(tf.relu(tf.sub(1, tf.mul(signed(yTrue), yPred))));
  }
}

/** Targets in {−1, 1} (0/1 are mapped): mean(max(1 − y·p, 0)²). */
export class SquaredHinge extends Loss {
  static override readonly className = 'SquaredHinge';
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return meanLast(tf.square(tf.relu(tf.sub(1, tf.mul(signed(yTrue), yPred)))));
  }
}

/** max(0, 1 + max_{wrong} p − p_{true}) with one-hot targets. */
export class CategoricalHinge extends Loss {
  static override readonly className = 'CategoricalHinge';
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const pos = tf.sum(tf.mul(yTrue, yPred), -1);
    const neg = tf.max(tf.mul(tf.sub(1, yTrue), yPred), -1);
    return tf.relu(tf.add(tf.sub(neg, pos), 1));
  }
}

function signed(y: tf.Tensor): tf.Tensor {
  // {0, 1} labels become {−1, 1}; {−1, 1} stay.
  return tf.where(tf.equal(y, 0), tf.fill(y.shape, -1), y);
}

/**
 * Binary focal cross-entropy (Lin et al. 2017): `−α_t·(1 − p_t)^γ·log p_t`, mean over the last axis.
 * `alpha` weighs the positive class (default 0.25 when `applyClassBalancing`).
 */
export class BinaryFocalCrossentropy extends Loss {
  static override readonly className = 'BinaryFocalCrossentropy';
  /** Focusing exponent: (1 − p_t)^γ down-weights easy examples. Default 2. */
  readonly gamma: number;
  /** Weight of the positive class when `applyClassBalancing`. Default 0.25. */
  readonly alpha: number;
  /** Whether `alpha` weighs the classes. Default false. */
  readonly applyClassBalancing: boolean;
  /** Whether `yPred` is a logit. Default false. */
  readonly fromLogits: boolean;
  constructor(config: { gamma?: number; alpha?: number; applyClassBalancing?: boolean; fromLogits?: boolean } = {}) {
    super();
    this.gamma = config.gamma ?? 2;
    this.alpha = config.alpha ?? 0.25;
    this.applyClassBalancing = config.applyClassBalancing ?? false;
    this.fromLogits = config.fromLogits ?? false;
  }
  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const p = tf.clipByValue(this.fromLogits ? tf.sigmoid(yPred) : yPred, EPSILON, 1 - EPSILON);
    const pt = tf.add(tf.mul(yTrue, p), tf.mul(tf.sub(1, yTrue), tf.sub(1, p)));
    let loss = tf.mul(tf.pow(tf.sub(1, pt), this.gamma), tf.neg(tf.log(pt)));
    if (this.applyClassBalancing) {
      const alphaT = tf.add(tf.mul(yTrue, this.alpha), tf.mul(tf.sub(1, yTrue), 1 - this.alpha));
      loss = tf.mul(alphaT, loss);
    }
    return meanLast(loss);
  }
  override getConfig(): ConfigDict {
    return {
      gamma: this.gamma,
      alpha: this.alpha,
      applyClassBalancing: this.applyClassBalancing,
      fromLogits: this.fromLogits,
    };
  }
}

/** Every built-in loss class, in registration order. */
export const LOSS_CLASSES = [
  MeanSquaredError,
  MeanAbsoluteError,
  MeanAbsolutePercentageError,
  MeanSquaredLogarithmicError,
  Huber,
  LogCosh,
  BinaryCrossentropy,
  CategoricalCrossentropy,
  SparseCategoricalCrossentropy,
  KLDivergence,
  Poisson,
  CosineSimilarity,
  Hinge,
  SquaredHinge,
  CategoricalHinge,
  BinaryFocalCrossentropy,
] as const;

const ALIASES: Record<string, string> = {
  mse: 'MeanSquaredError',
  mae: 'MeanAbsoluteError',
  mape: 'MeanAbsolutePercentageError',
  msle: 'MeanSquaredLogarithmicError',
  kld: 'KLDivergence',
  kullbackLeiblerDivergence: 'KLDivergence',
  logcosh: 'LogCosh',
  huberLoss: 'Huber',
};

/** Registers the built-in losses with core (idempotent). */
export function registerBuiltinLosses(): void {
  for (const cls of LOSS_CLASSES) registerLoss(cls);
}

/** A loss function written by hand: `(yTrue, yPred) => per-sample loss`. */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
/**
 * A loss as `compile` accepts it: a name or Keras alias (`'mse'`, `'sparseCategoricalCrossentropy'`), an instance, `{ className, config }` or a function.
 */
export type LossIdentifier = string | Loss | SerializedPlugin | LossFn;

/** Resolves a loss by Keras name, instance, `{ className, config }` or function. */
export function getLoss(id: LossIdentifier): Loss {
  if (id instanceof Loss) return id;
  if (typeof id === 'function') {
    const fn = id;
    return new (class extends Loss {
      static override readonly className = 'CustomFunctionLoss';
      call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return fn(yTrue, yPred);
      }
    })();
  }
  registerBuiltinLosses();
  if (typeof id === 'string') {
    const camel = id.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const className = ALIASES[camel] ?? ALIASES[id] ?? (hasPlugin('loss', id) ? id : pascalCase(camel));
    return deserializePlugin<Loss>('loss', { className, config: {} });
  }
  return deserializePlugin<Loss>('loss', id);
}
