/**
 * Fills the kernels tfjs-backend-wasm lacks (or gets wrong) with tfjs-backend-cpu's, copying
 * inputs out of the wasm heap and results back in. tfjs-backend-wasm 4.22 has no
 * Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput/Filter or UnsortedSegmentSum, so
 * without this a CNN or an embedding cannot be trained on wasm at all ("Kernel
 * 'UnsortedSegmentSum' not registered for backend 'wasm'"). The copies cost time; they are only
 * used where wasm has nothing (or nothing correct).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tfjsCpu, tfjsCpuVersion } from '#tfjs-modules';

/** Kernels that cannot cross: complex and string storage, and canvas drawing. */
const NOT_BRIDGED = new Set(['Complex', 'ComplexAbs', 'FFT', 'IFFT', 'Imag', 'Real', 'StaticRegexReplace', 'Draw']);

/**
 * wasm kernels that exist but fail the conformance suite and are replaced by the CPU kernel.
 * (MaxPoolGrad also fails, but has a faster replacement in kernels/MaxPoolGrad.ts.)
 */
export const REPLACED_WASM_KERNELS: readonly string[] = [];

/**
 * The kernels tfjs-backend-cpu 4.22 has and tfjs-backend-wasm 4.22 lacks (bridgeable ones), so
 * that the wasm backend can register their bridges without loading tfjs-backend-cpu until one of
 * them runs. kernel-bridge.test.ts checks the list against both registries.
 */
export const CPU_ONLY_KERNELS: readonly string[] = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'Einsum',
  'RaggedGather',
  'RaggedRange',
  'RaggedTensorToTensor',
  'UnsortedSegmentSum',
];

/** The tfjs versions {@link CPU_ONLY_KERNELS} was made from. */
const CPU_ONLY_KERNELS_VERSIONS = /^4\.22\./;

/** The parts of the wasm backend the kernels here use to move data in and out of its heap. */
export interface HeapBackend {
  readSync(dataId: object): tf.backend_util.BackendValues;
  makeOutput(
    shape: number[],
    dtype: tf.DataType,
    memoryOffset?: number,
    values?: tf.backend_util.BackendValues,
  ): tf.TensorInfo;
}

let cpu: MathBackendCPU | undefined;

function cpuBackend(): MathBackendCPU {
  if (cpu === undefined) {
    cpu = new (tfjsCpu().MathBackendCPU)();
    // A private helper instance: skip its one-time "install tfjs-node" console message.
    (cpu as unknown as { firstUse: boolean }).firstUse = false;
  }
  return cpu;
}

function copyValues(values: tf.backend_util.BackendValues): tf.backend_util.BackendValues {
  return ArrayBuffer.isView(values) ? (values as tf.TypedArray).slice() : values;
}

function bridge(config: tf.KernelConfig, backendName: string): tf.KernelConfig {
  return {
    kernelName: config.kernelName,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const target = backend as unknown as HeapBackend;
      const host = cpuBackend();
      const created: object[] = [];
      // Most kernels take named inputs; a few (Einsum) take an array, which must stay one.
      const hostInputs = (Array.isArray(inputs) ? [] : {}) as tf.NamedTensorInfoMap;
      try {
        for (const [name, info] of Object.entries(inputs)) {
          if (info == null) continue;
          if (info.dtype === 'string' || info.dtype === 'complex64') {
            throw new Error(`${config.kernelName} on ${backendName}: ${info.dtype} inputs are not supported`);
          }
          const dataId = host.write(copyValues(target.readSync(info.dataId)), info.shape, info.dtype);
          created.push(dataId);
          hostInputs[name] = { dataId, shape: info.shape, dtype: info.dtype };
        }
        const result = config.kernelFunc({ inputs: hostInputs, backend: host, attrs: attrs ?? {} }) as
          tf.TensorInfo | tf.TensorInfo[];
        const outputs = Array.isArray(result) ? result : [result];
        const moved = outputs.map((out) =>
          target.makeOutput(out.shape, out.dtype, undefined, copyValues(host.readSync(out.dataId))),
        );
        for (const out of outputs) host.disposeData(out.dataId, true);
        return Array.isArray(result) ? moved : moved[0]!;
      } finally {
        for (const dataId of created) host.disposeData(dataId, true);
      }
    },
  };
}

/**
 * Registers a CPU-backed kernel on `backendName` for every CPU kernel it lacks, and for the
 * kernels listed in {@link REPLACED_WASM_KERNELS}. Idempotent; returns the kernel names added.
 */
export function bridgeMissingKernels(backendName = 'wasm'): string[] {
  tfjsCpu(); // registers the CPU kernels (in Node, tfjs-backend-cpu loads here rather than at import)
  const existing = new Set(tf.getKernelsForBackend(backendName).map((k) => k.kernelName));
  const added: string[] = [];
  for (const config of tf.getKernelsForBackend('cpu')) {
    const name = config.kernelName;
    if (NOT_BRIDGED.has(name)) continue;
    const replace = REPLACED_WASM_KERNELS.includes(name) && !bridged.has(`${backendName}/${name}`);
    if (existing.has(name) && !replace) continue;
    if (existing.has(name)) tf.unregisterKernel(name, backendName);
    tf.registerKernel(bridge(config, backendName));
    bridged.add(`${backendName}/${name}`);
    added.push(name);
  }
  return added;
}

const bridged = new Set<string>();

/** A bridge that finds (and, in Node, loads) tfjs-backend-cpu's kernel the first time it runs. */
function lazyBridge(kernelName: string, backendName: string): tf.KernelConfig {
  let inner: tf.KernelConfig | undefined;
  return {
    kernelName,
    backendName,
    kernelFunc: (args) => {
      if (inner === undefined) {
        tfjsCpu();
        const config = tf.getKernel(kernelName, 'cpu');
        if (config === undefined) {
          throw new Error(
            `Kernel '${kernelName}' is not registered for backend '${backendName}', nor for 'cpu' ` +
              `(tfjs-backend-cpu ${tfjsCpuVersion()}), whose kernel would run in its place.`,
          );
        }
        inner = bridge(config, backendName);
      }
      return inner.kernelFunc(args);
    },
  };
}

/**
 * What the wasm backend registers when it loads: the same bridges as {@link bridgeMissingKernels},
 * but, where the installed tfjs versions are those {@link CPU_ONLY_KERNELS} was made from, without
 * loading tfjs-backend-cpu (~475 KB, all its kernels registered) until a bridged kernel first runs.
 * Returns the kernel names added.
 */
export function bridgeMissingKernelsLazily(backendName: string, wasmVersion: string): string[] {
  if (
    REPLACED_WASM_KERNELS.length > 0 ||
    !CPU_ONLY_KERNELS_VERSIONS.test(wasmVersion) ||
    !CPU_ONLY_KERNELS_VERSIONS.test(tfjsCpuVersion())
  ) {
    return bridgeMissingKernels(backendName);
  }
  const existing = new Set(tf.getKernelsForBackend(backendName).map((k) => k.kernelName));
  const added: string[] = [];
  for (const name of CPU_ONLY_KERNELS) {
    if (existing.has(name)) continue;
    tf.registerKernel(lazyBridge(name, backendName));
    bridged.add(`${backendName}/${name}`);
    added.push(name);
  }
  return added;
}
