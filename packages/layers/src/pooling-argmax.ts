/**
 * Max pooling that keeps each window's argmax, so that the backward pass is a scatter instead of
 * tfjs's second search of every window (MaxPoolGrad), through the kernel contracts
 * `MAX_POOL_ARGMAX_KERNEL` and `MAX_POOL_ARGMAX_GRAD_KERNEL` of `@plasticity/core` (which document
 * them). The backends own the implementations (`@plasticity/backend-wasm` in WebAssembly,
 * `@plasticity/backend-cpu` as host kernels); on a backend without them (WebGL, WebGPU) this is
 * tfjs's `maxPool` and its gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  MAX_POOL_ARGMAX_GRAD_KERNEL,
  MAX_POOL_ARGMAX_KERNEL,
  runHostKernel,
  type MaxPoolArgmaxAttrs,
} from '@plasticity/core';

function tapeIsOn(): boolean {
  return (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();
}

/**
 * `tf.maxPool`, whose gradient (when one is being recorded and the backend has the argmax
 * kernels) scatters through the argmax saved in the forward pass.
 */
export function maxPool(
  x: tf.Tensor4D,
  filterSize: [number, number],
  strides: [number, number],
  pad: 'valid' | 'same',
): tf.Tensor4D {
  const backend = tf.getBackend();
  if (
    !tapeIsOn() ||
    x.dtype !== 'float32' ||
    tf.getKernel(MAX_POOL_ARGMAX_KERNEL, backend) === undefined ||
    tf.getKernel(MAX_POOL_ARGMAX_GRAD_KERNEL, backend) === undefined
  ) {
    return tf.maxPool(x, filterSize, strides, pad);
  }
  const attrs: MaxPoolArgmaxAttrs = { filterSize, strides, pad };
  const pool = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, argmax] = runHostKernel(MAX_POOL_ARGMAX_KERNEL, { x: input }, { ...attrs });
    save([argmax!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        runHostKernel(MAX_POOL_ARGMAX_GRAD_KERNEL, { dy, argmax: saved[0]! }, { inputShape: [...input.shape] })[0]!,
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return tf.tidy(() => pool(x) as tf.Tensor4D);
}
