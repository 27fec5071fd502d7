/**
 * The typed-array kernels SVD and NMF train with: the `MATRIX_FACTORIZATION_KERNELS` contract of
 * `@plasticity/core`, looked up by name. A backend package provides them (`@plasticity/backend-wasm`
 * in SIMD WebAssembly, once its plugin is registered); this package carries no WebAssembly of
 * its own. Without a provider, or where it cannot run, SVD and NMF use their float64 JavaScript
 * paths. Each fit gets an instance with its own memory, sized to its data, and drops both when done.
 */
import {
  MATRIX_FACTORIZATION_KERNELS,
  ValueError,
  getArrayKernels,
  type ArrayKernelInstance,
  type MatrixFactorizationExports,
  type Rng,
} from '@plasticity/core';

/** The kernel functions (the contract's exports). */
export type KernelExports = MatrixFactorizationExports;

/** An instance of the kernels with its own memory. */
export type KernelInstance = ArrayKernelInstance<KernelExports>;

let disabled = false;

/**
 * A fresh kernel instance whose memory holds at least `bytes` bytes, or undefined when the kernels
 * cannot run here (no registered backend provides them, no WebAssembly SIMD, memory beyond
 * wasm32's 4 GiB, or disabled by {@link setKernelsEnabled}); the caller then uses its JS path.
 */
export async function instantiateKernels(bytes: number): Promise<KernelInstance | undefined> {
  if (disabled) return undefined;
  return getArrayKernels<KernelExports>(MATRIX_FACTORIZATION_KERNELS)?.instantiate(bytes);
}

/** Turns the kernels off (the JS paths run instead) or back on; for tests and comparisons. */
export function setKernelsEnabled(enabled: boolean): void {
  disabled = !enabled;
}

/** Hands out 16-byte-aligned regions of a kernel memory, in order. */
export class MemoryPlan {
  private end = 0;

  /** Reserves `bytes` bytes; returns their byte offset. */
  take(bytes: number): number {
    const at = this.end;
    this.end += Math.ceil(bytes / 16) * 16;
    return at;
  }

  get bytes(): number {
    return this.end;
  }
}

/** Copies `[rows, fromWidth]` into `[rows, toWidth]` (the common columns; the rest of `to` kept). */
export function copyRows(from: ArrayLike<number>, fromWidth: number, to: Float32Array, toWidth: number): void {
  if (fromWidth === toWidth) {
    to.set(from);
    return;
  }
  const rows = from.length / fromWidth;
  const width = Math.min(fromWidth, toWidth);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) to[r * toWidth + c] = from[r * fromWidth + c]!;
  }
}

/** The bytes of kernel memory {@link fillNormal} needs: the PCG32 state and increment. */
export const RNG_SCRATCH_BYTES = 16;

/**
 * Fills `out` with `rng.normal(mean, std)` draws: the same numbers in the same order, leaving `rng`
 * in the same state (spare normal included) as that many `normal` calls. `layout` lays them out as
 * rows of `width` draws `stride` elements apart (the padding in between is left alone). With
 * `kernels`, `out` must lie in the kernel memory, and the kernel's `normalFill` draws them (it has
 * the 64-bit integers PCG32 needs, which JS lacks) using `RNG_SCRATCH_BYTES` bytes at `scratchAt`;
 * without, `rng.normal` does.
 */
export function fillNormal(
  rng: Rng,
  out: Float32Array | Float64Array,
  mean: number,
  std: number,
  kernels?: { instance: KernelInstance; scratchAt: number },
  layout: { width: number; stride: number } = { width: out.length, stride: out.length },
): void {
  const { width, stride } = layout;
  const rows = out.length / stride;
  if (kernels === undefined) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < width; c++) out[r * stride + c] = rng.normal(mean, std);
    }
    return;
  }
  const { instance, scratchAt } = kernels;
  if (!(out instanceof Float32Array) || out.buffer !== instance.memory.buffer) {
    throw new ValueError('fillNormal: with kernels, out must be a Float32Array view of the kernel memory.', {
      field: 'out',
      value: out,
    });
  }
  const state = rng.getState();
  const words = new Uint32Array(instance.memory.buffer, scratchAt, 4);
  words[0] = state.stateLo;
  words[1] = state.stateHi;
  words[2] = state.incLo;
  words[3] = state.incHi;
  const spare = instance.exports.normalFill(
    scratchAt,
    out.byteOffset,
    rows,
    width,
    stride * 4,
    mean,
    std,
    state.spareNormal ?? Number.NaN,
  );
  rng.setState({
    stateHi: words[1]!,
    stateLo: words[0]!,
    incHi: state.incHi,
    incLo: state.incLo,
    spareNormal: Number.isNaN(spare) ? null : spare,
  });
}
