// The fused Adam kernel (a JavaScript host kernel of @plasticity/backend-cpu, SIMD WebAssembly of
// @plasticity/backend-wasm, each registered by its plugin's load)
// against the op-based rule, which runs when the backend has no such kernel (as WebGL/WebGPU):
// same weights and moments after several steps, with coupled and decoupled weight decay, and no
// tensor leaks.
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL, createRng, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { wasmBackend } from '@plasticity/backend-wasm';
import { expectTensorsClose } from '@plasticity/test-utils';
import { describe, expect, it } from 'vitest';
import { Adam, AdamW, type Optimizer } from './index.js';

registerBackendPlugin(cpuBackend);
registerBackendPlugin(wasmBackend);

let run = 0;

/** Runs `steps` updates with seeded gradients; returns the final weights and Adam moments. */
function trajectory(make: () => Optimizer, steps: number): tf.Tensor[] {
  const rng = createRng(5);
  run++;
  const init = [randomTensor([7, 5], rng, { min: -1, max: 1 }), randomTensor([5], rng, { min: -1, max: 1 })];
  const w = tf.variable(init[0]!, true, `hk-w-${run}`);
  const b = tf.variable(init[1]!, true, `hk-b-${run}`);
  tf.dispose(init);
  const opt = make();
  for (let s = 0; s < steps; s++) {
    const grads = {
      [w.name]: randomTensor([7, 5], rng, { distribution: 'normal', std: 0.5 }),
      [b.name]: randomTensor([5], rng, { distribution: 'normal' }),
    };
    opt.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const slots = Object.values(opt.getState().tensors); // m and v of w, then of b
  const out = [w.clone(), b.clone(), ...slots];
  opt.dispose();
  tf.dispose([w, b]);
  return out;
}

/** The same trajectory with the host kernel unregistered, i.e. on the op-based rule. */
function withoutKernel<T>(backend: string, run: () => T): T {
  const config = tf.getKernel(ADAM_UPDATE_KERNEL, backend)!;
  tf.unregisterKernel(ADAM_UPDATE_KERNEL, backend);
  try {
    expect(tf.getKernel(ADAM_UPDATE_KERNEL, backend)).toBeUndefined();
    return run();
  } finally {
    tf.registerKernel(config);
  }
}

describe.each(['cpu', 'wasm'])('fused Adam kernel on %s', (backend) => {
  const cases: [string, () => Optimizer][] = [
    ['Adam', () => new Adam({ learningRate: 0.01 })],
    ['Adam with L2 decay', () => new Adam({ learningRate: 0.02, weightDecay: 0.1, beta1: 0.8, epsilon: 1e-6 })],
    ['AdamW', () => new AdamW({ learningRate: 0.01, weightDecay: 0.05, beta2: 0.99 })],
  ];
  it.each(cases)('%s matches the op-based rule over 6 steps', async (_, make) => {
    await useBackend(backend); // the plugin's load registers its kernel; no optimizer is needed
    expect(tf.getKernel(ADAM_UPDATE_KERNEL, backend)).toBeDefined();
    const before = tf.memory().numTensors;
    const fused = trajectory(make, 6);
    const ops = withoutKernel(backend, () => trajectory(make, 6));
    expect(fused.length).toBe(ops.length);
    expect(fused.length).toBeGreaterThanOrEqual(6); // weights plus m and v of each
    fused.forEach((t, i) => expectTensorsClose(t, ops[i]!, { rtol: 1e-5, atol: 1e-7 }));
    tf.dispose([...fused, ...ops]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
