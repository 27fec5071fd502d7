/**
 * Our own tensor kernels on wasm, each in `kernels/<KernelName>.ts`: the SIMD WebAssembly ones
 * (simd-module.ts loads simd.wat onto the backend's heap) and an Identity that shares memory.
 *
 * - `PlasticityAdamUpdate` (AdamUpdate.ts; the contract is `ADAM_UPDATE_KERNEL` in
 *   `@plasticity/core`): one pass over the weights instead of Adam's dozen element-wise kernels
 *   and scalar uploads per variable.
 * - `PlasticityMaxPoolArgmax` and its gradient (MaxPoolArgmax.ts, MaxPoolArgmaxGrad.ts;
 *   `MAX_POOL_ARGMAX_KERNEL` in core): max pooling that records each window's argmax, so that the
 *   backward pass is a scatter.
 * - `Identity` (Identity.ts): shares the input's memory instead of copying it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamUpdateConfig } from './AdamUpdate.js';
import { identityConfig, rememberStockIdentity } from './Identity.js';
import { maxPoolArgmaxConfig } from './MaxPoolArgmax.js';
import { maxPoolArgmaxGradConfig } from './MaxPoolArgmaxGrad.js';

export { adamUpdateConfig } from './AdamUpdate.js';
export { identityConfig, setSharedIdentity } from './Identity.js';
export { maxPoolArgmaxConfig } from './MaxPoolArgmax.js';
export { maxPoolArgmaxGradConfig } from './MaxPoolArgmaxGrad.js';

/** Registers the SIMD kernels on wasm (replacing wasm's copying Identity). */
export function installSimdKernels(): void {
  rememberStockIdentity();
  for (const config of [adamUpdateConfig, maxPoolArgmaxConfig, maxPoolArgmaxGradConfig, identityConfig]) {
    const existing = tf.getKernel(config.kernelName, 'wasm');
    if (existing === config) continue;
    if (existing !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}
