import { cpuBackend } from '@plasticity/backend-cpu';
import {
  ProgressEmitter,
  ShapeError,
  ValueError,
  createRng,
  randomTensor,
  registerBackendPlugin,
  useBackend,
  type TrainingEvent,
} from '@plasticity/core';
import { Adam, SGD } from '@plasticity/optimizers';
import { expectTensorsClose } from '@plasticity/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Dense,
  EarlyStopping,
  Embedding,
  MeanAbsoluteErrorMetric,
  Model,
  Sequential,
  TimeDistributed,
  evaluateLoop,
  fitLoop,
  input,
  type StepBatch,
  type StepLogs,
  type TrainingHost,
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

/** Counts synchronous reads while `run` runs. */
async function countSyncReads(run: () => Promise<void>): Promise<number> {
  const dataSync = tf.Tensor.prototype.dataSync;
  let reads = 0;
  tf.Tensor.prototype.dataSync = function (this: tf.Tensor) {
    reads += 1;
    return dataSync.call(this);
  } as typeof dataSync;
  try {
    await run();
  } finally {
    tf.Tensor.prototype.dataSync = dataSync;
  }
  return reads;
}

/** A model whose step reports a loss it trains and a second value chosen by a schedule. */
class Scheduled extends Sequential {
  calls = 0;
  constructor(private readonly schedule: number[]) {
    super({ layers: [new Dense({ units: 1, inputShape: [3] })] });
  }
  override trainStep(batch: StepBatch): StepLogs {
    const fit_loss = this.minimize(() =>
      tf.mean(tf.square(tf.sub(this.forward(batch.x, true).yPred[0]!, batch.y[0]!))),
    );
    return { fit_loss, b_loss: tf.scalar(this.schedule[this.calls++]!) };
  }
}

