/**
 * Loads the WebAssembly SIMD kernels (kernels.wat, embedded as base64 in kernels-wasm.ts). Uses
 * only the standard `WebAssembly` and `atob` globals, so it runs in Node and in browsers; the
 * module is compiled once, asynchronously, on first use. Each fit instantiates it afresh with its
 * own memory, sized to its data, and drops both when done.
 */
import { deterministicLog, type Rng } from '@plasticity/core';
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
  pcg32Fill(state: number, out: number, n: number): void;
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

/** 32-bit draws per `pcg32Fill` call of {@link fillNormal}. */
const RNG_CHUNK = 8192;

/** The bytes of kernel memory {@link fillNormal} needs: the PCG32 state and a chunk of draws. */
export const RNG_SCRATCH_BYTES = 16 + 4 * RNG_CHUNK;

/**
 * Fills `out` with `rng.normal(mean, std)` draws: the same numbers in the same order, leaving `rng`
 * in the same state (spare normal included) as that many `normal` calls. With `kernels`, the
 * PCG32 stream is drawn by the kernel's `pcg32Fill` (64-bit integer arithmetic, which JS lacks),
 * into `RNG_SCRATCH_BYTES` bytes at `scratchAt`; without, by `rng.normal` itself.
 */
export function fillNormal(
  rng: Rng,
  out: Float32Array | Float64Array,
  mean: number,
  std: number,
  kernels?: { instance: KernelInstance; scratchAt: number },
  layout: { width: number; stride: number } = { width: out.length, stride: out.length },
): void {
  // Rows of `width` draws, `stride` apart (the padding in between is left alone).
  const { width, stride } = layout;
  const count = (out.length / stride) * width;
  const skip = stride - width;
  let at = 0;
  let col = 0;
  if (kernels === undefined) {
    for (let k = 0; k < count; k++) {
      out[at++] = rng.normal(mean, std);
      if (++col === width) {
        col = 0;
        at += skip;
      }
    }
    return;
  }
  const { instance, scratchAt } = kernels;
  const { pcg32Fill } = instance.exports;
  const state = rng.getState();
  const words = new Uint32Array(instance.memory.buffer, scratchAt, 4);
  words[0] = state.stateLo;
  words[1] = state.stateHi;
  words[2] = state.incLo;
  words[3] = state.incHi;
  const drawsAt = scratchAt + 16;
  const draws = new Uint32Array(instance.memory.buffer, drawsAt, RNG_CHUNK);
  // The state at the start of the current chunk, to re-advance by exactly the draws used.
  let chunkLo = words[0];
  let chunkHi = words[1];
  let used = RNG_CHUNK;
  let drawn = false;
  let spare = state.spareNormal;
  for (let k = 0; k < count; k++) {
    if (++col === width) col = 0;
    if (spare !== null) {
      out[at] = mean + std * spare;
      at += col === 0 ? skip + 1 : 1;
      spare = null;
      continue;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      // Four draws: two 53-bit uniforms, as Rng.uniform makes them.
      if (used > RNG_CHUNK - 4) {
        // Rewind the unused tail of the chunk, then draw a fresh one.
        if (drawn) {
          words[0] = chunkLo;
          words[1] = chunkHi;
          pcg32Fill(scratchAt, drawsAt, used);
        }
        chunkLo = words[0]!;
        chunkHi = words[1]!;
        pcg32Fill(scratchAt, drawsAt, RNG_CHUNK);
        drawn = true;
        used = 0;
      }
      u = 2 * (((draws[used]! >>> 5) * 67108864 + (draws[used + 1]! >>> 6)) / 9007199254740992) - 1;
      v = 2 * (((draws[used + 2]! >>> 5) * 67108864 + (draws[used + 3]! >>> 6)) / 9007199254740992) - 1;
      used += 4;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * deterministicLog(s)) / s);
    spare = v * factor;
    out[at] = mean + std * u * factor;
    at += col === 0 ? skip + 1 : 1;
  }
  if (drawn) {
    words[0] = chunkLo;
    words[1] = chunkHi;
    pcg32Fill(scratchAt, drawsAt, used);
  }
  rng.setState({ stateHi: words[1]!, stateLo: words[0]!, incHi: state.incHi, incLo: state.incLo, spareNormal: spare });
}
