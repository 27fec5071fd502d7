/**
 * An MLP classifier on three interleaved spirals — a task no linear model solves — with two hidden
 * layers, dropout, softmax output and early stopping on validation loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@plasticity/core';
import { Dense, Dropout, EarlyStopping, Sequential } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { runIfMain, setup, type ExampleOptions } from './setup.js';

function spirals(n: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const rng = createRng(seed);
  const xs: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    const r = rng.uniform(0.1, 1);
    const angle = (k * 2 * Math.PI) / 3 + r * 3 + rng.normal(0, 0.1);
    xs.push(r * Math.cos(angle), r * Math.sin(angle));
    labels.push(k);
  }
  return {
    x: tf.tensor2d(xs, [n, 2]),
    y: tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 3).toFloat() as tf.Tensor2D),
  };
}

export async function main(options: ExampleOptions = {}) {
  await setup(options);
  const seed = options.seed ?? 4;
  const train = spirals(1500, seed);
  const test = spirals(600, seed + 1);

  const model = new Sequential({
    layers: [
      new Dense({ units: 64, activation: 'relu', inputShape: [2] }),
      new Dropout({ rate: 0.1 }),
      new Dense({ units: 64, activation: 'relu' }),
      new Dense({ units: 3, activation: 'softmax' }),
    ],
  });
  model.compile({
    optimizer: new Adam({ learningRate: 0.01 }),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const history = await model.fit(train.x, train.y, {
    epochs: 60,
    batchSize: 64,
    validationSplit: 0.2,
    callbacks: [new EarlyStopping({ monitor: 'val_loss', patience: 10, restoreBestWeights: true })],
  });
  const { accuracy } = await model.evaluate(test.x, test.y);
  options.log?.(`${history.history.loss!.length} epochs, test accuracy ${accuracy!.toFixed(3)}`);
  tf.dispose([train.x, train.y, test.x, test.y]);
  model.dispose();
  return { epochs: history.history.loss!.length, accuracy: accuracy! };
}

runIfMain(import.meta.url, main);
