/**
 * Weight initializers, drawn from core's seeded generator so that the same seed gives the same
 * weights on every backend. Serializable plugins (kind `initializer`); names match Keras
 * (`'glorotUniform'` or `'glorot_uniform'`, …).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type Rng,
  ValueError,
  createRng,
  describeValue,
  deserializePlugin,
  hasPlugin,
  randomTensor,
  registerInitializer,
  type ConfigDict,
  type Serializable,
  type SerializedPlugin,
} from '@plasticity/core';

/** Fan-in and fan-out of a weight shape, as Keras computes them. */
export function computeFans(shape: readonly number[]): {
  /** Inputs per output unit (rows × receptive field). */
  fanIn: number;
  /** Outputs per input unit (columns × receptive field). */
  fanOut: number;
} {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  // Convolution kernels [...spatial, in, out].
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

let globalSeed = 1337;
let globalRng: Rng = createRng(globalSeed);

/** Sets the seed of initializers created without one (default 1337). */
export function setInitializerSeed(seed: number): void {
  globalSeed = seed;
  globalRng = createRng(seed);
}

/** Base class: `apply(shape)` returns a new float32 tensor. */
export abstract class Initializer implements Serializable {
  /** The registered name this initializer saves under (e.g. `'GlorotUniform'`). */
  static readonly className: string;
  /**
   * A new tensor of `shape` filled by this initializer; the caller owns (and disposes) it.
   * @param shape the weight's shape, e.g. `[inputFeatures, units]` for a Dense kernel.
   * @param dtype element type; float32 unless the initializer says otherwise.
   */
  abstract apply(shape: readonly number[], dtype?: tf.DataType): tf.Tensor;
  /** The options that rebuild this initializer (JSON-safe); saved in a model's `model.json`. */
  getConfig(): ConfigDict {
    return {};
  }
}

abstract class SeededInitializer extends Initializer {
  /** Seed of this initializer's own generator; undefined draws from the global one (`setInitializerSeed`). */
  readonly seed: number | undefined;
  private rng: Rng | undefined;
  constructor(config: { seed?: number } = {}) {
    super();
    this.seed = config.seed;
  }
  /** The random generator the next `apply` draws from. */
  protected generator(): Rng {
    if (this.seed === undefined) return globalRng;
    this.rng ??= createRng(this.seed);
    return this.rng;
  }
  /** The options that rebuild this initializer (JSON-safe), `seed` included when set. */
  override getConfig(): ConfigDict {
    return this.seed === undefined ? {} : { seed: this.seed };
  }
}

/**
 * Fills with 0: the default bias initializer.
 *
 * @example
 * ```ts
 * new Dense({ units: 4, biasInitializer: new Zeros() });
 * ```
 */
export class Zeros extends Initializer {
  static override readonly className = 'Zeros';
  apply(shape: readonly number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    return tf.zeros([...shape], dtype);
  }
}

/** Fills with 1 (e.g. a BatchNormalization `gamma`). */
export class Ones extends Initializer {
  static override readonly className = 'Ones';
  apply(shape: readonly number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    return tf.ones([...shape], dtype);
  }
}

/**
 * Fills with one value.
 *
 * Args (config):
 * - `value`: the fill value. Default 0.
 */
export class Constant extends Initializer {
  static override readonly className = 'Constant';
  /** The fill value. */
  readonly value: number;
  constructor(config: { value?: number } = {}) {
    super();
    this.value = config.value ?? 0;
  }
  apply(shape: readonly number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    return tf.fill([...shape], this.value, dtype);
  }
  override getConfig(): ConfigDict {
    return { value: this.value };
  }
}

/**
 * Uniform draws on [`minval`, `maxval`).
 *
 * Args (config):
 * - `minval`: lower bound. Default -0.05.
 * - `maxval`: upper bound (exclusive). Default 0.05.
 * - `seed`: seed of its own PCG32 generator; default: the global initializer generator.
 */
export class RandomUniform extends SeededInitializer {
  static override readonly className = 'RandomUniform';
  /** Lower bound of the draws. */
  readonly minval: number;
  /** Upper bound (exclusive) of the draws. */
  readonly maxval: number;
  constructor(config: { minval?: number; maxval?: number; seed?: number } = {}) {
    super(config);
    this.minval = config.minval ?? -0.05;
    this.maxval = config.maxval ?? 0.05;
  }
  apply(shape: readonly number[]): tf.Tensor {
    return randomTensor(shape, this.generator(), { min: this.minval, max: this.maxval });
  }
  override getConfig(): ConfigDict {
    return { ...super.getConfig(), minval: this.minval, maxval: this.maxval };
  }
}

/**
 * Normal draws N(`mean`, `stddev`²).
 *
 * Args (config):
 * - `mean`: default 0.
 * - `stddev`: standard deviation. Default 0.05.
 * - `seed`: seed of its own generator; default: the global initializer generator.
 */
export class RandomNormal extends SeededInitializer {
  static override readonly className = 'RandomNormal';
  /** Mean of the draws. */
  readonly mean: number;
  /** Standard deviation of the draws. */
  readonly stddev: number;
  constructor(config: { mean?: number; stddev?: number; seed?: number } = {}) {
    super(config);
    this.mean = config.mean ?? 0;
    this.stddev = config.stddev ?? 0.05;
  }
  apply(shape: readonly number[]): tf.Tensor {
    return randomTensor(shape, this.generator(), { distribution: 'normal', mean: this.mean, std: this.stddev });
  }
  override getConfig(): ConfigDict {
    return { ...super.getConfig(), mean: this.mean, stddev: this.stddev };
  }
}

/**
 * Normal draws N(`mean`, `stddev`²) redrawn when more than two standard deviations from the mean
 * (Keras and TF.js `TruncatedNormal`).
 *
 * Args (config):
 * - `mean`: default 0.
 * - `stddev`: standard deviation before truncation. Default 0.05.
 * - `seed`: seed of its own generator; default: the global initializer generator.
 */
export class TruncatedNormal extends SeededInitializer {
  static override readonly className = 'TruncatedNormal';
  /** Mean of the draws. */
  readonly mean: number;
  /** Standard deviation before truncation. */
  readonly stddev: number;
  constructor(config: { mean?: number; stddev?: number; seed?: number } = {}) {
    super(config);
    this.mean = config.mean ?? 0;
    this.stddev = config.stddev ?? 0.05;
  }
  apply(shape: readonly number[]): tf.Tensor {
    return randomTensor(shape, this.generator(), {
      distribution: 'truncatedNormal',
      mean: this.mean,
      std: this.stddev,
    });
  }
  override getConfig(): ConfigDict {
    return { ...super.getConfig(), mean: this.mean, stddev: this.stddev };
  }
}

type Mode = 'fanIn' | 'fanOut' | 'fanAvg';
type Distribution = 'uniform' | 'normal' | 'truncatedNormal';

/**
 * Keras `VarianceScaling`: variance `scale / n` with `n` the fan-in, fan-out or their mean;
 * uniform on ±√(3·scale/n), or a normal truncated at two standard deviations whose std is
 * corrected by 0.8796… so that the variance is as asked.
 */
export class VarianceScaling extends SeededInitializer {
  static override readonly className: string = 'VarianceScaling';
  /** Variance numerator: variance = `scale / n`. Default 1. */
  readonly scale: number;
  /** Which fan `n` is: `'fanIn'` (default), `'fanOut'` or `'fanAvg'` (their mean). */
  readonly mode: Mode;
  /** `'truncatedNormal'` (default), `'normal'` or `'uniform'`. */
  readonly distribution: Distribution;
  constructor(config: { scale?: number; mode?: Mode; distribution?: Distribution; seed?: number } = {}) {
    super(config);
    this.scale = config.scale ?? 1;
    this.mode = config.mode ?? 'fanIn';
    this.distribution = config.distribution ?? 'truncatedNormal';
    if (!(this.scale > 0)) {
      throw new ValueError(`VarianceScaling: scale must be > 0; got ${describeValue(this.scale)}.`, {
        field: 'scale',
        value: this.scale,
      });
    }
  }
  apply(shape: readonly number[]): tf.Tensor {
    const { fanIn, fanOut } = computeFans(shape);
    const n = this.mode === 'fanIn' ? fanIn : this.mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
    const variance = this.scale / Math.max(1, n);
    if (this.distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      return randomTensor(shape, this.generator(), { min: -limit, max: limit });
    }
    if (this.distribution === 'normal') {
      return randomTensor(shape, this.generator(), { distribution: 'normal', std: Math.sqrt(variance) });
    }
    // std of a standard normal truncated to [-2, 2]
    return randomTensor(shape, this.generator(), {
      distribution: 'truncatedNormal',
      std: Math.sqrt(variance) / 0.8796256610342398,
    });
  }
  override getConfig(): ConfigDict {
    return { ...super.getConfig(), scale: this.scale, mode: this.mode, distribution: this.distribution };
  }
}

function preset(className: string, scale: number, mode: Mode, distribution: Distribution): typeof VarianceScaling {
  const cls = class extends VarianceScaling {
    static override readonly className = className;
    constructor(config: { seed?: number } = {}) {
      super({ seed: config.seed, scale, mode, distribution });
    }
    override getConfig(): ConfigDict {
      return this.seed === undefined ? {} : { seed: this.seed };
    }
  };
  Object.defineProperty(cls, 'name', { value: className });
  return cls;
}

/**
 * Glorot (Xavier) uniform: `VarianceScaling({ scale: 1, mode: 'fanAvg', distribution: 'uniform' })`; the default Dense
 * and Conv kernel initializer. Config: `{ seed? }`.
 */
export const GlorotUniform = preset('GlorotUniform', 1, 'fanAvg', 'uniform');
/**
 * Glorot (Xavier) normal: `VarianceScaling({ scale: 1, mode: 'fanAvg', distribution: 'truncatedNormal' })`. Config: `{ seed? }`.
 */
export const GlorotNormal = preset('GlorotNormal', 1, 'fanAvg', 'truncatedNormal');
/**
 * He (Kaiming) uniform, for ReLU layers: `VarianceScaling({ scale: 2, mode: 'fanIn', distribution: 'uniform' })`. Config: `{ seed? }`.
 */
export const HeUniform = preset('HeUniform', 2, 'fanIn', 'uniform');
/**
 * He (Kaiming) normal, for ReLU layers: `VarianceScaling({ scale: 2, mode: 'fanIn', distribution: 'truncatedNormal' })`. Config: `{ seed? }`.
 */
export const HeNormal = preset('HeNormal', 2, 'fanIn', 'truncatedNormal');
/**
 * LeCun uniform (SELU networks): `VarianceScaling({ scale: 1, mode: 'fanIn', distribution: 'uniform' })`. Config: `{ seed? }`.
 */
export const LecunUniform = preset('LecunUniform', 1, 'fanIn', 'uniform');
/**
 * LeCun normal (SELU networks): `VarianceScaling({ scale: 1, mode: 'fanIn', distribution: 'truncatedNormal' })`. Config: `{ seed? }`.
 */
export const LecunNormal = preset('LecunNormal', 1, 'fanIn', 'truncatedNormal');

/** A random orthogonal matrix (Saxe et al. 2014) by Gram–Schmidt on normal draws, times `gain`. */
export class Orthogonal extends SeededInitializer {
  static override readonly className = 'Orthogonal';
  /** Multiplier of the orthogonal matrix. Default 1. */
  readonly gain: number;
  constructor(config: { gain?: number; seed?: number } = {}) {
    super(config);
    this.gain = config.gain ?? 1;
  }
  apply(shape: readonly number[]): tf.Tensor {
    if (shape.length < 2)
      throw new ValueError(`Orthogonal needs a shape of rank >= 2; got [${shape.join(',')}].`, {
        field: 'shape',
        value: shape,
      });
    const cols = shape[shape.length - 1]!;
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const [n, m] = rows < cols ? [cols, rows] : [rows, cols];
    // Gram–Schmidt on m random columns of length n (in float64).
    const rng = this.generator();
    const q: Float64Array[] = [];
    for (let j = 0; j < m; j++) {
      const v = Float64Array.from({ length: n }, () => rng.normal());
      for (const u of q) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += u[i]! * v[i]!;
        for (let i = 0; i < n; i++) v[i]! -= dot * u[i]!;
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += v[i]! * v[i]!;
      norm = Math.sqrt(norm);
      for (let i = 0; i < n; i++) v[i]! /= norm;
      q.push(v);
    }
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        out[r * cols + c] = this.gain * (rows < cols ? q[r]![c]! : q[c]![r]!);
      }
    }
    return tf.tensor(out, [...shape]);
  }
  override getConfig(): ConfigDict {
    return { ...super.getConfig(), gain: this.gain };
  }
}

