/**
 * An autoencoder: 16-dimensional points that really live on a curved 2-D sheet are squeezed
 * through a 2-unit bottleneck and reconstructed. A functional model, so the encoder can be cut
 * out and reused afterwards.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@plasticity/core';
import { Dense, Model, input } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { runIfMain, setup, type ExampleOptions } from './setup.js';

const DIM = 16;

export async function main(options: ExampleOptions = {}) {
  await setup(options);
  const rng = createRng(options.seed ?? 6);
  // A fixed random map from 2 latent coordinates to 16 features, through tanh.
  const mixing = Array.from({ length: 2 * DIM }, () => rng.normal(0, 1));
  const sample = (n: number): tf.Tensor2D => {
    const data = new Float32Array(n * DIM);
    for (let i = 0; i < n; i++) {
      const [u, v] = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
      for (let j = 0; j < DIM; j++) data[i * DIM + j] = Math.tanh(u * mixing[j]! + v * mixing[DIM + j]!);
    }
    return tf.tensor2d(data, [n, DIM]);
  };
  const train = sample(2000);
  const test = sample(500);

  const x = input({ shape: [DIM] });
  const code = new Dense({ units: 2, name: 'code' }).apply(new Dense({ units: 32, activation: 'tanh' }).apply(x));
  const hidden = new Dense({ units: 32, activation: 'tanh' }).apply(code);
  const output = new Dense({ units: DIM }).apply(hidden);
  const autoencoder = new Model({ inputs: x, outputs: output });
  autoencoder.compile({ optimizer: new Adam({ learningRate: 0.005 }), loss: 'mse' });
  await autoencoder.fit(train, train, { epochs: 40, batchSize: 64 });

  // The encoder is the same layers up to the bottleneck: no copy, shared weights.
  const encoder = new Model({ inputs: x, outputs: autoencoder.getLayer('code').output });
  const { loss } = await autoencoder.evaluate(test, test);
  const variance = tf.tidy(() => tf.moments(test, 0).variance.mean().dataSync()[0]!);
  const codes = encoder.predict(test) as tf.Tensor;
  options.log?.(
    `reconstruction mse ${loss!.toFixed(4)} vs feature variance ${variance.toFixed(4)}; codes ${codes.shape}`,
  );
  tf.dispose([train, test, codes]);
  autoencoder.dispose();
  return { reconstructionMse: loss!, variance, codeShape: codes.shape };
}

runIfMain(import.meta.url, main);
