/**
 * Linear regression: learn y = 3x + 2 from noisy samples with one Dense unit and plain SGD.
 *
 * Run: `node dist/linear-regression.js` (after `pnpm build`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@plasticity/core';
import { Dense, Sequential } from '@plasticity/layers';
import { SGD } from '@plasticity/optimizers';
import { runIfMain, setup, type ExampleOptions } from './setup.js';

export async function main(options: ExampleOptions = {}) {
  await setup(options);
  const rng = createRng(options.seed ?? 1);
  // 256 points on y = 3x + 2 with Gaussian noise of standard deviation 0.1.
  const xs = Array.from({ length: 256 }, () => rng.uniform(-1, 1));
  const ys = xs.map((x) => 3 * x + 2 + rng.normal(0, 0.1));
  const x = tf.tensor2d(xs, [256, 1]);
  const y = tf.tensor2d(ys, [256, 1]);

  const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [1] })] });
  model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse' });
  const history = await model.fit(x, y, { epochs: 40, batchSize: 32, shuffle: true });

  const [kernel, bias] = model.weights.map((w) => w.dataSync()[0]!);
  const loss = history.history.loss!.at(-1)!;
  options.log?.(`learnt y = ${kernel!.toFixed(3)}x + ${bias!.toFixed(3)}, loss ${loss.toFixed(4)}`);
  tf.dispose([x, y]);
  model.dispose();
  return { slope: kernel!, intercept: bias!, loss };
}

runIfMain(import.meta.url, main);
