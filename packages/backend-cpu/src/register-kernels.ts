/**
 * The kernels of our own that the CPU backend implements (their contracts are in
 * `@plasticity/core`'s fused kernels), each in `kernels/<KernelName>.ts` and registered as host
 * kernels by the plugin's `load`, as tfjs-backend-cpu's `register_all_kernels.ts` registers its own.
 */
import { registerAdamUpdate } from './kernels/AdamUpdate.js';
import { registerMaxPoolArgmax } from './kernels/MaxPoolArgmax.js';

/** Registers every kernel of this package for the `'cpu'` backend (idempotent). */
export function registerCpuKernels(): void {
  registerAdamUpdate();
  registerMaxPoolArgmax();
}
