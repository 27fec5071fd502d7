/**
 * Loads the WebAssembly SIMD kernels (kernels.wat, embedded as base64 in kernels-wasm.ts). Uses
 * only the standard `WebAssembly` and `atob` globals, so it runs in Node and in browsers; the
 * module is compiled once, asynchronously, on first use. Each fit instantiates it afresh with its
 * own memory, sized to its data, and drops both when done.
 */
import { ValueError, type Rng } from '@plasticity/core';
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

export interface KernelExports {
  svdEpoch(
    n: number,
    users: number,
    items: number,
    ratings: number,
    pu: number,
    qi: number,
    bu: number,
    bi: number,
    stride: number,
    mu: number,
    biased: number,
    lrBu: number,
    lrBi: number,
    regBu: number,
    regBi: number,
    lrPu: number,
    lrQi: number,
    keepP: number,
    keepQ: number,
  ): number;
  nmfSide(
    rows: number,
    indptr: number,
    indices: number,
    values: number,
    own: number,
    other: number,
    num: number,
    den: number,
    stride: number,
  ): number;
  nmfUpdate(rows: number, indptr: number, x: number, num: number, den: number, stride: number, reg: number): void;
  normalFill(
    state: number,
    out: number,
    rows: number,
    width: number,
    stride: number,
    mean: number,
    std: number,
    spare: number,
  ): number;
}

/** An instance of the kernels with its own memory. */
export interface KernelInstance {
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
}

const PAGE = 65536;
/** wasm32 addresses at most 4 GiB; stay below it. */
const MAX_PAGES = 65535;

let compiled: Promise<WebAssembly.Module | undefined> | undefined;
let disabled = false;

export function kernelBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(KERNELS_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
  return bytes;
}

/** The compiled module, or undefined where WebAssembly or its SIMD extension is unavailable. */
function compileKernels(): Promise<WebAssembly.Module | undefined> {
  compiled ??= (async () => {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.compile !== 'function') return undefined;
    const bytes = kernelBytes();
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
 * A fresh kernel instance whose memory holds at least `bytes` bytes, or undefined when the kernels
 * cannot run here (no WebAssembly SIMD, memory beyond wasm32's 4 GiB, or disabled by
 * {@link setKernelsEnabled}); the caller then uses its JS path.
 */
export async function instantiateKernels(bytes: number): Promise<KernelInstance | undefined> {
  if (disabled) return undefined;
  const module = await compileKernels();
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
  return { exports: instance.exports as unknown as KernelExports, memory };
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
