/**
 * Time to first prediction in a fresh process (run once per process by `pnpm bench --only=startup`):
 * `ours` imports @plasticity/core + backend-wasm + layers, `useBackend('wasm')`, builds a Dense
 * model and predicts once; `stock` imports @tensorflow/tfjs-core + @tensorflow/tfjs-backend-wasm,
 * `setBackend('wasm')` and runs the same forward pass as tf ops. Prints JSON on stdout.
 *
 * Usage: node dist/startup-child.js ours|stock
 */

import type { Tensor } from '@tensorflow/tfjs-core';

/** One process's phases, in milliseconds. */
export interface StartupRow {
  variant: 'ours' | 'stock';
  /** Importing the packages (module evaluation, kernel registration). */
  importMs: number;
  /** Initializing the wasm backend (compiling and instantiating the module). */
  initMs: number;
  /** Building the model and the first predict, read back. */
  predictMs: number;
  /** CPU time (user + system, all threads) over the three phases: less sensitive than wall time to other load on the machine. */
  cpuMs: number;
}

const cpuStart = process.cpuUsage();
const cpuMs = (): number => {
  const { user, system } = process.cpuUsage(cpuStart);
  return (user + system) / 1000;
};

const variant = process.argv[2] === 'stock' ? 'stock' : 'ours';
const [batch, features, hidden, outputs] = [8, 32, 64, 10];
const input = Float32Array.from({ length: batch * features }, (_, i) => Math.sin(i));

async function ours(): Promise<StartupRow> {
  const t0 = performance.now();
  const [core, , layers, tf] = await Promise.all([
    import('@plasticity/core'),
    import('@plasticity/backend-wasm/register'),
    import('@plasticity/layers'),
    import('@tensorflow/tfjs-core'),
  ]);
  const t1 = performance.now();
  await core.useBackend('wasm');
  const t2 = performance.now();
  const model = new layers.Sequential({
    layers: [
      new layers.Dense({ units: hidden, activation: 'relu', inputShape: [features] }),
      new layers.Dense({ units: outputs }),
    ],
  });
  const x = tf.tensor2d(input, [batch, features]);
  const y = model.predict(x) as Tensor;
  y.dataSync();
  const t3 = performance.now();
  return { variant, importMs: t1 - t0, initMs: t2 - t1, predictMs: t3 - t2, cpuMs: cpuMs() };
}

async function stock(): Promise<StartupRow> {
  const t0 = performance.now();
  const [tf] = await Promise.all([import('@tensorflow/tfjs-core'), import('@tensorflow/tfjs-backend-wasm')]);
  const t1 = performance.now();
  await tf.setBackend('wasm');
  await tf.ready();
  const t2 = performance.now();
  // The same forward pass as the Dense model: glorot-uniform kernels, zero biases.
  const glorot = (fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.randomUniform([fanIn, fanOut], -limit, limit);
  };
  const [w1, b1, w2, b2] = [glorot(features, hidden), tf.zeros([hidden]), glorot(hidden, outputs), tf.zeros([outputs])];
  const x = tf.tensor2d(input, [batch, features]);
  const y = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2);
  y.dataSync();
  const t3 = performance.now();
  return { variant, importMs: t1 - t0, initMs: t2 - t1, predictMs: t3 - t2, cpuMs: cpuMs() };
}

process.stdout.write(`${JSON.stringify(variant === 'stock' ? await stock() : await ours())}\n`);
