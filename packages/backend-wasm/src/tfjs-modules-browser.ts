/**
 * What `#tfjs-modules` resolves to outside Node (package.json `imports`): bundlers have no
 * `require`, and load tfjs-backend-cpu as part of the bundle; tfjs-backend-wasm stays a dynamic
 * import, so that an app that never loads the wasm backend can split it off. See `tfjs-modules.ts`.
 */
import * as cpu from '@tensorflow/tfjs-backend-cpu';
import type * as wasm from '@tensorflow/tfjs-backend-wasm';

type TfjsWasm = typeof wasm;
type TfjsCpu = typeof cpu;

/** `@tensorflow/tfjs-backend-wasm`, loaded (and its `wasm` backend factory registered) on first call. */
export function tfjsWasm(): Promise<TfjsWasm> {
  return import('@tensorflow/tfjs-backend-wasm');
}

/** `@tensorflow/tfjs-backend-cpu` (imported with this module, so its kernels are registered). */
export function tfjsCpu(): TfjsCpu {
  return cpu;
}

/** The bundled tfjs-backend-cpu's version. */
export function tfjsCpuVersion(): string {
  return cpu.version_cpu;
}
