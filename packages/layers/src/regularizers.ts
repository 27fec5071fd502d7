/**
 * Weight regularizers (kind `regularizer`) and constraints (kind `constraint`), as Keras.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  deserializePlugin,
  hasPlugin,
  registerConstraint,
  registerRegularizer,
  type ConfigDict,
  type Serializable,
  type SerializedPlugin,
} from '@plasticity/core';
import { pascalCase } from './initializers.js';

/** A penalty added to the loss: `apply(weight)` returns a scalar. */
export abstract class Regularizer implements Serializable {
  /** The registered name this regularizer saves under. */
  static readonly className: string;
  /** The penalty for `weight`: a scalar added to the training loss. */
  abstract apply(weight: tf.Tensor): tf.Scalar;
  /** The options that rebuild this regularizer (JSON-safe). */
  abstract getConfig(): ConfigDict;
}

/** `l1·Σ|w| + l2·Σw²`. */
export class L1L2 extends Regularizer {
  static override readonly className: string = 'L1L2';
  /** L1 factor. Default 0. */
  readonly l1: number;
  /** L2 factor. Default 0. */
  readonly l2: number;
  constructor(config: { l1?: number; l2?: number } = {}) {
    super();
    this.l1 = config.l1 ?? 0;
    this.l2 = config.l2 ?? 0;
  }
  apply(weight: tf.Tensor): tf.Scalar {
    return tf.tidy(() => {
      let penalty: tf.Tensor = tf.scalar(0);
      if (this.l1 > 0) penalty = tf.add(penalty, tf.mul(this.l1, tf.sum(tf.abs(weight))));
      if (this.l2 > 0) penalty = tf.add(penalty, tf.mul(this.l2, tf.sum(tf.square(weight))));
      return penalty as tf.Scalar;
    });
  }
  getConfig(): ConfigDict {
    return { l1: this.l1, l2: this.l2 };
  }
}

/** `l1·Σ|w|` (Keras `L1`; `'l1'`). Config: `l1` (default 0.01). */
export class L1 extends L1L2 {
  static override readonly className: string = 'L1';
  constructor(config: { l1?: number } = {}) {
    super({ l1: config.l1 ?? 0.01 });
  }
  override getConfig(): ConfigDict {
    return { l1: this.l1 };
  }
}

/**
 * `l2·Σw²` (Keras `L2`; `'l2'`). Config: `l2` (default 0.01).
 *
 * @example
 * ```ts
 * new Dense({ units: 8, kernelRegularizer: new L2({ l2: 1e-4 }) });
 * ```
 */
export class L2 extends L1L2 {
  static override readonly className: string = 'L2';
  constructor(config: { l2?: number } = {}) {
    super({ l2: config.l2 ?? 0.01 });
  }
  override getConfig(): ConfigDict {
    return { l2: this.l2 };
  }
}

/** Projects a weight after each update: `apply(weight)` returns the constrained value. */
export abstract class Constraint implements Serializable {
  /** The registered name this constraint saves under. */
  static readonly className: string;
  /** The constrained value of `weight` (a new tensor); applied after each optimizer update. */
  abstract apply(weight: tf.Tensor): tf.Tensor;
  /** The options that rebuild this constraint (JSON-safe). */
  getConfig(): ConfigDict {
    return {};
  }
}

function norms(w: tf.Tensor, axis: number): tf.Tensor {
  return tf.sqrt(tf.sum(tf.square(w), axis, true));
}

/** Rescales each slice along `axis` to norm ≤ maxValue. */
export class MaxNorm extends Constraint {
  static override readonly className = 'MaxNorm';
  /** Largest allowed norm. Default 2. */
  readonly maxValue: number;
  /** Axis along which norms are taken (0: per output unit of a Dense kernel). Default 0. */
  readonly axis: number;
  constructor(config: { maxValue?: number; axis?: number } = {}) {
    super();
    this.maxValue = config.maxValue ?? 2;
    this.axis = config.axis ?? 0;
  }
  apply(w: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const n = norms(w, this.axis);
      return tf.mul(w, tf.div(tf.clipByValue(n, 0, this.maxValue), tf.add(n, 1e-7)));
    });
  }
  override getConfig(): ConfigDict {
    return { maxValue: this.maxValue, axis: this.axis };
  }
}

