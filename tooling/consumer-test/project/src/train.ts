// Process 1: train a model with a custom layer on wasm, save it to disk, print its predictions.
import * as tf from '@tensorflow/tfjs-core';
import { createRng, randomTensor, useBackend } from '@plasticity/core';
import { registerFileRouter } from '@plasticity/core/node';
import '@plasticity/backend-wasm/register';
import { Dense, Sequential } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { Scale, registerPlugins } from './plugin.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: node out/train.js <model dir>');
const { backend } = await useBackend('wasm');
registerPlugins();
registerFileRouter();

const rng = createRng(7);
const x = randomTensor([256, 3], rng, { min: -1, max: 1 });
const y = tf.sum(tf.mul(x, tf.tensor1d([2, -1, 0.5])), 1, true);
const model = new Sequential({
  layers: [
    new Scale({ name: 'scale', inputShape: [3] }),
    new Dense({ units: 16, activation: 'relu' }),
    new Dense({ units: 1 }),
  ],
});
model.compile({ optimizer: new Adam({ learningRate: 0.02 }), loss: 'mse' });
const history = await model.fit(x, y, { epochs: 15, batchSize: 32, shuffle: false });
const losses = history.history['loss'] as number[];
await model.save(`file://${dir}`);

const probe = tf.tensor2d([0.1, 0.2, 0.3, -0.5, 0.4, 0.9], [2, 3]);
const prediction = model.predict(probe) as tf.Tensor;
const scale = (model.getLayer('scale') as Scale).scale!;
console.log(
  JSON.stringify({
    backend,
    firstLoss: losses[0],
    lastLoss: losses[losses.length - 1],
    prediction: Array.from(await prediction.data()),
    scale: Array.from(await scale.data()),
  }),
);
