/**
 * The SIMD WebAssembly module of our own tensor kernels (simd.wat, compiled by
 * scripts/build-wasm.mjs into simd-wasm.ts), instantiated on tfjs-backend-wasm's heap: it imports
 * the backend's memory, so the kernels in AdamUpdate.ts, MaxPoolArgmax.ts and
 * MaxPoolArgmaxGrad.ts use their inputs and outputs in place, with no copies.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from '../kernel-bridge.js';
import { SIMD_WASM_PLAIN, SIMD_WASM_SHARED } from './simd-wasm.js';

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
export interface WasmHeap extends HeapBackend {
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  /** The single-threaded build exports its memory (`asm.memory`); the threaded one imports it (`wasmMemory`). */
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
}

/** The functions of simd.wat; every pointer is a byte offset into the backend's heap. */
export interface SimdExports {
  adam(
    w: number,
    g: number,
    m: number,
    v: number,
    wo: number,
    mo: number,
    vo: number,
    n: number,
    b1: number,
    c1: number,
    b2: number,
    c2: number,
    eps: number,
    bias2Sqrt: number,
    stepSize: number,
    l2: number,
    keep: number,
  ): void;
  maxPoolArgmax(
    x: number,
    y: number,
    arg: number,
    batch: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
    fh: number,
    fw: number,
    sh: number,
    sw: number,
    top: number,
    left: number,
  ): void;
  maxPoolArgmaxGrad(dy: number, arg: number, dx: number, n: number, nx: number): void;
}

let instance: { memory: WebAssembly.Memory; exports: SimdExports } | undefined;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The module instantiated on `backend`'s memory (again if the backend was re-created). */
export function simd(backend: WasmHeap): SimdExports {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (memory === undefined) throw new Error('wasm: cannot find the backend memory for our SIMD kernels');
  if (instance?.memory !== memory) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = new WebAssembly.Module(decode(shared ? SIMD_WASM_SHARED : SIMD_WASM_PLAIN));
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdExports;
    instance = { memory, exports };
  }
  return instance.exports;
}

/** The heap offset of a tensor's data; `kernel` names the caller in the error. */
export function offset(backend: WasmHeap, info: tf.TensorInfo, kernel: string): number {
  const entry = backend.dataIdMap.get(info.dataId);
  if (entry === undefined) throw new Error(`${kernel} on wasm: an input was disposed`);
  return entry.memoryOffset;
}
