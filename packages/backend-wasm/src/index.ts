/**
 * `@plasticity/backend-wasm`: tfjs's WebAssembly backend behind the Plasticity backend contract.
 *
 * @packageDocumentation
 */
import type { BackendPlugin } from '@plasticity/core';

export interface WasmBackendOptions {
  threads?: number;
}

export const wasmBackend: BackendPlugin<WasmBackendOptions> = {
  name: 'wasm',
  priority: 20,
  description: 'tfjs-backend-wasm: XNNPACK kernels with SIMD',
  isSupported: () =>
    typeof WebAssembly === 'object'
      ? { supported: true }
      : { supported: false, reason: 'WebAssembly is not available in this JavaScript environment' },
  async load(): Promise<void> {
    await import('@tensorflow/tfjs-backend-wasm');
  },
};
