/**
 * A GAN, written as a custom training step: a generator learns to turn Gaussian noise into samples
 * of N(4, 1.25²) while a discriminator learns to tell its samples from real ones. `Gan` is a
 * `Model` whose `trainStep` runs two gradient steps with two optimizers (`compile({ optimizers })`)
 * and returns `{ d_loss, g_loss }`; `fit` does the rest — fresh real samples every epoch from a
 * dataset function, one asynchronous read per step, History, callbacks and progress events — and
 * those two names are the logs every callback sees.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, randomTensor, type Rng, type TrainingListener } from '@plasticity/core';
import {
  BinaryCrossentropy,
  Callback,
  Dense,
  Model,
  Sequential,
  setInitializerSeed,
  type Layer,
  type Logs,
  type StepBatch,
  type StepLogs,
} from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { runIfMain, setup, type ExampleOptions } from './setup.js';

export const TARGET_MEAN = 4;
export const TARGET_STD = 1.25;

const bce = new BinaryCrossentropy({ fromLogits: true });
const lossOf = (labels: tf.Tensor, logits: tf.Tensor): tf.Scalar => tf.mean(bce.call(labels, logits));

/** A generator and a discriminator trained against each other by one overridden `trainStep`. */
export class Gan extends Model {
  constructor(
    readonly generator: Sequential,
    readonly discriminator: Sequential,
    readonly noiseDim: number,
    private readonly rng: Rng,
  ) {
    super({ name: 'gan' });
  }

  /** Both networks: their weights are the GAN's (getWeights, dispose, trainableWeights). */
  override get layers(): Layer[] {
    return [this.generator, this.discriminator];
  }

  /** `n` samples of the generator, from fresh noise. */
  sample(n: number, training = false): tf.Tensor {
    const z = randomTensor([n, this.noiseDim], this.rng, { distribution: 'normal' });
    return this.generator.call(z, { training }) as tf.Tensor;
  }

  override trainStep(batch: StepBatch): StepLogs {
    const real = batch.x[0]!;
    const ones = tf.ones([batch.size, 1]);
    const zeros = tf.zeros([batch.size, 1]);
    const fake = this.sample(batch.size);
    const d = this.discriminator;
    // Discriminator: real → 1, fake → 0; only its variables move.
    const dLoss = this.minimize(
      () =>
        tf.add(
          lossOf(ones, d.call(real, { training: true }) as tf.Tensor),
          lossOf(zeros, d.call(fake, { training: true }) as tf.Tensor),
        ),
      { optimizer: this.optimizers['d']!, variables: d.trainableWeights },
    );
    // Generator: make the discriminator say 1 for fakes; only the generator's variables move.
    const gLoss = this.minimize(() => lossOf(ones, d.call(this.sample(batch.size, true)) as tf.Tensor), {
      optimizer: this.optimizers['g']!,
      variables: this.generator.trainableWeights,
    });
    return { d_loss: dLoss, g_loss: gLoss };
  }
}

/** Prints the epoch's named logs: a plain callback sees `d_loss` and `g_loss` like any loss. */
class EpochLog extends Callback {
  constructor(private readonly log: (line: string) => void) {
    super();
  }
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.log(`epoch ${epoch + 1}: d_loss ${logs['d_loss']!.toFixed(3)} g_loss ${logs['g_loss']!.toFixed(3)}`);
  }
}

export async function main(options: ExampleOptions & { steps?: number; onEvent?: TrainingListener } = {}) {
  await setup(options);
  const rng = createRng(options.seed ?? 7);
  // GANs are sensitive to their starting weights: draw them from the same seed on every run, so
  // the result does not depend on what else the process created before.
  setInitializerSeed(options.seed ?? 7);
  const batchSize = 64;
  const stepsPerEpoch = 100;
  const epochs = Math.max(1, Math.round((options.steps ?? 1500) / stepsPerEpoch));

  const generator = new Sequential({
    layers: [new Dense({ units: 16, activation: 'relu', inputShape: [4] }), new Dense({ units: 1 })],
  });
  const discriminator = new Sequential({
    layers: [
      new Dense({ units: 32, activation: 'relu', inputShape: [1] }),
      new Dense({ units: 32, activation: 'relu' }),
      new Dense({ units: 1 }), // a logit: the loss applies the sigmoid
    ],
  });
  const gan = new Gan(generator, discriminator, 4, rng);
  gan.compile({
    optimizers: {
      d: new Adam({ learningRate: 0.001, beta1: 0.5 }),
      // A moving average of the generator's weights smooths the GAN's oscillations (Karras et al. 2018).
      g: new Adam({ learningRate: 0.001, beta1: 0.5, emaDecay: 0.995 }),
    },
  });

  // Real samples, fresh every epoch: a dataset given as a function of the epoch. The batches are
  // ours, so each is freed when fit asks for the next one.
  function* realSamples(): Generator<{ x: tf.Tensor }> {
    for (let i = 0; i < stepsPerEpoch; i++) {
      const x = randomTensor([batchSize, 1], rng, { distribution: 'normal', mean: TARGET_MEAN, std: TARGET_STD });
      try {
        yield { x };
      } finally {
        x.dispose();
      }
    }
  }
  const history = await gan.fit(realSamples, {
    epochs,
    callbacks: options.log === undefined ? [] : [new EpochLog(options.log)],
    ...(options.onEvent === undefined ? {} : { progress: options.onEvent }),
  });

  gan.optimizers['g']!.swapEmaWeights(); // sample with the averaged generator
  const samples = tf.tidy(() => gan.sample(2000));
  const { mean, variance } = tf.moments(samples);
  const result = {
    mean: (await mean.data())[0]!,
    std: Math.sqrt((await variance.data())[0]!),
    dLoss: history.history['d_loss']!.at(-1)!,
    gLoss: history.history['g_loss']!.at(-1)!,
    history: history.history,
  };
  options.log?.(
    `generated mean ${result.mean.toFixed(3)} (target ${TARGET_MEAN}), std ${result.std.toFixed(3)} (target ${TARGET_STD})`,
  );
  tf.dispose([samples, mean, variance]);
  gan.dispose(); // both networks and both optimizers
  return result;
}

runIfMain(import.meta.url, main);
