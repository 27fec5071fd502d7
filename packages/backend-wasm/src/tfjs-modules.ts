/**
 * What `#tfjs-modules` resolves to in Node (package.json `imports`): tfjs-backend-wasm and
 * tfjs-backend-cpu loaded with `require`, on first use.
 *
 * Both ship CommonJS bundles for Node (~450 KB each). An ESM `import` of a CommonJS file makes
 * Node scan its source for export names (cjs-module-lexer) and sniff it for module syntax before
 * compiling it: 35–60 ms per bundle on a 2-core machine, against 7–11 ms for `require`. The module
 * instance is the same either way (Node's CommonJS cache), so an app that also imports them gets
 * the same kernels and backend registry. Loading tfjs-backend-cpu (which registers every CPU
 * kernel) waits until the wasm backend loads instead of happening at import.
 */
import type * as cpu from '@tensorflow/tfjs-backend-cpu';
import type * as wasm from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';

type TfjsWasm = typeof wasm;
type TfjsCpu = typeof cpu;

const require = createRequire(import.meta.url);

/** `@tensorflow/tfjs-backend-wasm`, loaded (and its `wasm` backend factory registered) on first call. */
export function tfjsWasm(): Promise<TfjsWasm> {
  return Promise.resolve(require('@tensorflow/tfjs-backend-wasm') as TfjsWasm);
}

/** `@tensorflow/tfjs-backend-cpu`, loaded (and its kernels registered) on first call. */
export function tfjsCpu(): TfjsCpu {
  return require('@tensorflow/tfjs-backend-cpu') as TfjsCpu;
}

/** The installed tfjs-backend-cpu's version, read from its package.json (without loading it). */
export function tfjsCpuVersion(): string {
  return (require('@tensorflow/tfjs-backend-cpu/package.json') as { version: string }).version;
}
