import { cpuBackend } from '@plasticity/backend-cpu';
import { ValueError, createRng, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import { Dense, Model, input } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { expectNoTensorLeaks } from '@plasticity/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamicWeightAverage, GradNorm, MultiTaskModel, UncertaintyWeighting } from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

function build(): MultiTaskModel {
  const x = input({ shape: [2] });
  const trunk = new Model({
    inputs: x,
    outputs: new Dense({ units: 16, activation: 'tanh', name: 'trunk_fc' }).apply(x),
  });
  return new MultiTaskModel({
    trunk,
    tasks: {
      sum: { head: new Dense({ units: 1, name: 'sum_out' }), loss: 'mse', metrics: ['mae'] },
      sign: {
        head: [new Dense({ units: 4, activation: 'relu' }), new Dense({ units: 2, activation: 'softmax' })],
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
      },
    },
  });
}

function data(n: number, seed: number): { x: tf.Tensor; y: { sum: tf.Tensor; sign: tf.Tensor } } {
  const x = randomTensor([n, 2], createRng(seed), { min: -1, max: 1 });
  const sum = tf.sum(x, 1, true);
  const sign = tf.cast(
    tf.greater(tf.reshape(tf.sub(x.slice([0, 0], [n, 1]), x.slice([0, 1], [n, 1])), [n]), 0),
    'int32',
  );
  return { x, y: { sum, sign } };
}

describe('MultiTaskModel', () => {
  it('learns a regression and a classification task on one trunk, with per-task logs and metrics', async () => {
    const mt = build();
    expect(mt.tasks).toEqual(['sum', 'sign']);
    expect(mt.sharedVariables.map((v) => v.name)).toEqual(mt.trunk.trainableWeights.map((v) => v.name));
    expect(mt.taskVariables.map((vs) => vs.length)).toEqual([2, 4]);
    const { x, y } = data(400, 1);
    const val = data(200, 2);
    const before = mt.evaluate(val.x, val.y);
    const history = await mt.fit(x, y, {
      optimizer: new Adam({ learningRate: 0.02 }),
      epochs: 20,
      batchSize: 32,
      validationData: [val.x, val.y],
    });
    const last = history.epochs[history.epochs.length - 1]!;
    expect(Object.keys(last)).toEqual(
      expect.arrayContaining(['loss', 'sum_loss', 'sign_loss', 'sum_weight', 'val_sum_mae', 'val_sign_accuracy']),
    );
    expect(last['val_sum_mae']!).toBeLessThan(before['sum_mae']! / 3);
    expect(last['val_sign_accuracy']!).toBeGreaterThan(0.9);
    const preds = mt.predict(val.x);
    expect(preds['sum']!.shape).toEqual([200, 1]);
    expect(preds['sign']!.shape).toEqual([200, 2]);
    // evaluate's mae matches a hand computation on the predictions.
    const mae = tf.mean(tf.abs(tf.sub(preds['sum']!, val.y.sum))).dataSync()[0]!;
    expect(mt.evaluate(val.x, val.y)['sum_mae']).toBeCloseTo(mae, 4);
  });

  it('trains with every balancer without leaking tensors', async () => {
    const { x, y } = data(64, 3);
    for (const balancer of [new UncertaintyWeighting(), new DynamicWeightAverage(), new GradNorm({ alpha: 0.5 })]) {
      const mt = build();
      const optimizer = new Adam({ learningRate: 0.01 });
      await mt.fit(x, y, { optimizer, balancer, epochs: 1, batchSize: 16 });
      await expectNoTensorLeaks(async () => {
        await mt.fit(x, y, { optimizer, balancer, epochs: 3, batchSize: 16 });
      });
      expect(balancer.weights()).toHaveLength(2);
    }
  });

  it('rejects bad configurations and targets with a message naming the problem', async () => {
    const x = input({ shape: [2] });
    const trunk = new Model({ inputs: x, outputs: new Dense({ units: 3 }).apply(x) });
    expect(() => new MultiTaskModel({ trunk, tasks: {} })).toThrow(/at least one task/);
    expect(() => new MultiTaskModel({ trunk: {} as never, tasks: {} })).toThrow(/needs a trunk Model/);
    expect(() => new MultiTaskModel({ trunk, tasks: { t: { head: [], loss: 'mse' } } })).toThrow(
      /head must be a layer/,
    );
    const mt = build();
    const { x: xs, y } = data(8, 4);
    await expect(mt.fit(xs, { sum: y.sum } as never, { optimizer: new Adam() })).rejects.toThrow(
      /no targets for task "sign"/,
    );
    await expect(mt.fit(xs, { ...y, other: y.sum }, { optimizer: new Adam() })).rejects.toThrow(
      /"other" is not a task/,
    );
    await expect(mt.fit(xs, y, { optimizer: new Adam(), epochs: 0 })).rejects.toThrow(ValueError);
    await expect(mt.fit(xs, { sum: y.sum.slice(0, 4), sign: y.sign }, { optimizer: new Adam() })).rejects.toThrow(
      /8 samples/,
    );
  });
});