describe('a custom trainStep', () => {
  it('gets its named logs into History, EarlyStopping and the progress events', async () => {
    const { x, y } = linearData(16, 1);
    const schedule = [5, 4, 3, 3.5, 4, 4.5, 5, 6, 7, 8];
    const model = new Scheduled(schedule);
    model.compile({ optimizer: new SGD({ learningRate: 0.1 }) });
    const stopper = new EarlyStopping({ monitor: 'b_loss', patience: 2 });
    const batches: TrainingEvent[] = [];
    const history = await model.fit(x, y, {
      epochs: 10,
      batchSize: 16,
      callbacks: [stopper],
      progress: (e) => {
        if (e.type === 'batch') batches.push(e);
      },
    });
    // Best 3 at epoch 2; epochs 3 and 4 do not beat it, so patience 2 stops at epoch 4.
    expect(history.history['b_loss']).toEqual([5, 4, 3, 3.5, 4]);
    expect(stopper.bestEpoch).toBe(2);
    expect(stopper.stoppedEpoch).toBe(4);
    expect(history.history['fit_loss']!.at(-1)!).toBeLessThan(history.history['fit_loss']![0]!);
    expect(Object.keys(batches[0]!.type === 'batch' ? batches[0]!.metrics : {})).toEqual(['fit_loss', 'b_loss']);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('logs running means weighted by batch size, per batch and per epoch', async () => {
    // Each step reports its batch size: batches of 4, 4 and 2 give running means 4, 4 and 3.6.
    const model = new (class extends Sequential {
      override trainStep(batch: StepBatch): StepLogs {
        return { size: tf.scalar(batch.size) };
      }
    })({ layers: [new Dense({ units: 1, inputShape: [3] })] });
    model.compile({ optimizer: 'sgd' });
    const seen: number[] = [];
    const h = await model.fit(tf.zeros([10, 3]), {
      batchSize: 4,
      progress: (e) => {
        if (e.type === 'batch') seen.push(e.metrics['size']!);
      },
    });
    expect(seen).toEqual([4, 4, 3.6]);
    expect(h.history['size']).toEqual([3.6]);
    model.dispose();
  });

  it('accumulates a MetricUpdate it returns over the epoch', async () => {
    const mae = new MeanAbsoluteErrorMetric();
    const model = new (class extends Sequential {
      override trainStep(batch: StepBatch): StepLogs {
        const pred = this.forward(batch.x).yPred[0]!;
        return { err: { metric: mae, stats: mae.batchStatistics(batch.y[0]!, pred) } };
      }
    })({ layers: [new Dense({ units: 1, inputShape: [1], kernelInitializer: 'zeros', biasInitializer: 'zeros' })] });
    model.compile({ optimizer: 'sgd' });
    // Predictions are 0: the MAE over all 5 targets is mean(|y|) = 2, whatever the batching.
    const h = await model.fit(tf.zeros([5, 1]), tf.tensor2d([[1], [2], [3], [2], [2]]), { batchSize: 2, epochs: 2 });
    expect(h.history['err']).toEqual([2, 2]);
    model.dispose();
  });
});

describe('EarlyStopping with restoreBestWeights', () => {
  it('says which epoch it restored, in restoredEpoch and a log line', async () => {
    // A learning rate that diverges after a few epochs makes the best epoch early.
    const { x, y } = linearData(32, 5);
    const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [3] })] });
    model.compile({ optimizer: new SGD({ learningRate: 1.3 }), loss: 'mse' });
    const lines: string[] = [];
    const stopper = new EarlyStopping({
      monitor: 'loss',
      patience: 2,
      restoreBestWeights: true,
      log: (l) => lines.push(l),
    });
    const history = await model.fit(x, y, { epochs: 50, batchSize: 32, callbacks: [stopper] });
    const losses = history.history['loss']!;
    const best = losses.indexOf(Math.min(...losses));
    expect(stopper.restoredEpoch).toBe(best);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`restored the weights of the best epoch, ${best + 1} \\(loss = `));
    // Without restoreBestWeights nothing is restored or said.
    const quiet = new EarlyStopping({ monitor: 'loss', patience: 2, log: (l) => lines.push(l) });
    await model.fit(x, y, { epochs: 50, batchSize: 32, callbacks: [quiet] });
    expect(quiet.restoredEpoch).toBeUndefined();
    expect(lines).toHaveLength(1);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('fitLoop', () => {
  it('drives a non-Model host with its own batches per epoch, progress emitter and label', async () => {
    // A one-weight "recommender": fits w·u ≈ 3u from plain-number batches it makes per epoch.
    const w = tf.variable(tf.scalar(0));
    const optimizer = new SGD({ learningRate: 0.1 });
    interface Plain {
      u: number[];
    }
    const lossOf = (b: Plain): tf.Scalar => {
      const u = tf.tensor1d(b.u);
      return tf.mean(tf.square(tf.sub(tf.mul(w, u), tf.mul(3, u))));
    };
    const host: TrainingHost<Plain> = {
      stopTraining: false,
      trainStep: (b) => ({ loss: optimizer.minimize(() => lossOf(b), true, [w])! }),
      testStep: (b) => ({ loss: lossOf(b) }),
    };
    const epochsAsked: number[] = [];
    const progress = new ProgressEmitter();
    const events: TrainingEvent[] = [];
    progress.on((e) => events.push(e));
    const before = tf.memory().numTensors;
    const history = await fitLoop(
      host,
      (epoch) => {
        epochsAsked.push(epoch);
        return [{ u: [1, 2] }, { u: [0.5] }];
      },
      {
        epochs: 30,
        steps: 2,
        progress,
        label: 'NeuMF',
        sizeOf: (b) => b.u.length,
        validationData: [{ u: [1] }],
      },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(epochsAsked).toEqual([...Array(30).keys()]);
    expect(events[0]).toEqual({ type: 'begin', label: 'NeuMF', epochs: 30, steps: 2 });
    expect(events.at(-1)!.type).toBe('end');
    expect(Object.keys(history.history)).toEqual(['loss', 'val_loss']);
    expect(w.dataSync()[0]).toBeCloseTo(3, 3);
    const logs = await evaluateLoop(host, [{ u: [2] }]);
    expect(logs['loss']).toBeCloseTo(4 * (w.dataSync()[0]! - 3) ** 2, 6);
    w.dispose();
    optimizer.dispose();
  });

  it('streams a per-epoch dataset function through Model.fit', async () => {
    const { x, y } = linearData(32, 2);
    const epochs: number[] = [];
    const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [3] })] });
    model.compile({ optimizer: new Adam({ learningRate: 0.1 }), loss: 'mse' });
    const h = await model.fit(
      function* (epoch: number) {
        epochs.push(epoch);
        for (let i = 0; i < 32; i += 8) yield { x: tf.slice(x, i, 8), y: tf.slice(y, i, 8) };
      },
      { epochs: 3 },
    );
    expect(epochs).toEqual([0, 1, 2]);
    expect(h.history['loss']).toHaveLength(3);
    model.dispose();
  });
});

