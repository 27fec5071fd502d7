/**
 * Host kernels: tfjs kernels written once over plain typed arrays, for every backend whose tensors
 * live in host memory (the CPU backend's JavaScript arrays, the wasm backend's heap).
 *
 * Some work is a handful of arithmetic on every element, where dispatching a dozen tfjs ops (each
 * with its own allocation, bookkeeping and, for scalars, an upload) costs more than the arithmetic:
 * an Adam step, or a pooling layer that keeps its argmax. A package writes such a kernel once with
 * {@link registerHostKernel}; a backend plugin that can lend its memory declares
 * {@link BackendPlugin.hostMemory}; the kernel is then registered with tfjs for that backend and
 * runs through the engine like any other op (tidy, profiling and gradients included). Callers
 * check {@link hasHostKernel} and keep an op-based path for the other backends (WebGL, WebGPU).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { hasHostKernel, registerHostKernel, runHostKernel } from '@plasticity/core';
 *
 * registerHostKernel({
 *   name: 'MyAxpy',
 *   inputs: ['x', 'y'],
 *   outputs: ([x]) => [{ shape: x!.shape, dtype: 'float32' }],
 *   run: ([x, y], [out], attrs) => {
 *     const a = attrs['a'] as number;
 *     for (let i = 0; i < out!.length; i++) out![i] = a * x![i]! + y![i]!;
 *   },
 * });
 * declare const x: tf.Tensor, y: tf.Tensor;
 * const z = hasHostKernel('MyAxpy') ? runHostKernel('MyAxpy', { x, y }, { a: 2 })[0]! : tf.add(tf.mul(x, 2), y);
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue } from './errors.js';

/** The dtypes host kernels read and write. */
export type HostDtype = 'float32' | 'int32';
/** A host kernel's view of one tensor. */
export type HostArray = Float32Array | Int32Array;

/**
 * How a backend lends its memory to host kernels. Implemented by backend plugins whose tensors
 * live in host memory; `backend` is the tfjs backend object a kernel receives.
 */
export interface HostMemory {
  /** Allocates an output tensor of `shape` and `dtype` on `backend`. */
  alloc(backend: tf.KernelBackend, shape: readonly number[], dtype: HostDtype): tf.TensorInfo;
  /**
   * A live view of the values of a tensor (no copy). Valid until the next `alloc` (which may move
   * the wasm heap). Kernels never write to their inputs' views.
   */
  view(backend: tf.KernelBackend, info: tf.TensorInfo): HostArray;
}

/** A kernel over typed arrays; see {@link registerHostKernel}. */
export interface HostKernel {
  /** The tfjs kernel name, e.g. `'PlasticityAdam'`. Prefix it with your package to avoid clashes. */
  readonly name: string;
  /**
   * Only these backends (default: every backend that lends memory). A JavaScript loop beats a
   * chain of the CPU backend's JavaScript kernels, but may lose to wasm's SIMD kernels: measure.
   */
  readonly backends?: readonly string[];
  /** Input names, in the order `run` receives them. */
  readonly inputs: readonly string[];
  /** The outputs' shapes and dtypes, from the inputs (in `inputs` order) and attributes. */
  outputs(
    inputs: readonly tf.TensorInfo[],
    attrs: Readonly<Record<string, unknown>>,
  ): {
    /** The output's shape, e.g. `[batch, features]`. */
    shape: number[];
    /** The output's dtype. */
    dtype: HostDtype;
  }[];
  /**
   * Computes the outputs. `outputs` are fresh arrays the kernel must fill completely (their
   * initial contents are unspecified); `inputs` must not be written to.
   */
  run(
    inputs: readonly HostArray[],
    outputs: readonly HostArray[],
    attrs: Readonly<Record<string, unknown>>,
    infos: readonly tf.TensorInfo[],
  ): void;
}

/** The part of a backend plugin host kernels need. */
interface MemoryLender {
  readonly name: string;
  readonly hostMemory?: HostMemory;
}

interface HostKernelStore {
  kernels: Map<string, HostKernel>;
  lenders: Map<string, HostMemory>;
  /** `kernel/backend` pairs registered with tfjs by this module. */
  installed: Map<string, tf.KernelConfig>;
}

