/**
 * `ADAM_UPDATE_KERNEL` of `@plasticity/core` (which documents the arithmetic) on wasm, in SIMD
 * WebAssembly (`adam` of simd.wat): one pass over the weights instead of Adam's dozen
 * element-wise kernels and scalar uploads per variable.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL, type AdamUpdateAttrs } from '@plasticity/core';
import { offset, simd, type WasmHeap } from './simd-module.js';

/** The wasm kernel of `ADAM_UPDATE_KERNEL`; registered by the plugin's `load`. */
export const adamUpdateConfig: tf.KernelConfig = {
  kernelName: ADAM_UPDATE_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const heap = backend as unknown as WasmHeap;
    const { variable, grad, m, v } = inputs as Record<'variable' | 'grad' | 'm' | 'v', tf.TensorInfo>;
    for (const [name, info] of Object.entries({ variable, grad, m, v })) {
      if (info?.dtype !== 'float32' || !tf.util.arraysEqual(info.shape, variable.shape)) {
        throw new Error(
          `${ADAM_UPDATE_KERNEL} on wasm: "${name}" must be float32 of shape [${variable.shape.join(',')}]`,
        );
      }
    }
    const a = attrs as unknown as AdamUpdateAttrs;
    const outs = [0, 1, 2].map(() => heap.makeOutput([...variable.shape], 'float32'));
    const at = (info: tf.TensorInfo): number => offset(heap, info, ADAM_UPDATE_KERNEL);
    simd(heap).adam(
      at(variable),
      at(grad),
      at(m),
      at(v),
      at(outs[0]!),
      at(outs[1]!),
      at(outs[2]!),
      tf.util.sizeFromShape(variable.shape),
      a.beta1,
      1 - a.beta1,
      a.beta2,
      1 - a.beta2,
      a.epsilon,
      a.bias2Sqrt,
      a.stepSize,
      a.l2,
      a.keep,
    );
    return outs;
  },
};
