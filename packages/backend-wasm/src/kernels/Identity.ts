/**
 * Identity that shares the input's memory (as tfjs-backend-wasm's own Reshape does, and the CPU
 * and WebGL backends' Identity) instead of copying it. The engine runs Identity for every input
 * it saves for the backward pass, so a training step calls it dozens of times.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The sharing Identity kernel for wasm; registered by the plugin's `load`. */
export const identityConfig: tf.KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const heap = backend as unknown as { incRef(dataId: object): void };
    heap.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  },
};

let stockIdentity: tf.KernelConfig | undefined;

/** Keeps tfjs-backend-wasm's own Identity (before ours replaces it) for {@link setSharedIdentity}. */
export function rememberStockIdentity(): void {
  const identity = tf.getKernel('Identity', 'wasm');
  if (identity !== undefined && identity !== identityConfig) stockIdentity = identity;
}

/**
 * Switches Identity between the sharing kernel here (the default) and tfjs-backend-wasm's
 * copying one, for benchmarks that compare against the stock backend.
 */
export function setSharedIdentity(enabled: boolean): void {
  const current = tf.getKernel('Identity', 'wasm');
  if (current === undefined) throw new Error('setSharedIdentity: load the wasm backend first');
  if (enabled === (current === identityConfig)) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel(enabled ? identityConfig : stockIdentity!);
}
