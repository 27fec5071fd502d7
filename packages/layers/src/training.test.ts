import { cpuBackend } from '@plasticity/backend-cpu';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import * as tf from '@tensorflow/tfjs-core';
import { ProgressEmitter, ValueError, createRng, randomTensor, type TrainingEvent } from '@plasticity/core';
import { Adam, SGD } from '@plasticity/optimizers';
import { expectNoTensorLeaks, expectTensorsClose } from '@plasticity/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Callback,
  CallbackList,
  Dense,
  EarlyStopping,
  History,
  Model,
  ReduceLROnPlateau,
  Sequential,
  TerminateOnNaN,
  computeGradients,
  input,
  type Batch,
  type Logs,
} from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

function linearData(n: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = randomTensor([n, 3], createRng(seed), { min: -1, max: 1 }) as tf.Tensor2D;
  const y = tf.add(tf.matMul(x, tf.tensor2d([[2], [-1], [0.5]])), 0.3) as tf.Tensor2D;
  return { x, y };
}

describe('fit', () => {
  it('recovers the weights of a linear target, with validation logs and events', async () => {
    const { x, y } = linearData(200, 1);
    const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [3] })] });
    model.compile({ optimizer: new Adam({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });
    const events: TrainingEvent['type'][] = [];
    const history = await model.fit(x, y, {
      epochs: 40,
      batchSize: 20,
      validationSplit: 0.2,
      progress: (e) => events.push(e.type),
    });
    const dense = model.layers[0] as Dense;
    expectTensorsClose(dense.kernel!, [2, -1, 0.5], { atol: 0.02 });
    expectTensorsClose(dense.bias!, [0.3], { atol: 0.02 });
    expect(history.history['loss']).toHaveLength(40);
    expect(history.history['val_loss']!.at(-1)!).toBeLessThan(1e-3);
    expect(Object.keys(history.history).sort()).toEqual(['loss', 'mae', 'val_loss', 'val_mae']);
    expect(events[0]).toBe('begin');
    expect(events.filter((e) => e === 'batch')).toHaveLength(40 * 8);
    expect(events.at(-1)).toBe('end');
  });

  it('weights the loss by sampleWeight and classWeight exactly as the formula says', async () => {
    const model = new Sequential({
      layers: [new Dense({ units: 1, inputShape: [1], kernelInitializer: 'ones', biasInitializer: 'zeros' })],
    });
    model.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'mse' });
    const x = tf.tensor2d([[1], [2], [3]]);
    const y = tf.tensor2d([[0], [0], [1]]);
    // squared errors 1, 4, 4; weights 1, 0, 2 -> mean(1, 0, 8) = 3
    const logs = await model.evaluate(x, y, { sampleWeight: tf.tensor1d([1, 0, 2]) });
    expect(logs['loss']).toBeCloseTo(3, 5);
    const h = await model.fit(x, y, { epochs: 1, batchSize: 3, shuffle: false, classWeight: { 0: 0.5, 1: 3 } });
    // class weights 0.5, 0.5, 3 -> mean(0.5, 2, 12) = 4.8333
    expect(h.history['loss']![0]).toBeCloseTo(14.5 / 3, 4);
  });

  it('streams batches from an async iterable', async () => {
    const { x, y } = linearData(64, 2);
    async function* batches(): AsyncGenerator<Batch> {
      for (let i = 0; i < 64; i += 16) yield { x: tf.slice(x, i, 16), y: tf.slice(y, i, 16) };
    }
    const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [3] })] });
    model.compile({ optimizer: new Adam({ learningRate: 0.1 }), loss: 'mse' });
    const h = await model.fit({ [Symbol.asyncIterator]: batches }, { epochs: 20 });
    expect(h.history['loss']!.at(-1)!).toBeLessThan(h.history['loss']![0]! / 10);
  });

  it('trains a two-output model with per-output losses and loss weights', async () => {
    const a = input({ shape: [2] });
    const h = new Dense({ units: 8, activation: 'tanh' }).apply(a);
    const reg = new Dense({ units: 1, name: 'reg' }).apply(h);
    const cls = new Dense({ units: 2, activation: 'softmax', name: 'cls' }).apply(h);
    const model = new Model({ inputs: a, outputs: [reg, cls] });
    model.compile({
      optimizer: new Adam({ learningRate: 0.05 }),
      loss: { reg: 'mse', cls: 'sparseCategoricalCrossentropy' },
      metrics: { cls: ['accuracy'] },
      lossWeights: { reg: 1, cls: 0.5 },
    });
    const x = randomTensor([100, 2], createRng(3), { min: -1, max: 1 });
    const yReg = tf.sum(x, 1, true);
    const yCls = tf.cast(tf.greater(tf.slice(x, [0, 0], [-1, 1]), 0), 'float32');
    const history = await model.fit(x, { reg: yReg, cls: yCls }, { epochs: 30, batchSize: 25 });
    expect(history.history['cls_accuracy']!.at(-1)!).toBeGreaterThan(0.9);
    const logs = await model.evaluate(x, [yReg, yCls]);
    const [pReg, pCls] = model.predict(x) as tf.Tensor[];
    const mse = tf.mean(tf.squaredDifference(pReg!, yReg)).dataSync()[0]!;
    const ce = tf
      .mean(tf.neg(tf.log(tf.sum(tf.mul(tf.oneHot(tf.cast(tf.squeeze(yCls), 'int32'), 2), pCls!), 1))))
      .dataSync()[0]!;
    expect(logs['loss']).toBeCloseTo(mse + 0.5 * ce, 4);
  });

  it('rejects empty data, mismatched sample counts and NaN inputs with clear errors', async () => {
    const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [2] })] });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    await expect(model.fit(tf.zeros([0, 2]), tf.zeros([0, 1]))).rejects.toThrow(/the data is empty/);
    await expect(model.fit(tf.zeros([4, 2]), tf.zeros([3, 1]))).rejects.toThrow(/same number of samples; got 4 and 3/);
    await expect(model.fit(tf.tensor2d([[1, Number.NaN]]), tf.zeros([1, 1]))).rejects.toThrow(
      /Input 0 contains NaN or Infinity/,
    );
    await expect(model.fit(tf.zeros([4, 2]), tf.zeros([4, 1]), { epochs: 0 })).rejects.toThrow(ValueError);
    const uncompiled = new Sequential({ layers: [new Dense({ units: 1, inputShape: [2] })] });
    await expect(uncompiled.fit(tf.zeros([4, 2]), tf.zeros([4, 1]))).rejects.toThrow(
      /not compiled; call model.compile/,
    );
  });

  it('leaks no tensors across fit, evaluate and predict', async () => {
    const { x, y } = linearData(64, 4);
    const model = new Sequential({
      layers: [new Dense({ units: 4, inputShape: [3], activation: 'relu' }), new Dense({ units: 1 })],
    });
    model.compile({ optimizer: new Adam(), loss: 'mse', metrics: ['mae', 'rmse'] });
    await model.fit(x, y, { epochs: 1, batchSize: 16 }); // creates the optimizer's slots
    await expectNoTensorLeaks(async () => {
      await model.fit(x, y, { epochs: 3, batchSize: 16, validationSplit: 0.25 });
      await model.evaluate(x, y);
      (model.predict(x, { batchSize: 10 }) as tf.Tensor).dispose();
      model.trainOnBatch(x, y);
    });
  });

  it('fit and evaluate read results back asynchronously, never with dataSync', async () => {
    // A synchronous read stalls WebGL/WebGPU pages, and on WebGPU in headless Chromium
    // (SwiftShader) it returns zeros. The optimizer's own NaN check reads synchronously, so it is off.
    const { x, y } = linearData(64, 5);
    const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [3] })] });
    model.compile({ optimizer: new Adam({ learningRate: 0.1, nonFinite: 'ignore' }), loss: 'mse', metrics: ['mae'] });
    const dataSync = tf.Tensor.prototype.dataSync;
    let syncReads = 0;
    tf.Tensor.prototype.dataSync = function (this: tf.Tensor) {
      syncReads += 1;
      return dataSync.call(this);
    } as typeof dataSync;
    try {
      const history = await model.fit(x, y, { epochs: 2, batchSize: 16, validationSplit: 0.25 });
      const logs = await model.evaluate(x, y);
      expect(syncReads).toBe(0);
      // The values are still the real ones: evaluate's loss is the MSE computed here by hand.
      const predicted = model.predict(x) as tf.Tensor;
      const preds = (await predicted.data()) as Float32Array;
      predicted.dispose();
      const targets = (await y.data()) as Float32Array;
      const mse = preds.reduce((s, p, i) => s + (p - targets[i]!) ** 2, 0) / preds.length;
      expect(logs['loss']).toBeCloseTo(mse, 5);
      expect(history.history['loss']).toHaveLength(2);
      model.trainOnBatch(x, y); // the synchronous API still reads synchronously
      expect(syncReads).toBeGreaterThan(0);
    } finally {
      tf.Tensor.prototype.dataSync = dataSync;
      tf.dispose([x, y]);
    }
  });
});