describe('the default step', () => {
  it('reports the running mean of the batch losses, not the last batch', async () => {
    // Learning rate 0: the weights stay, so each batch's loss is the MSE of fixed predictions.
    const model = new Sequential({
      layers: [new Dense({ units: 1, inputShape: [1], kernelInitializer: 'ones', biasInitializer: 'zeros' })],
    });
    model.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'mse' });
    const x = tf.tensor2d([[1], [2], [3], [4], [5]]);
    const y = tf.zeros([5, 1]);
    const seen: number[] = [];
    await model.fit(x, y, {
      batchSize: 2,
      shuffle: false,
      progress: (e) => {
        if (e.type === 'batch') seen.push(e.metrics['loss']!);
      },
    });
    // Batch squared errors: {1, 4}, {9, 16}, {25}; running means over samples seen so far.
    expect(seen[0]).toBeCloseTo(5 / 2, 5);
    expect(seen[1]).toBeCloseTo(30 / 4, 5);
    expect(seen[2]).toBeCloseTo(55 / 5, 5);
    model.dispose();
  });

  it('checks NaN/Infinity with the default optimizer without any synchronous read', async () => {
    const { x, y } = linearData(64, 5);
    const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [3] })] });
    model.compile({ optimizer: new Adam({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });
    const reads = await countSyncReads(async () => {
      await model.fit(x, y, { epochs: 2, batchSize: 16, validationSplit: 0.25 });
      await model.evaluate(x, y);
    });
    expect(model.optimizer!.nonFinite).toBe('throw');
    expect(reads).toBe(0);
    // The deferred check still throws, at the step whose gradient was not finite (2 epochs × 3 steps before it).
    const bad = tf.tensor2d([[1, Number.NaN, 0]]);
    const reads2 = await countSyncReads(async () => {
      await expect(model.fit(bad, tf.zeros([1, 1]), { checkInputs: false })).rejects.toThrow(
        /Non-finite gradient .* for "dense_\d+\/kernel".* at step 6/,
      );
    });
    expect(reads2).toBe(0);
    tf.dispose([x, y, bad]);
    model.dispose();
  });
});

describe('targets that do not fit an output', () => {
  it('throw a ShapeError naming the output and both shapes, in fit, evaluate and trainOnBatch', async () => {
    const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [2], name: 'price' })] });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tf.zeros([4, 2]);
    const y = tf.zeros([4, 3]);
    const message = /target for output "price" has shape \[4,3\] but the output has shape \[null,1\]/;
    await expect(model.fit(x, y)).rejects.toThrow(ShapeError);
    await expect(model.fit(x, y)).rejects.toThrow(message);
    await expect(model.evaluate(x, y)).rejects.toThrow(message);
    expect(() => model.trainOnBatch(x, y)).toThrow(/target for output "price" has shape \[4,3\]/);
    await expect(model.fit(x, tf.zeros([4, 1]), { validationData: [x, y] })).rejects.toThrow(message);
    // A dataset is checked on each batch, against the concrete prediction shape.
    await expect(model.fit(() => [{ x, y }])).rejects.toThrow(/has shape \[4,3\] but the output has shape \[4,1\]/);
    model.dispose();
  });

  it('accept sparse class ids [N] or [N,1] against [N,C], and [N] against [N,1]', async () => {
    const cls = new Sequential({ layers: [new Dense({ units: 3, inputShape: [2], activation: 'softmax' })] });
    cls.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = randomTensor([6, 2], createRng(1));
    const ids = tf.tensor1d([0, 1, 2, 0, 1, 2]);
    const a = await cls.evaluate(x, ids);
    const b = await cls.evaluate(x, tf.reshape(ids, [6, 1]));
    expect(a['loss']).toBeCloseTo(b['loss']!, 6);
    await expect(cls.evaluate(x, tf.zeros([6, 3, 1]))).rejects.toThrow(ShapeError);
    cls.dispose();

    const reg = new Sequential({ layers: [new Dense({ units: 1, inputShape: [2] })] });
    reg.compile({ optimizer: 'sgd', loss: 'mae', metrics: ['mae'] });
    const y = tf.tensor1d([1, 2, 3, 4, 5, 6]);
    // A [N] target is the [N,1] target, not a broadcast to [N,N], for the loss and the metrics.
    const flat = await reg.evaluate(x, y);
    const column = await reg.evaluate(x, tf.reshape(y, [6, 1]));
    expect(flat['loss']).toBeCloseTo(column['loss']!, 6);
    expect(flat['mae']).toBeCloseTo(column['mae']!, 6);
    expect(flat['mae']).toBeCloseTo(flat['loss']!, 6);
    reg.dispose();
  });

  it('accept sequence targets [N,T] against a [N,T,1] output under a mask', async () => {
    const ids = input({ shape: [4] });
    const emb = new Embedding({ inputDim: 5, outputDim: 3, maskZero: true }).apply(ids);
    const out = new TimeDistributed({ layer: new Dense({ units: 1 }) }).apply(emb);
    const model = new Model({ inputs: ids, outputs: out });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tf.tensor2d([
      [1, 2, 0, 0],
      [3, 4, 1, 0],
    ]);
    const a = await model.evaluate(x, tf.ones([2, 4]));
    const b = await model.evaluate(x, tf.ones([2, 4, 1]));
    expect(a['loss']).toBeCloseTo(b['loss']!, 6);
    await expect(model.evaluate(x, tf.ones([2, 4, 2]))).rejects.toThrow(/\[2,4,2\] but the output has shape/);
    model.dispose();
  });
});

