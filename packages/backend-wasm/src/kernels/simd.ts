/**
 * Kernels in SIMD WebAssembly of our own (simd.wat), run on tfjs-backend-wasm's heap: the module
 * imports the backend's memory, so inputs and outputs are used in place, with no copies.
 *
 * - `PlasticityAdamUpdate` (the contract is `ADAM_UPDATE_KERNEL` in `@plasticity/core`): one
 *   pass over the weights instead of Adam's dozen element-wise kernels and scalar uploads per
 *   variable.
 * - `PlasticityMaxPoolArgmax` and its gradient (`MAX_POOL_ARGMAX_KERNEL` in core): max pooling
 *   that records each window's argmax, so that the backward pass is a scatter.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ADAM_UPDATE_KERNEL,
  MAX_POOL_ARGMAX_GRAD_KERNEL,
  MAX_POOL_ARGMAX_KERNEL,
  type AdamUpdateAttrs,
  type MaxPoolArgmaxAttrs,
} from '@plasticity/core';
import type { HeapBackend } from '../kernel-bridge.js';
import { SIMD_WASM_PLAIN, SIMD_WASM_SHARED } from './simd-wasm.js';

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmHeap extends HeapBackend {
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  /** The single-threaded build exports its memory (`asm.memory`); the threaded one imports it (`wasmMemory`). */
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
}

interface SimdExports {
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
function simd(backend: WasmHeap): SimdExports {
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

function offset(backend: WasmHeap, info: tf.TensorInfo, kernel: string): number {
  const entry = backend.dataIdMap.get(info.dataId);
  if (entry === undefined) throw new Error(`${kernel} on wasm: an input was disposed`);
  return entry.memoryOffset;
}

export const adamUpdateConfig: tf.KernelConfig = {
  kernelName: ADAM_UPDATE_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const heap = backend as unknown as WasmHeap;
    const { variable, grad, m, v } = inputs as Record<'variable' | 'grad' | 'm' | 'v', tf.TensorInfo>;
    for (const [name, info] of Object.entries({ variable, grad, m, v })) {
      if (info?.dtype !== 'float32' || !tf.util.arraysEqual(info.shape, variable.shape)) {
        throw new Error(
          `${ADAM_UPDATE_KERNEL} on wasm: "${name}" must be float32 of shape [${variable.shape.join(',')}]`,
        );
      }
    }
    const a = attrs as unknown as AdamUpdateAttrs;
    const outs = [0, 1, 2].map(() => heap.makeOutput([...variable.shape], 'float32'));
    const at = (info: tf.TensorInfo): number => offset(heap, info, ADAM_UPDATE_KERNEL);
    simd(heap).adam(
      at(variable),
      at(grad),
      at(m),
      at(v),
      at(outs[0]!),
      at(outs[1]!),
      at(outs[2]!),
      tf.util.sizeFromShape(variable.shape),
      a.beta1,
      1 - a.beta1,
      a.beta2,
      1 - a.beta2,
      a.epsilon,
      a.bias2Sqrt,
      a.stepSize,
      a.l2,
      a.keep,
    );
    return outs;
  },
};

export const maxPoolArgmaxConfig: tf.KernelConfig = {
  kernelName: MAX_POOL_ARGMAX_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const heap = backend as unknown as WasmHeap;
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32' || x.shape.length !== 4) {
      throw new Error(
        `${MAX_POOL_ARGMAX_KERNEL} on wasm: x must be float32 of rank 4; got ${x.dtype} [${x.shape.join(',')}]`,
      );
    }
    const { filterSize, strides, pad } = attrs as unknown as MaxPoolArgmaxAttrs;
    const info = tf.backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
    );
    const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
    const y = heap.makeOutput(outShape, 'float32');
    const arg = heap.makeOutput(outShape, 'int32');
    const at = (t: tf.TensorInfo): number => offset(heap, t, MAX_POOL_ARGMAX_KERNEL);
    simd(heap).maxPoolArgmax(
      at(x),
      at(y),
      at(arg),
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outHeight,
      info.outWidth,
      info.filterHeight,
      info.filterWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
    );
    return [y, arg];
  },
};

export const maxPoolArgmaxGradConfig: tf.KernelConfig = {
  kernelName: MAX_POOL_ARGMAX_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const heap = backend as unknown as WasmHeap;
    const { dy, argmax } = inputs as { dy: tf.TensorInfo; argmax: tf.TensorInfo };
    const { inputShape } = attrs as unknown as { inputShape: number[] };
    if (dy.dtype !== 'float32' || argmax.dtype !== 'int32' || !tf.util.arraysEqual(dy.shape, argmax.shape)) {
      throw new Error(`${MAX_POOL_ARGMAX_GRAD_KERNEL} on wasm: dy (float32) and argmax (int32) must have one shape`);
    }
    const dx = heap.makeOutput([...inputShape], 'float32');
    const at = (t: tf.TensorInfo): number => offset(heap, t, MAX_POOL_ARGMAX_GRAD_KERNEL);
    simd(heap).maxPoolArgmaxGrad(
      at(dy),
      at(argmax),
      at(dx),
      tf.util.sizeFromShape(dy.shape),
      tf.util.sizeFromShape(inputShape),
    );
    return dx;
  },
};

/**
 * Identity that shares the input's memory (as tfjs-backend-wasm's own Reshape does, and the CPU
 * and WebGL backends' Identity) instead of copying it. The engine runs Identity for every input
 * it saves for the backward pass, so a training step calls it dozens of times.
 */
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

/** Registers the SIMD kernels on wasm (replacing wasm's copying Identity). */
export function installSimdKernels(): void {
  const identity = tf.getKernel('Identity', 'wasm');
  if (identity !== undefined && identity !== identityConfig) stockIdentity = identity;
  for (const config of [adamUpdateConfig, maxPoolArgmaxConfig, maxPoolArgmaxGradConfig, identityConfig]) {
    const existing = tf.getKernel(config.kernelName, 'wasm');
    if (existing === config) continue;
    if (existing !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}
