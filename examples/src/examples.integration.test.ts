/**
 * Each example must actually learn: the bounds come from the task (noise level, the Bayes error
 * of overlapping classes, the target distribution), not from a previous run of the example.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from './setup.js';
import { main as linear } from './linear-regression.js';
import { TRUE_BIAS, TRUE_WEIGHTS, main as multivariable } from './multivariable-regression.js';
import { main as logistic } from './logistic-regression.js';
import { main as mlp } from './mlp-classifier.js';
import { main as cnn } from './cnn.js';
import { main as autoencoder } from './autoencoder.js';
import { main as lstm } from './lstm.js';
import { TARGET_MEAN, TARGET_STD, main as gan } from './gan.js';

beforeAll(async () => {
  await setup({}); // the examples' default backend (wasm)
});

/** Runs an example and checks it leaves no tensors behind. */
async function run<T>(example: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await example();
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

describe('examples learn what they claim', () => {
  it('linear regression recovers y = 3x + 2; its loss reaches the noise variance (0.01)', async () => {
    const r = await run(() => linear());
    expect(r.slope).toBeCloseTo(3, 1);
    expect(r.intercept).toBeCloseTo(2, 1);
    expect(r.loss).toBeLessThan(0.015);
  });

  it('multivariable regression recovers the true weights', async () => {
    const r = await run(() => multivariable());
    r.weights.forEach((w, j) => expect(Math.abs(w - TRUE_WEIGHTS[j]!)).toBeLessThan(0.05));
    expect(Math.abs(r.bias - TRUE_BIAS)).toBeLessThan(0.05);
    expect(r.valLoss).toBeLessThan(0.02);
  });

  it('logistic regression nears the Bayes accuracy of the two clouds (about 0.96)', async () => {
    // Means ±(1.5, 1), unit variance: the Bayes error is Φ(−|μ|) = Φ(−1.80) ≈ 0.036.
    const r = await run(() => logistic());
    expect(r.accuracy).toBeGreaterThan(0.93);
  });

  it('the MLP separates three spirals (a linear model gets about 1/3)', async () => {
    const r = await run(() => mlp());
    expect(r.accuracy).toBeGreaterThan(0.9);
  });

  it('the CNN tells bar orientations apart under noise', async () => {
    const r = await run(() => cnn());
    expect(r.accuracy).toBeGreaterThan(0.9);
  }, 120_000);

  it('the LSTM forecasts a sine wave at least twice as well as the naive last-value forecast', async () => {
    const r = await run(() => lstm());
    // The noise alone (σ = 0.05 on both ends) puts the floor at 0.0025; naive is about 0.08.
    expect(r.mse).toBeLessThan(0.5 * r.naiveMse);
  }, 240_000);

  it('the autoencoder reconstructs through a 2-unit bottleneck to under 10% of the variance', async () => {
    const r = await run(() => autoencoder());
    expect(r.codeShape).toEqual([500, 2]);
    expect(r.reconstructionMse).toBeLessThan(0.1 * r.variance);
  }, 60_000);

  it('the GAN generator matches the target mean and spread', async () => {
    const events: string[] = [];
    const r = await run(() => gan({ onEvent: (e) => events.push(e.type) }));
    expect(Math.abs(r.mean - TARGET_MEAN)).toBeLessThan(0.3);
    expect(Math.abs(r.std - TARGET_STD)).toBeLessThan(0.4);
    expect(events[0]).toBe('begin');
    expect(events.at(-1)).toBe('end');
  }, 120_000);
});
