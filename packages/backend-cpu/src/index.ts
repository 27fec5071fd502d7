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

/** The CPU backend plugin (`name: 'cpu'`, priority 10). Importing this registers nothing. */
export const cpuBackend: BackendPlugin = {
  name: 'cpu',
  priority: 10,
  description: 'tfjs-backend-cpu: plain JavaScript kernels; runs everywhere, slowest',
  isSupported: () => ({ supported: true }),
  async load(): Promise<void> {
    // The package registers its 'cpu' factory and kernels with tfjs-core when first imported.
    await import('@tensorflow/tfjs-backend-cpu');
  },
};
