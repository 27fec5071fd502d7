/**
 * Seeded random tensors. Values are drawn in JavaScript by an {@link Rng} and uploaded, so the
 * same seed gives bit-identical tensors on every backend (tfjs's own random ops do not).
 *
 * @example
 * ```ts
 * const rng = createRng(7);
 * const kernel = randomTensor([784, 128], rng, { distribution: 'truncatedNormal', std: 0.05 });
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue } from './errors.js';
import type { Rng } from './rng.js';

/** Options of `randomTensor(shape, rng, options)`. */
export interface RandomTensorOptions {
  /** Default `'uniform'`. */
  distribution?: 'uniform' | 'normal' | 'truncatedNormal';
  /** Uniform range (default [0, 1)). */
  min?: number;
  /** Upper bound (exclusive) of the uniform range. Default 1. */
  max?: number;
  /** Normal parameters (default 0 and 1). */
  mean?: number;
  /** Standard deviation of the normal draws (before truncation for `'truncatedNormal'`). Default 1. */
  std?: number;
}

function checkFinite(value: number, field: string): void {
  if (!Number.isFinite(value)) {
    throw new ValueError(`randomTensor option ${field} must be finite; got ${describeValue(value)}.`, {
      field,
      value,
    });
  }
}

/** A float32 tensor of `shape` filled from `rng`. */
export function randomTensor(shape: readonly number[], rng: Rng, options: RandomTensorOptions = {}): tf.Tensor {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ValueError(`randomTensor shape must hold non-negative integers; got ${describeValue(shape)}.`, {
      field: 'shape',
      value: shape,
    });
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const distribution = options.distribution ?? 'uniform';
  let values: Float32Array;
  if (distribution === 'uniform') {
    const min = options.min ?? 0;
    const max = options.max ?? 1;
    checkFinite(min, 'min');
    checkFinite(max, 'max');
    if (!(max > min)) {
      throw new ValueError(`randomTensor needs max > min; got min=${min}, max=${max}.`, { field: 'max', value: max });
    }
    values = rng.fill(size, (r) => r.uniform(min, max));
  } else if (distribution === 'normal' || distribution === 'truncatedNormal') {
    const mean = options.mean ?? 0;
    const std = options.std ?? 1;
    checkFinite(mean, 'mean');
    checkFinite(std, 'std');
    if (std < 0) throw new ValueError(`randomTensor std must be >= 0; got ${std}.`, { field: 'std', value: std });
    values =
      distribution === 'normal'
        ? rng.fill(size, (r) => r.normal(mean, std))
        : rng.fill(size, (r) => r.truncatedNormal(mean, std));
  } else {
    throw new ValueError(
      `Unknown distribution ${describeValue(distribution)}; use 'uniform', 'normal' or 'truncatedNormal'.`,
      { field: 'distribution', value: distribution },
    );
  }
  return tf.tensor(values, [...shape], 'float32');
}
