import * as tf from '@tensorflow/tfjs-core';
import { expectTensorsClose } from './assertions.js';

export interface FiniteDifferenceOptions {
  /** Step of the central difference (default 1e-2: float32 needs a large step). */
  eps?: number;
  rtol?: number;
  atol?: number;
}

/**
 * Asserts that the gradients of `f` (a scalar function of `xs`) computed by tfjs autodiff match
 * central finite differences of `f` itself: `(f(x + ε·eᵢ) − f(x − ε·eᵢ)) / 2ε` for every element.
 * Evaluated in float32, so use smooth functions, modest inputs and the default tolerances.
 */
export function expectGradientsMatchFiniteDifferences(
  f: (...xs: tf.Tensor[]) => tf.Scalar,
  xs: tf.Tensor[],
  options: FiniteDifferenceOptions = {},
): void {
  const eps = options.eps ?? 1e-2;
  tf.tidy(() => {
    const grads = tf.grads(f)(xs);
    xs.forEach((x, k) => {
      const base = x.dataSync().slice();
      const numeric = new Float32Array(base.length);
      for (let i = 0; i < base.length; i++) {
        const eval_ = (delta: number): number =>
          tf.tidy(() => {
            const shifted = base.slice();
            shifted[i] = base[i]! + delta;
            const args = xs.slice();
            args[k] = tf.tensor(shifted, x.shape, x.dtype);
            return f(...args).dataSync()[0]!;
          });
        numeric[i] = (eval_(eps) - eval_(-eps)) / (2 * eps);
      }
      expectTensorsClose(
        grads[k]!,
        { values: numeric, shape: x.shape },
        { rtol: options.rtol ?? 2e-2, atol: options.atol ?? 2e-3, label: `gradient of input ${k}` },
      );
    });
  });
}
