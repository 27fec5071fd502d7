#!/usr/bin/env node
// Reports, as JSON on stdout, whether tfjs-backend-cpu has been loaded (it registers tfjs's 'cpu'
// backend when it is) after importing @plasticity/backend-wasm, after loading the wasm backend,
// and after running a kernel wasm lacks (UnsortedSegmentSum, bridged from the CPU). Used by
// startup.integration.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import { wasmBackend } from '@plasticity/backend-wasm';

const cpuLoaded = () => tf.findBackendFactory('cpu') != null;
const afterImport = cpuLoaded();
registerBackendPlugin(wasmBackend);
await useBackend('wasm');
const afterLoad = cpuLoaded();
const sum = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3]), tf.tensor1d([1, 0, 1], 'int32'), 2);
const values = Array.from(sum.dataSync());
process.stdout.write(
  `${JSON.stringify({ afterImport, afterLoad, afterBridgedKernel: cpuLoaded(), backend: tf.getBackend(), values })}\n`,
);