/** Rescales each slice along `axis` to unit norm. */
export class UnitNorm extends Constraint {
  static override readonly className = 'UnitNorm';
  /** Axis along which norms are taken. Default 0. */
  readonly axis: number;
  constructor(config: { axis?: number } = {}) {
    super();
    this.axis = config.axis ?? 0;
  }
  apply(w: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.div(w, tf.add(norms(w, this.axis), 1e-7)));
  }
  override getConfig(): ConfigDict {
    return { axis: this.axis };
  }
}

/** Clamps weights at 0 from below. */
export class NonNeg extends Constraint {
  static override readonly className = 'NonNeg';
  apply(w: tf.Tensor): tf.Tensor {
    return tf.relu(w);
  }
}

/** Keeps slice norms in [minValue, maxValue], moving a `rate` of the way there. */
export class MinMaxNorm extends Constraint {
  static override readonly className = 'MinMaxNorm';
  /** Smallest allowed norm. Default 0. */
  readonly minValue: number;
  /** Largest allowed norm. Default 1. */
  readonly maxValue: number;
  /** Fraction of the way to the allowed range per update (1: all the way). Default 1. */
  readonly rate: number;
  /** Axis along which norms are taken. Default 0. */
  readonly axis: number;
  constructor(config: { minValue?: number; maxValue?: number; rate?: number; axis?: number } = {}) {
    super();
    this.minValue = config.minValue ?? 0;
    this.maxValue = config.maxValue ?? 1;
    this.rate = config.rate ?? 1;
    this.axis = config.axis ?? 0;
  }
  apply(w: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const n = norms(w, this.axis);
      const desired = tf.add(
        tf.mul(this.rate, tf.clipByValue(n, this.minValue, this.maxValue)),
        tf.mul(1 - this.rate, n),
      );
      return tf.mul(w, tf.div(desired, tf.add(n, 1e-7)));
    });
  }
  override getConfig(): ConfigDict {
    return { minValue: this.minValue, maxValue: this.maxValue, rate: this.rate, axis: this.axis };
  }
}

/** Registers the built-in regularizers and constraints with core (idempotent). */
export function registerBuiltinRegularizers(): void {
  for (const cls of [L1L2, L1, L2]) registerRegularizer(cls);
  for (const cls of [MaxNorm, UnitNorm, NonNeg, MinMaxNorm]) registerConstraint(cls);
}

/**
 * A regularizer as layer options accept it: a name (`'l1'`, `'l2'`, `'l1l2'`), an instance or `{ className, config }`.
 */
export type RegularizerIdentifier = string | Regularizer | SerializedPlugin;
/**
 * A constraint as layer options accept it: a name (`'maxNorm'`, `'unitNorm'`, `'nonNeg'`, `'minMaxNorm'`), an instance or `{ className, config }`.
 */
export type ConstraintIdentifier = string | Constraint | SerializedPlugin;

/** Resolves a regularizer identifier to an instance; undefined for null or undefined. */
export function getRegularizer(id: RegularizerIdentifier | null | undefined): Regularizer | undefined {
  if (id === null || id === undefined) return undefined;
  if (id instanceof Regularizer) return id;
  registerBuiltinRegularizers();
  if (typeof id === 'string') {
    const className = hasPlugin('regularizer', id) ? id : pascalCase(id);
    return deserializePlugin<Regularizer>('regularizer', {
      className: className === 'L1l2' ? 'L1L2' : className,
      config: {},
    });
  }
  return deserializePlugin<Regularizer>('regularizer', id);
}

/** Resolves a constraint identifier to an instance; undefined for null or undefined. */
export function getConstraint(id: ConstraintIdentifier | null | undefined): Constraint | undefined {
  if (id === null || id === undefined) return undefined;
  if (id instanceof Constraint) return id;
  registerBuiltinRegularizers();
  if (typeof id === 'string') {
    const className = hasPlugin('constraint', id) ? id : pascalCase(id);
    return deserializePlugin<Constraint>('constraint', { className, config: {} });
  }
  return deserializePlugin<Constraint>('constraint', id);
}
