#!/usr/bin/env node
// Prints seeded results of matMul, conv2d and a training step on the wasm backend with the thread
// count given as argv[2], as JSON on stdout. Used by the threads integration test, which compares
// the outputs of separate processes (one wasm backend per process).
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL, createRng, randomTensor, runHostKernel, useBackend } from '@plasticity/core';
import { wasmBackend, wasmThreadsInUse } from '@plasticity/backend-wasm';
import { registerBackendPlugin } from '@plasticity/core';

const threads = Number(process.argv[2] ?? '1');
registerBackendPlugin(wasmBackend);
await useBackend('wasm', { options: { wasm: { threads } } });
const rng = createRng(123);
const a = randomTensor([300, 200], rng, { min: -1, max: 1 });
const b = randomTensor([200, 150], rng, { min: -1, max: 1 });
const x = randomTensor([2, 32, 32, 8], rng, { min: -1, max: 1 });
const w = tf.variable(randomTensor([3, 3, 8, 16], rng, { distribution: 'normal', std: 0.1 }));
const matMul = Array.from(tf.matMul(a, b).dataSync());
const conv = Array.from(tf.conv2d(x, w, 1, 'same').dataSync());
const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.conv2d(x, w, 1, 'same'))));
// The SIMD kernels import the backend's memory: the threaded build's is shared.
const adamInputs = Object.fromEntries(
  ['variable', 'grad', 'm', 'v'].map((k) => [k, randomTensor([1003], rng, { min: k === 'v' ? 0 : -1, max: 1 })]),
);
const adamAttrs = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7, bias2Sqrt: 0.3, stepSize: 0.01, l2: 0.01, keep: 1 };
const adam = runHostKernel(ADAM_UPDATE_KERNEL, adamInputs, adamAttrs).map((t) => Array.from(t.dataSync()));
const out = {
  adam,
  threads: await wasmThreadsInUse(),
  matMul,
  conv,
  loss: value.dataSync()[0],
  grad: Array.from(grads[w.name].dataSync()),
};
process.stdout.write(JSON.stringify(out));
