/**
 * An LSTM forecaster: from the last 16 samples of a noisy sine wave (each sequence with its own
 * frequency and phase), predict the next sample. The yardstick is the naive forecast "the next
 * value equals the last one"; the LSTM has to learn the wave's momentum and curvature to beat it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@plasticity/core';
import { Dense, LSTM, Sequential } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { runIfMain, setup, type ExampleOptions } from './setup.js';

const STEPS = 16;

function waves(n: number, seed: number): { x: tf.Tensor3D; y: tf.Tensor2D; naiveMse: number } {
  const rng = createRng(seed);
  const xs = new Float32Array(n * STEPS);
  const ys = new Float32Array(n);
  let naive = 0;
  for (let s = 0; s < n; s++) {
    const omega = rng.uniform(0.2, 0.6);
    const phase = rng.uniform(0, 2 * Math.PI);
    const at = (t: number): number => Math.sin(omega * t + phase) + rng.normal(0, 0.05);
    for (let t = 0; t < STEPS; t++) xs[s * STEPS + t] = at(t);
    ys[s] = at(STEPS);
    naive += (ys[s]! - xs[s * STEPS + STEPS - 1]!) ** 2;
  }
  return { x: tf.tensor3d(xs, [n, STEPS, 1]), y: tf.tensor2d(ys, [n, 1]), naiveMse: naive / n };
}

export async function main(options: ExampleOptions = {}) {
  await setup(options);
  const seed = options.seed ?? 8;
  const train = waves(1024, seed);
  const test = waves(256, seed + 1);

  const model = new Sequential({
    layers: [new LSTM({ units: 16, inputShape: [STEPS, 1] }), new Dense({ units: 1 })],
  });
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
  await model.fit(train.x, train.y, { epochs: 15, batchSize: 64, shuffle: true });
  const { loss } = await model.evaluate(test.x, test.y);
  options.log?.(`test mse ${loss!.toFixed(4)} vs naive last-value forecast ${test.naiveMse.toFixed(4)}`);
  tf.dispose([train.x, train.y, test.x, test.y]);
  model.dispose();
  return { mse: loss!, naiveMse: test.naiveMse };
}

runIfMain(import.meta.url, main);
