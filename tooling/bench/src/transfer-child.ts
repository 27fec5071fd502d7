/**
 * Feature caching for transfer learning: training a new head for E epochs on a frozen CNN base,
 * (a) through the whole model (the frozen base runs forward every step) and (b) on features
 * extracted once with `extractFeatures` (the base runs once). Same head, same data, same steps, on
 * wasm, in one process. Prints JSON on stdout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import { wasmBackend } from '@plasticity/backend-wasm';
import { Conv2D, Dense, Flatten, MaxPooling2D, Sequential } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { MemoryFeatureCache, addHead, extractFeatures, featureExtractor, freeze } from '@plasticity/transfer';

export interface FeatureCacheRow {
  samples: number;
  epochs: number;
  throughBaseMs: number;
  cachedMs: number;
  extractMs: number;
}

registerBackendPlugin(wasmBackend);
await useBackend('wasm');

const samples = 1024;
const epochs = 5;
const rng = createRng(3);
const x = randomTensor([samples, 28, 28, 1], rng);
const y = tf.tensor1d(
  Array.from({ length: samples }, () => rng.int(5)),
  'int32',
);
const pretrained = new Sequential({
  layers: [
    new Conv2D({ filters: 16, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
    new MaxPooling2D({ poolSize: 2 }),
    new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu' }),
    new MaxPooling2D({ poolSize: 2 }),
    new Flatten(),
    new Dense({ units: 64, activation: 'relu', name: 'features' }),
    new Dense({ units: 10, activation: 'softmax' }),
  ],
});
const base = featureExtractor(pretrained, 'features');
freeze(base);

const through = addHead(base, new Dense({ units: 5, activation: 'softmax' }));
through.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
let start = performance.now();
await through.fit(x, y, { epochs, batchSize: 32 });
const throughBaseMs = performance.now() - start;

start = performance.now();
const cache = new MemoryFeatureCache();
const { features } = await extractFeatures(base, x, { cache });
const extractMs = performance.now() - start;
const head = new Sequential({ layers: [new Dense({ units: 5, activation: 'softmax', inputShape: [64] })] });
head.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
await head.fit(features, y, { epochs, batchSize: 32 });
const cachedMs = performance.now() - start;

const row: FeatureCacheRow = { samples, epochs, throughBaseMs, cachedMs, extractMs };
process.stdout.write(JSON.stringify(row));
