/**
 * Test assertions for tensors, usable from any test runner (they throw plain `Error`s).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Something numeric to compare: a tensor, a (typed) array, or values with a shape. */
export type Numeric = tf.Tensor | number | ArrayLike<number> | { values: ArrayLike<number>; shape: readonly number[] };

export interface CloseOptions {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** A label for the failure message. */
  label?: string;
}

function toValuesAndShape(value: Numeric): { values: ArrayLike<number>; shape: readonly number[] | undefined } {
  if (value instanceof tf.Tensor) return { values: value.dataSync() as ArrayLike<number>, shape: value.shape };
  if (typeof value === 'number') return { values: [value], shape: [] };
  if ('values' in value && 'shape' in value) return { values: value.values, shape: value.shape };
  return { values: value as ArrayLike<number>, shape: undefined };
}

/**
 * Asserts `|actual - expected| <= atol + rtol * |expected|` elementwise (NumPy's `allclose`), with
 * equal shapes when both sides have one. NaN matches only NaN; ±Infinity only itself.
 *
 * @example
 * ```ts
 * expectTensorsClose(tf.add(a, b), [4, 6], { rtol: 1e-6 });
 * ```
 */
export function expectTensorsClose(actual: Numeric, expected: Numeric, options: CloseOptions = {}): void {
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-6;
  const label = options.label === undefined ? '' : `${options.label}: `;
  const a = toValuesAndShape(actual);
  const e = toValuesAndShape(expected);
  if (a.shape !== undefined && e.shape !== undefined) {
    if (a.shape.length !== e.shape.length || a.shape.some((d, i) => d !== e.shape![i])) {
      throw new Error(`${label}shape [${a.shape.join(',')}] differs from expected [${e.shape.join(',')}]`);
    }
  }
  if (a.values.length !== e.values.length) {
    throw new Error(`${label}${a.values.length} values differ in count from expected ${e.values.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  let failures = 0;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i]!;
    const y = e.values[i]!;
    let ok: boolean;
    if (Number.isNaN(y)) ok = Number.isNaN(x);
    else if (!Number.isFinite(y)) ok = x === y;
    else ok = Math.abs(x - y) <= atol + rtol * Math.abs(y);
    if (!ok) {
      failures++;
      const excess = Number.isFinite(x - y) ? Math.abs(x - y) - (atol + rtol * Math.abs(y)) : Infinity;
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (failures > 0) {
    throw new Error(
      `${label}${failures} of ${a.values.length} values differ beyond rtol=${rtol}, atol=${atol}; ` +
        `worst at flat index ${worst}: actual ${a.values[worst]}, expected ${e.values[worst]}`,
    );
  }
}

/**
 * Runs `fn` and asserts that it leaves the number of live tensors unchanged. Returns what `fn`
 * returned. Tensors returned by `fn` count as leaks unless `allowed` says how many it may keep.
 *
 * @example
 * ```ts
 * await expectNoTensorLeaks(async () => { for (let i = 0; i < 100; i++) step(); });
 * ```
 */
export async function expectNoTensorLeaks<T>(fn: () => T | Promise<T>, allowed = 0): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  if (after - before !== allowed) {
    throw new Error(
      `tensor leak: ${before} live tensors before, ${after} after (expected a change of ${allowed}). ` +
        'Dispose intermediate tensors or wrap the work in tf.tidy.',
    );
  }
  return result;
}
