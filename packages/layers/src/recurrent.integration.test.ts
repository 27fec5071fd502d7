import { cpuBackend } from '@plasticity/backend-cpu';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
// A learning test: an LSTM learns to sum a sequence (a seeded task with a stated bound), and
// training and prediction leak no tensors. Slow on a shared CPU, hence an integration test.
import * as tf from '@tensorflow/tfjs-core';
import { createRng, randomTensor } from '@plasticity/core';
import { Adam } from '@plasticity/optimizers';
import { expectNoTensorLeaks } from '@plasticity/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dense, LSTM, Sequential, setInitializerSeed } from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

describe('an LSTM learns', () => {
  it('to sum a sequence of 8 numbers (seeded): validation MSE below 2% of the target variance', async () => {
    setInitializerSeed(42);
    const rng = createRng(7);
    const make = (n: number): [tf.Tensor, tf.Tensor] => {
      const x = randomTensor([n, 8, 1], rng, { min: -1, max: 1 });
      return [x, tf.sum(x, [1, 2]).reshape([n, 1])];
    };
    const [x, y] = make(512);
    const [vx, vy] = make(128);
    const model = new Sequential({
      layers: [new LSTM({ units: 12, inputShape: [8, 1], recurrentActivation: 'sigmoid' }), new Dense({ units: 1 })],
    });
    model.compile({ optimizer: new Adam({ learningRate: 0.02 }), loss: 'mse' });
    await model.fit(x, y, { epochs: 1, batchSize: 64 });
    // After the first epoch (optimizer slots exist), further training and prediction leak nothing.
    await expectNoTensorLeaks(async () => {
      await model.fit(x, y, { epochs: 11, batchSize: 64 });
      tf.dispose(model.predict(vx));
    });
    const variance = tf.moments(vy).variance.dataSync()[0]!;
    const prediction = model.predict(vx) as tf.Tensor;
    const mse = tf.mean(tf.square(tf.sub(prediction, vy))).dataSync()[0]!;
    expect(variance).toBeGreaterThan(1.5); // ≈ 8/3 for a sum of 8 uniform(−1, 1)
    console.log(`LSTM sum-of-8: validation MSE / variance = ${(mse / variance).toFixed(4)}`);
    expect(mse / variance).toBeLessThan(0.02);
    setInitializerSeed(1337);
  }, 240_000);
});