describe('callbacks', () => {
  it('EarlyStopping stops and restores the weights of the best epoch', async () => {
    // A learning rate that diverges after a few epochs makes the best epoch early.
    const { x, y } = linearData(32, 5);
    const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [3] })] });
    model.compile({ optimizer: new SGD({ learningRate: 1.3 }), loss: 'mse' });
    const snapshots: tf.Tensor[][] = [];
    const recorder = new (class extends Callback {
      override onEpochEnd(): void {
        snapshots.push(this.model!.getWeights());
      }
    })();
    const stopper = new EarlyStopping({ monitor: 'loss', patience: 2, restoreBestWeights: true });
    const history = await model.fit(x, y, { epochs: 50, batchSize: 32, callbacks: [recorder, stopper] });
    const losses = history.history['loss']!;
    expect(losses.length).toBeLessThan(50);
    const best = losses.indexOf(Math.min(...losses));
    expect(stopper.bestEpoch).toBe(best);
    model.getWeights().forEach((w, i) => expectTensorsClose(w, snapshots[best]![i]!));
  });

  it('ReduceLROnPlateau lowers the learning rate when the loss stalls', async () => {
    const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [1] })] });
    const optimizer = new SGD({ learningRate: 0.1 });
    model.compile({ optimizer, loss: 'mse' });
    const x = tf.zeros([8, 1]);
    const y = tf.ones([8, 1]);
    const reduce = new ReduceLROnPlateau({ monitor: 'loss', patience: 0, factor: 0.5, minDelta: 10 });
    const history = await model.fit(x, y, { epochs: 3, callbacks: [reduce] });
    // The first epoch sets the best loss; each later one fails to beat it by minDelta.
    expect(history.history['lr']).toEqual([0.1, 0.05, 0.025].map((v) => expect.closeTo(v, 10)));
    expect(optimizer.currentLearningRate()).toBeCloseTo(0.025, 10);
  });

  it('TerminateOnNaN stops at the first non-finite batch loss', async () => {
    const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [1] })] });
    model.compile({ optimizer: new SGD({ learningRate: 1e30, nonFinite: 'ignore' }), loss: 'mse' });
    const history = await model.fit(tf.fill([64, 1], 1e10), tf.ones([64, 1]), {
      epochs: 5,
      batchSize: 8,
      callbacks: [new TerminateOnNaN()],
      checkInputs: false,
    });
    expect(history.history['loss']).toHaveLength(1);
  });
});

