/**
 * `@plasticity/backend-wasm`: tfjs's WebAssembly backend (XNNPACK kernels, SIMD) behind the
 * Plasticity backend contract, with no configuration in Node (the `.wasm` files are found next to
 * the package), the kernels tfjs-backend-wasm lacks filled in from the CPU backend, and an opt-in
 * multi-threaded mode for Node.
 *
 * @example
 * ```ts
 * import { useBackend } from '@plasticity/core';
 * import '@plasticity/backend-wasm/register';
 *
 * await useBackend('wasm');                                    // one thread
 * await useBackend('wasm', { options: { wasm: { threads: 2 } } }); // or: two threads (Node)
 * ```
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue, type BackendPlugin, type BackendSupport } from '@plasticity/core';
import { bridgeMissingKernelsLazily, type HeapBackend } from './kernel-bridge.js';
import { installExplicitTransposeMatMul } from './kernels/BatchMatMul.js';
import { installConv2DBackpropFilter } from './kernels/Conv2DBackpropFilter.js';
import { installMaxPoolGrad } from './kernels/MaxPoolGrad.js';
import { installConv2DBackpropInput } from './kernels/Conv2DBackpropInput.js';
import { installSimdKernels } from './kernels/simd.js';
import { tfjsWasm } from '#tfjs-modules';
import { keepNodeErrorReporting } from './emscripten-listeners.js';
import { matrixFactorizationKernels } from './kernels/MatrixFactorization.js';

export { CPU_ONLY_KERNELS, REPLACED_WASM_KERNELS, bridgeMissingKernels } from './kernel-bridge.js';
export { installExplicitTransposeMatMul, setExplicitTransposeMatMul } from './kernels/BatchMatMul.js';
export { setStockConv2DBackpropInput } from './kernels/Conv2DBackpropInput.js';
export { setSharedIdentity } from './kernels/simd.js';
export { matrixFactorizationKernels } from './kernels/MatrixFactorization.js';

/** Options of the wasm backend's `load`, given as `useBackend('wasm', { options: { wasm: { … } } })`. */
export interface WasmBackendOptions {
  /**
   * Threads for XNNPACK kernels, main thread included: a number (1–8) or `'auto'` (the number of
   * cores, at most 8). Default 1. In Node, more than one thread uses the threaded build through
   * a start-up shim (see the README); in a browser it needs a cross-origin-isolated page.
   * Results are identical for every thread count.
   */
  threads?: number | 'auto';
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

function hardwareThreads(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/** Validates the `threads` option and resolves `'auto'`. */
export function resolveThreads(threads: WasmBackendOptions['threads'], cores = hardwareThreads()): number {
  if (threads === undefined) return 1;
  if (threads === 'auto') return Math.min(8, Math.max(1, cores));
  if (!Number.isInteger(threads) || threads < 1 || threads > 8) {
    throw new ValueError(
      `wasm option threads must be an integer from 1 to 8 or 'auto'; got ${describeValue(threads)}.`,
      {
        field: 'threads',
        value: threads,
      },
    );
  }
  return threads;
}

let loadedThreads: number | undefined;

/** The wasm backend plugin (`name: 'wasm'`, priority 20). Importing this registers nothing. */
export const wasmBackend: BackendPlugin<WasmBackendOptions> = {
  name: 'wasm',
  priority: 20,
  description: 'tfjs-backend-wasm: XNNPACK kernels with SIMD; optional threads',
  isSupported(): BackendSupport {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
      return { supported: false, reason: 'WebAssembly is not available in this JavaScript environment' };
    }
    return { supported: true };
  },
  async load(options: WasmBackendOptions = {}): Promise<void> {
    const threads = resolveThreads(options.threads);
    const wasm = await tfjsWasm();
    installConv2DBackpropFilter(); // before the bridge, which would fill it from the CPU
    bridgeMissingKernelsLazily('wasm', wasm.version_wasm);
    installMaxPoolGrad();
    installConv2DBackpropInput();
    installExplicitTransposeMatMul('wasm');
    installSimdKernels();
    if (loadedThreads === threads) return keepNodeErrorReporting();
    if (loadedThreads !== undefined) {
      throw new ValueError(
        `The wasm backend was already loaded with ${loadedThreads} thread(s); threads cannot change to ${threads} ` +
          'within one process.',
        { field: 'threads', value: threads },
      );
    }
    if (threads > 1 && isNode) {
      const { installThreadedFactory } = await import('#node-threads');
      installThreadedFactory(threads, wasm.setThreadsCount);
    } else {
      wasm.setThreadsCount(threads);
    }
    keepNodeErrorReporting();
    loadedThreads = threads;
  },
  // SIMD SGD for SVD/NMF over typed arrays: available once the plugin is registered, whichever
  // backend then runs the tensors (it uses no tensors and a memory of its own).
  arrayKernels: [matrixFactorizationKernels],
  hostMemory: {
    alloc: (backend, shape, dtype) => (backend as unknown as HeapBackend).makeOutput([...shape], dtype),
    view(backend, info) {
      const heap = backend as unknown as WasmHeap;
      const entry = heap.dataIdMap.get(info.dataId);
      if (entry === undefined) throw new Error('wasm host memory: the tensor was disposed');
      const size = tf.util.sizeFromShape(info.shape);
      const buffer = heap.wasm.HEAPU8.buffer;
      return info.dtype === 'int32'
        ? new Int32Array(buffer, entry.memoryOffset, size)
        : new Float32Array(buffer, entry.memoryOffset, size);
    },
  },
};

/** The parts of tfjs-backend-wasm's BackendWasm that hand out views of its heap. */
interface WasmHeap {
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

/** The thread count the wasm backend is running with (after it initialized), from tfjs. */
export async function wasmThreadsInUse(): Promise<number> {
  const { getThreadsCount } = await tfjsWasm();
  return tf.getBackend() === 'wasm' ? getThreadsCount() : 0;
}
