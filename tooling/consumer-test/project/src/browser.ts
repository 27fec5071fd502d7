// The page of the browser run (bundled by esbuild for the browser from the installed packages):
// trains a small model on wasm and fits a recommender, then leaves the outcome in
// `window.__results` for the test to read.
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRng, randomTensor, useBackend } from '@plasticity/core';
import '@plasticity/backend-wasm/register';
import { Dense, Sequential } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { Interactions, SVD } from '@plasticity/recommenders';

interface PageResults {
  backend?: string;
  losses?: number[];
  recommendations?: string[];
  seen?: string[];
  leakedTensors?: number;
  error?: string;
}

async function run(): Promise<PageResults> {
  setWasmPaths(`${location.origin}/wasm/`);
  const { backend } = await useBackend('wasm');
  const rng = createRng(3);
  const x = randomTensor([128, 3], rng, { min: -1, max: 1 });
  const y = tf.sum(tf.mul(x, tf.tensor1d([2, -1, 0.5])), 1, true);
  const model = new Sequential({
    layers: [new Dense({ units: 8, activation: 'relu', inputShape: [3] }), new Dense({ units: 1 })],
  });
  model.compile({ optimizer: new Adam({ learningRate: 0.03 }), loss: 'mse' });
  const history = await model.fit(x, y, { epochs: 10, batchSize: 32 });

  const users: string[] = [];
  const items: string[] = [];
  const values: number[] = [];
  for (let u = 0; u < 20; u++) {
    for (let i = 0; i < 10; i++) {
      if ((u + i) % 3 === 0) continue; // unseen: u0 has not seen m0, m3, m6, m9 and likes m0–m4
      users.push(`u${u}`);
      items.push(`m${i}`);
      values.push(i < 5 === u < 10 ? 5 : 1);
    }
  }
  const data = Interactions.fromArrays({ users, items, values }, { ratingScale: [1, 5] });
  const before = tf.memory().numTensors;
  const svd = await new SVD({ factors: 3, epochs: 60, learningRate: 0.02, seed: 1 }).fit(data);
  const recommendations = svd.recommend('u0', 2).map((r) => String(r.item));
  return {
    backend,
    losses: history.history['loss'] ?? [],
    recommendations,
    seen: items.filter((_, k) => users[k] === 'u0'),
    leakedTensors: tf.memory().numTensors - before,
  };
}

run().then(
  (results) => Object.assign(window, { __results: results }),
  (error: unknown) =>
    Object.assign(window, { __results: { error: error instanceof Error ? error.stack : String(error) } }),
);
