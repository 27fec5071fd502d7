/**
 * `MATRIX_FACTORIZATION_KERNELS` of `@plasticity/core` (SVD's and NMF's SGD over typed arrays) in
 * SIMD WebAssembly (MatrixFactorization.wat), as an array-kernel module that the wasm plugin
 * lists in `arrayKernels`. It needs no tensors and not the tfjs wasm backend: it uses only the
 * standard `WebAssembly` and `atob` globals, so it runs in Node and in browsers. The module is
 * compiled once, asynchronously, on first use; each instance gets a memory of its own, sized to
 * the caller's data, and is dropped with it.
 */
import {
  MATRIX_FACTORIZATION_KERNELS,
  type ArrayKernelInstance,
  type ArrayKernelModule,
  type MatrixFactorizationExports,
} from '@plasticity/core';
import { MATRIX_FACTORIZATION_WASM } from './MatrixFactorization-wasm.js';

const PAGE = 65536;
/** wasm32 addresses at most 4 GiB; stay below it. */
const MAX_PAGES = 65535;

let compiled: Promise<WebAssembly.Module | undefined> | undefined;

/** The bytes of the compiled MatrixFactorization.wat. */
export function matrixFactorizationBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(MATRIX_FACTORIZATION_WASM);
  const bytes = new Uint8Array(text.length);
  for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
  return bytes;
}

/** The compiled module, or undefined where WebAssembly or its SIMD extension is unavailable. */
function compileModule(): Promise<WebAssembly.Module | undefined> {
  compiled ??= (async () => {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.compile !== 'function') return undefined;
    const bytes = matrixFactorizationBytes();
    // validate() is false where the engine lacks SIMD (the module's only extension).
    if (!WebAssembly.validate(bytes)) return undefined;
    try {
      return await WebAssembly.compile(bytes);
    } catch {
      return undefined;
    }
  })();
  return compiled;
}

/**
 * The wasm implementation of `MATRIX_FACTORIZATION_KERNELS`. `instantiate(bytes)` returns
 * undefined where it cannot run (no WebAssembly SIMD, more than wasm32's 4 GiB, an allocation the
 * engine refuses), and the caller falls back to its JavaScript path.
 */
export const matrixFactorizationKernels: ArrayKernelModule<MatrixFactorizationExports> = {
  name: MATRIX_FACTORIZATION_KERNELS,
  async instantiate(bytes: number): Promise<ArrayKernelInstance<MatrixFactorizationExports> | undefined> {
    const module = await compileModule();
    if (module === undefined) return undefined;
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    if (pages > MAX_PAGES) return undefined;
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: pages });
    } catch {
      return undefined; // The engine refused the allocation: fall back to JS.
    }
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    return { exports: instance.exports as unknown as MatrixFactorizationExports, memory };
  },
};