/** Every built-in initializer class, in registration order. */
export const INITIALIZER_CLASSES = [
  Zeros,
  Ones,
  Constant,
  RandomUniform,
  RandomNormal,
  TruncatedNormal,
  VarianceScaling,
  GlorotUniform,
  GlorotNormal,
  HeUniform,
  HeNormal,
  LecunUniform,
  LecunNormal,
  Orthogonal,
] as const;

/** Registers the built-in initializers (idempotent). */
export function registerBuiltinInitializers(): void {
  for (const cls of INITIALIZER_CLASSES) registerInitializer(cls);
}

/** `'glorot_uniform'` / `'glorotUniform'` / `'GlorotUniform'` → `'GlorotUniform'`. */
export function pascalCase(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase()).replace(/^[a-z]/, (c) => c.toUpperCase());
}

/** What a layer accepts for an initializer. */
export type InitializerIdentifier = string | Initializer | SerializedPlugin;

/** Resolves a name, an instance or `{ className, config }` to an initializer. */
export function getInitializer(identifier: InitializerIdentifier): Initializer {
  if (identifier instanceof Initializer) return identifier;
  registerBuiltinInitializers();
  if (typeof identifier === 'string') {
    const className = hasPlugin('initializer', identifier) ? identifier : pascalCase(identifier);
    return deserializePlugin<Initializer>('initializer', { className, config: {} });
  }
  return deserializePlugin<Initializer>('initializer', identifier);
}
