/**
 * `MAX_POOL_ARGMAX_KERNEL` of `@plasticity/core` (which documents it) on wasm, in SIMD
 * WebAssembly (`maxPoolArgmax` of simd.wat): max pooling that records each window's first
 * maximum, so that the backward pass (MaxPoolArgmaxGrad.ts) is a scatter.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MAX_POOL_ARGMAX_KERNEL, type MaxPoolArgmaxAttrs } from '@plasticity/core';
import { offset, simd, type WasmHeap } from './simd-module.js';

/** The wasm kernel of `MAX_POOL_ARGMAX_KERNEL`; registered by the plugin's `load`. */
export const maxPoolArgmaxConfig: tf.KernelConfig = {
  kernelName: MAX_POOL_ARGMAX_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const heap = backend as unknown as WasmHeap;
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32' || x.shape.length !== 4) {
      throw new Error(
        `${MAX_POOL_ARGMAX_KERNEL} on wasm: x must be float32 of rank 4; got ${x.dtype} [${x.shape.join(',')}]`,
      );
    }
    const { filterSize, strides, pad } = attrs as unknown as MaxPoolArgmaxAttrs;
    const info = tf.backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
    );
    const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
    const y = heap.makeOutput(outShape, 'float32');
    const arg = heap.makeOutput(outShape, 'int32');
    const at = (t: tf.TensorInfo): number => offset(heap, t, MAX_POOL_ARGMAX_KERNEL);
    simd(heap).maxPoolArgmax(
      at(x),
      at(y),
      at(arg),
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outHeight,
      info.outWidth,
      info.filterHeight,
      info.filterWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
    );
    return [y, arg];
  },
};
