/**
 * Activation functions by name (Keras names). `getActivation('relu')(x)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue } from '@plasticity/core';

/** An element-wise activation function. */
export type ActivationFn = (x: tf.Tensor) => tf.Tensor;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * The activations layers accept by name (`activation: 'relu'`): linear, relu, relu6, sigmoid, hardSigmoid, tanh, softmax, logSoftmax, elu, selu, softplus, softsign, swish, gelu (tanh approximation), geluExact, mish (Keras names).
 */
export const ACTIVATIONS: Readonly<Record<string, ActivationFn>> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  sigmoid: (x) => tf.sigmoid(x),
  hardSigmoid: (x) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1),
  tanh: (x) => tf.tanh(x),
  softmax: (x) => tf.softmax(x),
  logSoftmax: (x) => tf.logSoftmax(x),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  softplus: (x) => tf.softplus(x),
  softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
  // tanh approximation, as Keras' gelu(approximate=True) and tfjs-layers' gelu_new
  gelu: (x) =>
    tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))))),
  mish: (x) => tf.mul(x, tf.tanh(tf.softplus(x))),
  // exact x·Φ(x), as Keras' gelu(approximate=False) and tfjs-layers' gelu
  geluExact: (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))),
};

/** Normalizes Keras spellings: `'log_softmax'` → `'logSoftmax'`, `'hard_sigmoid'` → `'hardSigmoid'`. */
export function activationName(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Looks an activation up by name; `undefined`/`null` mean linear. */
export function getActivation(name: string | null | undefined): ActivationFn {
  if (name === undefined || name === null) return ACTIVATIONS['linear']!;
  const fn = ACTIVATIONS[activationName(name)];
  if (fn === undefined) {
    throw new ValueError(
      `Unknown activation ${describeValue(name)}; use one of ${Object.keys(ACTIVATIONS).join(', ')}.`,
      { field: 'activation', value: name },
    );
  }
  return fn;
}
