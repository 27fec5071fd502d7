/**
 * `@plasticity/backend-cpu`: tfjs's CPU backend (`@tensorflow/tfjs-backend-cpu`) behind the
 * Plasticity backend contract. It runs everywhere and is the slowest choice; `useBackend('auto')`
 * tries it last.
 *
 * @example
 * ```ts
 * import { useBackend } from '@plasticity/core';
 * import '@plasticity/backend-cpu/register';
 * await useBackend('cpu');
 * ```
 *
 * @packageDocumentation
 */
import type { BackendPlugin } from '@plasticity/core';
import type * as tf from '@tensorflow/tfjs-core';
import { registerCpuKernels } from './register-kernels.js';

/** The parts of tfjs-backend-cpu's MathBackendCPU that host kernels use. */
interface CpuStorage {
  data: { get(dataId: object): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
}

/**
 * The CPU backend plugin (`name: 'cpu'`, priority 10). Importing this registers nothing; `load`
 * registers tfjs-backend-cpu and this package's host kernels (fused Adam, max pooling with argmax).
 */
export const cpuBackend: BackendPlugin = {
  name: 'cpu',
  priority: 10,
  description: 'tfjs-backend-cpu: plain JavaScript kernels; runs everywhere, slowest',
  isSupported: () => ({ supported: true }),
  async load(): Promise<void> {
    // The package registers its 'cpu' factory and kernels with tfjs-core when first imported.
    await import('@tensorflow/tfjs-backend-cpu');
    // Our own kernels (fused Adam, max pooling with argmax), as host kernels on this backend.
    registerCpuKernels();
  },
  hostMemory: {
    alloc(backend, shape, dtype) {
      let size = 1;
      for (const d of shape) size *= d;
      const values = dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
      return (backend as unknown as CpuStorage).makeTensorInfo([...shape], dtype, values);
    },
    view(backend, info) {
      const values = (backend as unknown as CpuStorage).data.get(info.dataId)?.values;
      if (!(values instanceof Float32Array || values instanceof Int32Array)) {
        throw new Error(`cpu host memory: a ${info.dtype} tensor without a typed array (was it disposed?)`);
      }
      return values;
    },
  },
};
