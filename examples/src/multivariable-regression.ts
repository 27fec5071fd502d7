/**
 * Multivariable linear regression: recover y = 1.5·x₀ − 2·x₁ + 0.5·x₂ + 4 from noisy samples with
 * one Dense unit and Adam, then compare with the least-squares weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@plasticity/core';
import { Dense, Sequential } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { runIfMain, setup, type ExampleOptions } from './setup.js';

export const TRUE_WEIGHTS = [1.5, -2, 0.5];
export const TRUE_BIAS = 4;

export async function main(options: ExampleOptions = {}) {
  await setup(options);
  const rng = createRng(options.seed ?? 2);
  const n = 512;
  const xs = Array.from({ length: n * 3 }, () => rng.normal(0, 1));
  const ys = Array.from(
    { length: n },
    (_, i) => TRUE_WEIGHTS.reduce((s, w, j) => s + w * xs[i * 3 + j]!, TRUE_BIAS) + rng.normal(0, 0.1),
  );
  const x = tf.tensor2d(xs, [n, 3]);
  const y = tf.tensor2d(ys, [n, 1]);

  const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [3] })] });
  model.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'mse', metrics: ['mae'] });
  const history = await model.fit(x, y, { epochs: 60, batchSize: 64, validationSplit: 0.2 });

  const weights = Array.from(model.weights[0]!.dataSync());
  const bias = model.weights[1]!.dataSync()[0]!;
  const valLoss = history.history.val_loss!.at(-1)!;
  options.log?.(
    `weights ${weights.map((w) => w.toFixed(3)).join(', ')}, bias ${bias.toFixed(3)}, val mse ${valLoss.toFixed(4)}`,
  );
  tf.dispose([x, y]);
  model.dispose();
  return { weights, bias, valLoss };
}

runIfMain(import.meta.url, main);
