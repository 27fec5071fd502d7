/**
 * Array kernels: compiled routines over plain typed arrays in a memory of their own, for work that
 * is not tensor work at all (the per-rating SGD of matrix factorisation, a seeded sampler). They
 * are looked up by contract name, the way tfjs kernels are, but do not go through the tfjs engine
 * and do not depend on the active tensor backend.
 *
 * A backend package provides them (the wasm plugin compiles SIMD WebAssembly for
 * {@link MATRIX_FACTORIZATION_KERNELS}) by listing them in {@link BackendPlugin.arrayKernels};
 * `registerBackendPlugin` makes them available and `unregisterBackendPlugin` withdraws them. A
 * caller asks {@link getArrayKernels} and keeps a portable JavaScript path for when no registered
 * backend provides the contract.
 *
 * @example
 * ```ts
 * import { MATRIX_FACTORIZATION_KERNELS, getArrayKernels, type MatrixFactorizationExports } from '@plasticity/core';
 *
 * const kernels = getArrayKernels<MatrixFactorizationExports>(MATRIX_FACTORIZATION_KERNELS);
 * const instance = await kernels?.instantiate(1 << 20); // undefined: use the JavaScript path
 * if (instance !== undefined) {
 *   const factors = new Float32Array(instance.memory.buffer, 0, 1024); // lay the data out, then
 *   // instance.exports.svdEpoch(…) with byte offsets into instance.memory
 * }
 * ```
 */
import { ValueError, describeValue } from './errors.js';

/** The memory an array-kernel instance works in (a `WebAssembly.Memory`, or any ArrayBuffer holder). */
export interface ArrayKernelMemory {
  /** The bytes the kernels read and write; pointers passed to the exports are offsets into it. */
  readonly buffer: ArrayBuffer;
}

/** One instance of an array-kernel module: its functions and the memory they work in. */
export interface ArrayKernelInstance<Exports extends object = object> {
  /** The kernel functions of the contract (e.g. {@link MatrixFactorizationExports}). */
  readonly exports: Exports;
  /** Where the caller lays out inputs and reads outputs; the instance's own, not shared. */
  readonly memory: ArrayKernelMemory;
}

/** An implementation of an array-kernel contract, as a backend package provides it. */
export interface ArrayKernelModule<Exports extends object = object> {
  /** The contract it implements, e.g. {@link MATRIX_FACTORIZATION_KERNELS}. */
  readonly name: string;
  /**
   * A fresh instance whose memory holds at least `bytes` bytes, or `undefined` when it cannot run
   * here (no WebAssembly or SIMD, a memory too large to allocate); the caller then uses its
   * JavaScript path.
   */
  instantiate(bytes: number): Promise<ArrayKernelInstance<Exports> | undefined>;
}

interface ArrayKernelEntry {
  module: ArrayKernelModule;
  /** The backend plugin that provided it, if one did. */
  provider: string | undefined;
}

const STORE_KEY = Symbol.for('@plasticity/core/array-kernels');

function store(): Map<string, ArrayKernelEntry> {
  const holder = globalThis as unknown as Record<symbol, Map<string, ArrayKernelEntry> | undefined>;
  let existing = holder[STORE_KEY];
  if (existing === undefined) {
    existing = new Map();
    holder[STORE_KEY] = existing;
  }
  return existing;
}

/**
 * Makes `module` the implementation of its contract (replacing an earlier one). Backend plugins
 * list theirs in `BackendPlugin.arrayKernels` instead, so that unregistering the plugin withdraws
 * them; `provider` names that plugin.
 */
export function registerArrayKernels(module: ArrayKernelModule, provider?: string): void {
  if (typeof module?.name !== 'string' || module.name === '' || typeof module.instantiate !== 'function') {
    throw new ValueError(
      `An array-kernel module needs a name and an instantiate(bytes) function; got ${describeValue(module?.name)}.`,
      { field: 'name', value: module?.name },
    );
  }
  store().set(module.name, { module, provider });
}

/** Removes the implementation of contract `name`; returns whether there was one. */
export function unregisterArrayKernels(name: string): boolean {
  return store().delete(name);
}

/** Called by `unregisterBackendPlugin`: withdraws the array kernels that plugin provided. */
export function forgetArrayKernelsOf(provider: string): void {
  const s = store();
  for (const [name, entry] of s) if (entry.provider === provider) s.delete(name);
}

/**
 * The registered implementation of array-kernel contract `name`, or `undefined` when no
 * registered backend provides it. `Exports` is the contract's function table.
 */
export function getArrayKernels<Exports extends object>(name: string): ArrayKernelModule<Exports> | undefined {
  return store().get(name)?.module as ArrayKernelModule<Exports> | undefined;
}