const STORE_KEY = Symbol.for('@plasticity/core/host-kernels');

function store(): HostKernelStore {
  const holder = globalThis as unknown as Record<symbol, HostKernelStore | undefined>;
  let existing = holder[STORE_KEY];
  if (existing === undefined) {
    existing = { kernels: new Map(), lenders: new Map(), installed: new Map() };
    holder[STORE_KEY] = existing;
  }
  return existing;
}

function kernelConfig(kernel: HostKernel, backendName: string, memory: HostMemory): tf.KernelConfig {
  return {
    kernelName: kernel.name,
    backendName,
    kernelFunc: ({ inputs, backend: owner, attrs }) => {
      const backend = owner as tf.KernelBackend;
      const infos = kernel.inputs.map((name) => {
        const info = (inputs as Record<string, tf.TensorInfo | undefined>)[name];
        if (info === undefined) {
          throw new ValueError(`Host kernel ${kernel.name} needs an input named "${name}".`, {
            field: name,
            value: undefined,
          });
        }
        if (info.dtype !== 'float32' && info.dtype !== 'int32') {
          throw new ValueError(
            `Host kernel ${kernel.name} takes float32 or int32 inputs; "${name}" is ${info.dtype}. Cast it first.`,
            { field: name, value: info.dtype },
          );
        }
        return info;
      });
      const attrMap = (attrs ?? {}) as Record<string, unknown>;
      // Allocate every output before taking any view: an allocation may move the wasm heap.
      const outs = kernel.outputs(infos, attrMap).map(({ shape, dtype }) => memory.alloc(backend, shape, dtype));
      kernel.run(
        infos.map((info) => memory.view(backend, info)),
        outs.map((info) => memory.view(backend, info)),
        attrMap,
        infos,
      );
      return outs;
    },
  };
}

function install(kernel: HostKernel, backendName: string, memory: HostMemory): void {
  if (kernel.backends !== undefined && !kernel.backends.includes(backendName)) return;
  const { installed } = store();
  const key = `${kernel.name}/${backendName}`;
  const previous = installed.get(key);
  if (previous !== undefined && tf.getKernel(kernel.name, backendName) === previous) {
    tf.unregisterKernel(kernel.name, backendName);
  }
  const config = kernelConfig(kernel, backendName, memory);
  tf.registerKernel(config);
  installed.set(key, config);
}

/**
 * Registers a host kernel on every backend plugin that lends its memory, now and when such a
 * plugin is registered later. Registering a kernel of the same name again replaces it.
 */
export function registerHostKernel(kernel: HostKernel): void {
  if (typeof kernel?.name !== 'string' || kernel.name === '' || typeof kernel.run !== 'function') {
    throw new ValueError(`A host kernel needs a name and a run function; got ${describeValue(kernel?.name)}.`, {
      field: 'name',
      value: kernel?.name,
    });
  }
  const s = store();
  s.kernels.set(kernel.name, kernel);
  for (const [backendName, memory] of s.lenders) install(kernel, backendName, memory);
}

/** Called by `registerBackendPlugin`: installs the host kernels on a plugin that lends memory. */
export function installHostKernelsFor(plugin: MemoryLender): void {
  const memory = plugin.hostMemory;
  if (memory === undefined) return;
  const s = store();
  s.lenders.set(plugin.name, memory);
  for (const kernel of s.kernels.values()) install(kernel, plugin.name, memory);
}

/** Called by `unregisterBackendPlugin`: later host kernels are not installed for `name`. */
export function forgetHostMemory(name: string): void {
  store().lenders.delete(name);
}

/** Whether the host kernel `name` runs on `backendName` (default: the active backend). */
export function hasHostKernel(name: string, backendName: string = tf.getBackend()): boolean {
  const config = store().installed.get(`${name}/${backendName}`);
  return config !== undefined && tf.getKernel(name, backendName) === config;
}

/** Runs a host kernel through the tfjs engine; returns its outputs. */
export function runHostKernel(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown> = {},
): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap);
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}
