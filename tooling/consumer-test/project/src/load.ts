// Process 2: load the model saved by train.ts; an unregistered plugin is a typed error first.
import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, useBackend } from '@plasticity/core';
import { registerFileRouter } from '@plasticity/core/node';
import '@plasticity/backend-wasm/register';
import { loadModel } from '@plasticity/layers';
import { Scale, registerPlugins } from './plugin.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: node out/load.js <model dir>');
await useBackend('wasm');
registerFileRouter();

let unregistered = '';
try {
  await loadModel(`file://${dir}`);
} catch (error) {
  unregistered = error instanceof PlasticityError ? `${error.code}: ${error.message}` : `untyped: ${String(error)}`;
}
registerPlugins();
const model = await loadModel(`file://${dir}`);
const probe = tf.tensor2d([0.1, 0.2, 0.3, -0.5, 0.4, 0.9], [2, 3]);
const prediction = model.predict(probe) as tf.Tensor;
const layer = model.getLayer('scale');
console.log(
  JSON.stringify({
    unregistered,
    isScale: layer instanceof Scale,
    prediction: Array.from(await prediction.data()),
    scale: Array.from(await (layer as Scale).scale!.data()),
  }),
);