describe('custom training loops', () => {
  it('compute gradients of any loss for chosen weights and report through the same callbacks', async () => {
    const model = new Sequential({
      layers: [new Dense({ units: 1, inputShape: [2], name: 'frozen' }), new Dense({ units: 1, name: 'free' })],
    });
    const frozen = (model.getLayer('frozen') as Dense).kernel!.dataSync().slice();
    const optimizer = new SGD({ learningRate: 0.05 });
    const history = new History();
    const progress = new ProgressEmitter();
    const seen: string[] = [];
    progress.on((e) => seen.push(e.type));
    const callbacks = new CallbackList([history], { model, epochs: 5, steps: 1, progress });
    const x = tf.tensor2d([
      [1, 2],
      [3, -1],
    ]);
    const y = tf.tensor2d([[1], [0]]);
    const onlyFree = model.getLayer('free').trainableWeights;
    await callbacks.trainBegin();
    for (let epoch = 0; epoch < 5; epoch++) {
      await callbacks.epochBegin(epoch);
      const { value, grads } = computeGradients(
        () => tf.mean(tf.square(tf.sub(model.apply(x) as tf.Tensor, y))),
        onlyFree,
      );
      optimizer.applyGradients(grads);
      const logs: Logs = { loss: value.dataSync()[0]! };
      tf.dispose([value, ...Object.values(grads)]);
      await callbacks.batchEnd(epoch, 0, logs);
      await callbacks.epochEnd(epoch, logs);
    }
    await callbacks.trainEnd();
    expect((model.getLayer('frozen') as Dense).kernel!.dataSync()).toEqual(frozen);
    expect(history.history['loss']!.at(-1)!).toBeLessThan(history.history['loss']![0]!);
    expect(seen.filter((t) => t === 'epoch')).toHaveLength(5);
  });
});
