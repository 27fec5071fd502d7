/**
 * A GAN, written as a custom training loop: a generator learns to turn Gaussian noise into samples
 * of N(4, 1.25²) while a discriminator learns to tell its samples from real ones. Two models, two
 * optimizers, gradients taken with `computeGradients` for exactly the variables each step updates,
 * and the usual callbacks and progress events through `CallbackList`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, randomTensor, type TrainingListener } from '@plasticity/core';
import { BinaryCrossentropy, CallbackList, Dense, History, Sequential, computeGradients } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { runIfMain, setup, type ExampleOptions } from './setup.js';

export const TARGET_MEAN = 4;
export const TARGET_STD = 1.25;

export async function main(options: ExampleOptions & { steps?: number; onEvent?: TrainingListener } = {}) {
  await setup(options);
  const rng = createRng(options.seed ?? 7);
  const steps = options.steps ?? 1500;
  const batch = 64;
  const noiseDim = 4;

  const generator = new Sequential({
    layers: [new Dense({ units: 16, activation: 'relu', inputShape: [noiseDim] }), new Dense({ units: 1 })],
  });
  const discriminator = new Sequential({
    layers: [
      new Dense({ units: 32, activation: 'relu', inputShape: [1] }),
      new Dense({ units: 32, activation: 'relu' }),
      new Dense({ units: 1 }), // a logit: the loss applies the sigmoid
    ],
  });
  const bce = new BinaryCrossentropy({ fromLogits: true });
  const lossOf = (labels: tf.Tensor, logits: tf.Tensor): tf.Scalar => tf.mean(bce.call(labels, logits));
  const dOptimizer = new Adam({ learningRate: 0.002, beta1: 0.5 });
  const gOptimizer = new Adam({ learningRate: 0.002, beta1: 0.5 });
  const ones = tf.ones([batch, 1]);
  const zeros = tf.zeros([batch, 1]);

  const history = new History();
  const callbacks = new CallbackList([history], { model: generator, epochs: 1, steps, progress: options.onEvent });
  await callbacks.trainBegin();
  await callbacks.epochBegin(0);
  let dLoss = 0;
  let gLoss = 0;
  for (let step = 0; step < steps; step++) {
    const [d, g] = tf.tidy(() => {
      const real = randomTensor([batch, 1], rng, { distribution: 'normal', mean: TARGET_MEAN, std: TARGET_STD });
      const fake = generator.call(randomTensor([batch, noiseDim], rng, { distribution: 'normal' })) as tf.Tensor;
      // Discriminator: real → 1, fake → 0; only its variables move.
      const dStep = computeGradients(
        () =>
          tf.add(
            lossOf(ones, discriminator.call(real, { training: true }) as tf.Tensor),
            lossOf(zeros, discriminator.call(fake, { training: true }) as tf.Tensor),
          ) as tf.Scalar,
        discriminator.trainableWeights,
      );
      dOptimizer.applyGradients(dStep.grads);
      // Generator: make the discriminator say 1 for fakes; only the generator's variables move.
      const z = randomTensor([batch, noiseDim], rng, { distribution: 'normal' });
      const gStep = computeGradients(
        () => lossOf(ones, discriminator.call(generator.call(z, { training: true }) as tf.Tensor) as tf.Tensor),
        generator.trainableWeights,
      );
      gOptimizer.applyGradients(gStep.grads);
      return [dStep.value.dataSync()[0]!, gStep.value.dataSync()[0]!];
    });
    dLoss = d;
    gLoss = g;
    await callbacks.batchEnd(0, step, { d_loss: dLoss, g_loss: gLoss });
    if (options.log !== undefined && (step + 1) % 250 === 0) {
      options.log(`step ${step + 1}: d_loss ${dLoss.toFixed(3)} g_loss ${gLoss.toFixed(3)}`);
    }
  }
  await callbacks.epochEnd(0, { d_loss: dLoss, g_loss: gLoss });
  await callbacks.trainEnd();

  const samples = tf.tidy(
    () => generator.call(randomTensor([2000, noiseDim], rng, { distribution: 'normal' })) as tf.Tensor,
  );
  const { mean, variance } = tf.moments(samples);
  const result = { mean: mean.dataSync()[0]!, std: Math.sqrt(variance.dataSync()[0]!), dLoss, gLoss };
  options.log?.(
    `generated mean ${result.mean.toFixed(3)} (target ${TARGET_MEAN}), std ${result.std.toFixed(3)} (target ${TARGET_STD})`,
  );
  tf.dispose([samples, mean, variance, ones, zeros]);
  generator.dispose();
  discriminator.dispose();
  dOptimizer.dispose();
  gOptimizer.dispose();
  return result;
}

runIfMain(import.meta.url, main);
