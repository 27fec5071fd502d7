#!/usr/bin/env node
// Loads the wasm backend (argv[3] threads, default 1; argv[4] 'tfjs-first': tfjs starts it
// through tf.setBackend before the plugin loads), runs one op, then fails as argv[2] says:
// `throw` (a synchronous uncaught error), `reject` (an unhandled promise rejection) or `trap` (a
// real WebAssembly trap inside tfjs-backend-wasm: _free of a pointer outside the heap). Used by
// uncaught-errors.integration.test.ts, which checks how Node reports each.
import * as tf from '@tensorflow/tfjs-core';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import { wasmBackend } from '@plasticity/backend-wasm';

const [mode = 'throw', threads = '1', order = 'plugin'] = process.argv.slice(2);
if (order === 'tfjs-first') {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
}
registerBackendPlugin(wasmBackend);
await useBackend('wasm', { options: { wasm: { threads: Number(threads) } } });
process.stdout.write(`sum ${tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0]}\n`);
if (mode === 'reject') {
  void Promise.reject(new Error('plasticity-check: rejected on purpose'));
} else if (mode === 'trap') {
  tf.backend().wasm._free(-16);
} else {
  throw new Error('plasticity-check: thrown on purpose');
}
