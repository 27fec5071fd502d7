/**
 * Logistic regression: separate two Gaussian clouds in the plane with one sigmoid unit and binary
 * cross-entropy; report held-out accuracy.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@plasticity/core';
import { Dense, Sequential } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { runIfMain, setup, type ExampleOptions } from './setup.js';

function clouds(n: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const rng = createRng(seed);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    // Class 1 around (1.5, 1), class 0 around (-1.5, -1); unit variance: about 3% overlap.
    xs.push(rng.normal(label ? 1.5 : -1.5, 1), rng.normal(label ? 1 : -1, 1));
    ys.push(label);
  }
  return { x: tf.tensor2d(xs, [n, 2]), y: tf.tensor2d(ys, [n, 1]) };
}

export async function main(options: ExampleOptions = {}) {
  await setup(options);
  const seed = options.seed ?? 3;
  const train = clouds(800, seed);
  const test = clouds(400, seed + 1);

  const model = new Sequential({ layers: [new Dense({ units: 1, activation: 'sigmoid', inputShape: [2] })] });
  model.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  await model.fit(train.x, train.y, { epochs: 20, batchSize: 32 });
  const { loss, accuracy } = await model.evaluate(test.x, test.y);
  options.log?.(`test loss ${loss!.toFixed(4)}, test accuracy ${accuracy!.toFixed(3)}`);
  tf.dispose([train.x, train.y, test.x, test.y]);
  model.dispose();
  return { loss: loss!, accuracy: accuracy! };
}

runIfMain(import.meta.url, main);