/** A 6-variable model: three Dense layers. */
function sixVariables(): Sequential {
  return new Sequential({
    layers: [
      new Dense({ units: 4, inputShape: [3], activation: 'relu' }),
      new Dense({ units: 4, activation: 'relu' }),
      new Dense({ units: 1 }),
    ],
  });
}

describe('compile', () => {
  it("disposes the previous optimizer's slots, unless the same optimizer comes back", async () => {
    const { x, y } = linearData(8, 3);
    const model = sixVariables();
    const adam = new Adam();
    model.compile({ optimizer: adam, loss: 'mse' });
    const base = tf.memory().numTensors;
    model.trainOnBatch(x, y);
    expect(tf.memory().numTensors).toBe(base + 12); // two moments per variable
    model.compile({ optimizer: adam, loss: 'mae' }); // same instance: state kept
    expect(tf.memory().numTensors).toBe(base + 12);
    expect(adam.iterations).toBe(1);
    model.compile({ optimizer: new Adam(), loss: 'mse' });
    expect(tf.memory().numTensors).toBe(base);
    model.trainOnBatch(x, y);
    model.compile({ optimizer: 'adam', loss: 'mse' });
    expect(tf.memory().numTensors).toBe(base);
    model.compile({ optimizers: { d: new Adam(), g: new SGD({ learningRate: 0.1 }) } });
    expect(Object.keys(model.optimizers)).toEqual(['d', 'g']);
    expect(model.optimizer).toBe(model.optimizers['d']);
    model.dispose();
    tf.dispose([x, y]);
  });

  it('rejects a configuration without an optimizer', () => {
    const model = sixVariables();
    expect(() => model.compile({ loss: 'mse' })).toThrow(ValueError);
    model.dispose();
  });
});

describe('1,000 training steps', () => {
  it('leave tf.memory().numTensors flat: fit with metrics and validation, and recompiling', async () => {
    const { x, y } = linearData(200, 4);
    const model = sixVariables();
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse', metrics: ['mae'] });
    model.trainOnBatch(x, y); // creates the optimizer's slots
    const before = tf.memory().numTensors;
    // 10 epochs × 100 steps of 2 samples (validation: 20% of the data after each epoch).
    const h = await model.fit(x, y, { epochs: 10, batchSize: 2, validationSplit: 0.2 });
    expect(h.history['loss']).toHaveLength(10);
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < 50; i++) {
      model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse', metrics: ['mae'] });
      await model.fit(x, y, { epochs: 1, batchSize: 100 });
      expect(tf.memory().numTensors).toBe(before);
    }
    const trained = model.predict(x) as tf.Tensor;
    expectTensorsClose(tf.mean(tf.square(tf.sub(trained, y))), 0, { atol: 0.05 });
    tf.dispose([x, y, trained]);
    model.dispose();
  }, 120_000);
});
