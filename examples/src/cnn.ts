/**
 * A small CNN: tell apart 16×16 images of a horizontal bar, a vertical bar and a diagonal bar,
 * drawn anywhere in the image under heavy pixel noise. Two convolution blocks, global pooling and
 * a softmax head — the shape of every image classifier.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@plasticity/core';
import { Conv2D, Dense, GlobalAveragePooling2D, MaxPooling2D, Sequential } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { runIfMain, setup, type ExampleOptions } from './setup.js';

const SIZE = 16;

/** `n` images [n, 16, 16, 1] and one-hot labels: 0 horizontal, 1 vertical, 2 diagonal. */
export function bars(n: number, seed: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const rng = createRng(seed);
  const pixels = new Float32Array(n * SIZE * SIZE);
  const labels: number[] = [];
  for (let s = 0; s < n; s++) {
    const image = pixels.subarray(s * SIZE * SIZE, (s + 1) * SIZE * SIZE);
    for (let p = 0; p < image.length; p++) image[p] = rng.normal(0, 0.35);
    const kind = s % 3;
    const a = rng.int(SIZE - 6) + 3;
    const b = rng.int(SIZE - 8);
    for (let t = 0; t < 8; t++) {
      const [row, col] =
        kind === 0 ? [a, b + t] : kind === 1 ? [b + t, a] : [b + t, Math.min(SIZE - 1, b + t + (a % 4))];
      image[row * SIZE + col]! += 1;
    }
    labels.push(kind);
  }
  return {
    x: tf.tensor4d(pixels, [n, SIZE, SIZE, 1]),
    y: tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 3).toFloat() as tf.Tensor2D),
  };
}

export async function main(options: ExampleOptions = {}) {
  await setup(options);
  const seed = options.seed ?? 5;
  const train = bars(900, seed);
  const test = bars(300, seed + 1);

  const model = new Sequential({
    layers: [
      new Conv2D({ filters: 8, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [SIZE, SIZE, 1] }),
      new MaxPooling2D({ poolSize: 2 }),
      new Conv2D({ filters: 16, kernelSize: 3, activation: 'relu', padding: 'same' }),
      new GlobalAveragePooling2D(),
      new Dense({ units: 3, activation: 'softmax' }),
    ],
  });
  model.compile({
    optimizer: new Adam({ learningRate: 0.01 }),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  await model.fit(train.x, train.y, { epochs: 12, batchSize: 32, shuffle: true });
  const { accuracy } = await model.evaluate(test.x, test.y);
  options.log?.(`test accuracy ${accuracy!.toFixed(3)}`);
  tf.dispose([train.x, train.y, test.x, test.y]);
  model.dispose();
  return { accuracy: accuracy! };
}

runIfMain(import.meta.url, main);
