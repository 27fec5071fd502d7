/**
 * `MAX_POOL_ARGMAX_GRAD_KERNEL` of `@plasticity/core` on wasm, in SIMD WebAssembly
 * (`maxPoolArgmaxGrad` of simd.wat): the gradient of max pooling as a scatter through the argmax
 * that MaxPoolArgmax.ts recorded.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MAX_POOL_ARGMAX_GRAD_KERNEL } from '@plasticity/core';
import { offset, simd, type WasmHeap } from './simd-module.js';

/** The wasm kernel of `MAX_POOL_ARGMAX_GRAD_KERNEL`; registered by the plugin's `load`. */
export const maxPoolArgmaxGradConfig: tf.KernelConfig = {
  kernelName: MAX_POOL_ARGMAX_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const heap = backend as unknown as WasmHeap;
    const { dy, argmax } = inputs as { dy: tf.TensorInfo; argmax: tf.TensorInfo };
    const { inputShape } = attrs as unknown as { inputShape: number[] };
    if (dy.dtype !== 'float32' || argmax.dtype !== 'int32' || !tf.util.arraysEqual(dy.shape, argmax.shape)) {
      throw new Error(`${MAX_POOL_ARGMAX_GRAD_KERNEL} on wasm: dy (float32) and argmax (int32) must have one shape`);
    }
    const dx = heap.makeOutput([...inputShape], 'float32');
    const at = (t: tf.TensorInfo): number => offset(heap, t, MAX_POOL_ARGMAX_GRAD_KERNEL);
    simd(heap).maxPoolArgmaxGrad(
      at(dy),
      at(argmax),
      at(dx),
      tf.util.sizeFromShape(dy.shape),
      tf.util.sizeFromShape(inputShape),
    );
    return dx;
  },
};
