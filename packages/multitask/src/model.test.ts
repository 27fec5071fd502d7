import { cpuBackend } from '@plasticity/backend-cpu';
import {
  ArtifactError,
  ValueError,
  createRng,
  memoryIO,
  randomTensor,
  registerBackendPlugin,
  useBackend,
  type TrainingEvent,
} from '@plasticity/core';
import { Callback, Dense, EarlyStopping, Model, input, loadModel, type Logs } from '@plasticity/layers';
import { Adam, SGD } from '@plasticity/optimizers';
import { expectNoTensorLeaks } from '@plasticity/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DynamicWeightAverage,
  FixedWeights,
  GradNorm,
  MultiTaskModel,
  PCGrad,
  UncertaintyWeighting,
  loadMultiTaskModel,
  type LossBalancer,
} from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

function build(units = 16): MultiTaskModel {
  const x = input({ shape: [2] });
  const trunk = new Model({
    inputs: x,
    outputs: new Dense({ units, activation: 'tanh', name: 'trunk_fc' }).apply(x),
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

const balancers = (): LossBalancer[] => [
  new FixedWeights({ sum: 2 }),
  new UncertaintyWeighting(),
  new DynamicWeightAverage(),
  new GradNorm({ alpha: 0.5 }),
  new PCGrad({ seed: 1 }),
];

describe('MultiTaskModel', () => {
  it('learns a regression and a classification task on one trunk, with per-task logs and metrics', async () => {
    const mt = build();
    expect(mt.tasks).toEqual(['sum', 'sign']);
    expect(mt.model.outputNames).toEqual(['sum', 'sign']);
    expect(mt.sharedVariables.map((v) => v.name)).toEqual(mt.trunk.trainableWeights.map((v) => v.name));
    expect(mt.taskVariables.map((vs) => vs.length)).toEqual([2, 4]);
    const { x, y } = data(400, 1);
    const val = data(200, 2);
    mt.compile({ optimizer: new Adam({ learningRate: 0.02 }) });
    const before = await mt.evaluate(val.x, val.y);
    const history = await mt.fit(x, y, { epochs: 20, batchSize: 32, validationData: [val.x, val.y] });
    expect(Object.keys(history.history)).toEqual(
      expect.arrayContaining(['loss', 'sum_loss', 'sign_loss', 'sum_weight', 'val_sum_mae', 'val_sign_accuracy']),
    );
    const last = (k: string): number => history.history[k]!.at(-1)!;
    expect(history.history['loss']).toHaveLength(20);
    expect(last('loss')).toBeCloseTo(last('sum_loss') + last('sign_loss'), 5);
    expect(last('val_sum_mae')).toBeLessThan(before['sum_mae']! / 3);
    expect(last('val_sign_accuracy')).toBeGreaterThan(0.9);
    const preds = mt.predict(val.x);
    expect(preds['sum']!.shape).toEqual([200, 1]);
    expect(preds['sign']!.shape).toEqual([200, 2]);
    // evaluate's mae matches a hand computation on the predictions.
    const mae = tf.mean(tf.abs(tf.sub(preds['sum']!, val.y.sum))).dataSync()[0]!;
    const logs = await mt.evaluate(val.x, val.y);
    expect(logs['sum_mae']).toBeCloseTo(mae, 4);
    // …and its per-task loss the hand-computed mean squared error; loss is their sum.
    const mse = tf.mean(tf.square(tf.sub(preds['sum']!, val.y.sum))).dataSync()[0]!;
    expect(logs['sum_loss']).toBeCloseTo(mse, 4);
    expect(logs['loss']).toBeCloseTo(logs['sum_loss']! + logs['sign_loss']!, 5);
  });

  it('runs the layers loop: validationSplit, EarlyStopping, callbacks and progress events see per-task logs', async () => {
    const mt = build();
    const { x, y } = data(200, 5);
    mt.compile({ optimizer: new Adam({ learningRate: 0.01 }), balancer: new UncertaintyWeighting() });
    const events: TrainingEvent[] = [];
    const seen: Logs[] = [];
    class Spy extends Callback {
      override onEpochEnd(_epoch: number, logs?: Logs): void {
        seen.push({ ...logs });
      }
    }
    // An impossible improvement threshold: EarlyStopping must stop after `patience` epochs.
    const stop = new EarlyStopping({ monitor: 'val_sign_loss', patience: 2, minDelta: 1e9 });
    const history = await mt.fit(x, y, {
      epochs: 50,
      batchSize: 20,
      validationSplit: 0.25,
      callbacks: [stop, new Spy()],
      progress: (e) => events.push(e),
    });
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(seen[0]).toEqual(
      expect.objectContaining({ val_sign_loss: expect.any(Number), sum_weight: expect.any(Number) }),
    );
    expect(events[0]).toEqual({ type: 'begin', label: 'fit', epochs: 50, steps: 8 });
    expect(events.filter((e) => e.type === 'batch')).toHaveLength(3 * 8);
    expect(events.at(-1)).toEqual(expect.objectContaining({ type: 'end', stopped: true }));
    const epochEvent = events.find((e) => e.type === 'epoch') as Extract<TrainingEvent, { type: 'epoch' }>;
    expect(Object.keys(epochEvent.metrics)).toEqual(
      expect.arrayContaining(['sum_loss', 'sign_accuracy', 'sum_weight', 'val_sum_mae']),
    );
    // The weights logged are the balancer's: exp(−s)/2 of its learnt log variances.
    const s = (mt.balancer as UncertaintyWeighting).logVariances();
    expect(history.history['sign_weight']!.at(-1)).toBeCloseTo(Math.exp(-s[1]!) / 2, 6);
  });

  it('save / loadMultiTaskModel restore task names, trunk, heads, optimizer and balancer state', async () => {
    const { x, y } = data(64, 6);
    for (const balancer of balancers()) {
      const mt = build(4);
      mt.compile({ optimizer: new Adam({ learningRate: 0.01 }), balancer });
      await mt.fit(x, y, { epochs: 3, batchSize: 16 });
      await mt.save(memoryIO(`mt-${balancer.name}`));
      const again = await loadMultiTaskModel(memoryIO(`mt-${balancer.name}`));
      expect(again.tasks).toEqual(['sum', 'sign']);
      expect(again.model.outputNames).toEqual(['sum', 'sign']);
      expect(again.trunk.trainableWeights.map((v) => v.shape)).toEqual(mt.trunk.trainableWeights.map((v) => v.shape));
      expect(again.taskVariables.map((vs) => vs.length)).toEqual([2, 4]);
      expect(again.balancer?.name).toBe(balancer.name);
      expect(again.balancer?.weights()).toEqual(balancer.weights().map((w) => expect.closeTo(w, 6)));
      if (balancer instanceof UncertaintyWeighting) {
        const s = (again.balancer as UncertaintyWeighting).logVariances();
        balancer.logVariances().forEach((v, i) => expect(s[i]).toBeCloseTo(v, 6));
      }
      const a = mt.predict(x);
      const b = again.predict(x);
      expect(Array.from(b['sum']!.dataSync())).toEqual(Array.from(a['sum']!.dataSync()));
      // Same weights, optimizer state and balancer state: one more epoch stays identical.
      const h1 = await mt.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false });
      const h2 = await again.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false });
      const digits = 5;
      expect(h2.history['loss']![0], balancer.name).toBeCloseTo(h1.history['loss']![0]!, digits);
      expect(again.balancer?.weights()).toEqual(balancer.weights().map((w) => expect.closeTo(w, digits)));
      tf.dispose([a['sum']!, a['sign']!, b['sum']!, b['sign']!]);
      mt.dispose();
      again.dispose();
    }
    // A plain layers loadModel reads the same artifact, outputs named by task.
    const plain = await loadModel(memoryIO('mt-fixed'));
    expect(plain.outputNames).toEqual(['sum', 'sign']);
    plain.dispose();
    // mt.model.save() (what ModelCheckpoint calls) writes a full multi-task artifact too.
    const viaModel = build();
    viaModel.compile({ optimizer: new Adam(), balancer: new GradNorm() });
    await viaModel.model.save(memoryIO('mt-via-model'));
    const reloaded = await loadMultiTaskModel(memoryIO('mt-via-model'));
    expect([reloaded.tasks, reloaded.balancer?.name]).toEqual([['sum', 'sign'], 'gradnorm']);
    reloaded.dispose();
    viaModel.dispose();
    // An artifact without the multitask metadata is refused, naming the fix.
    await build().trunk.save(memoryIO('not-mt'));
    await expect(loadMultiTaskModel(memoryIO('not-mt'))).rejects.toThrow(ArtifactError);
    await expect(loadMultiTaskModel(memoryIO('not-mt'))).rejects.toThrow(/loadModel/);
  });

  it('keeps the deprecated fit({ optimizer, balancer, onEpochEnd }) call working', async () => {
    const mt = build();
    const { x, y } = data(64, 3);
    const epochs: number[] = [];
    const history = await mt.fit(x, y, {
      optimizer: new Adam({ learningRate: 0.01 }),
      balancer: new DynamicWeightAverage(),
      epochs: 3,
      batchSize: 16,
      onEpochEnd: (epoch, logs) => void epochs.push(epoch, logs['sum_weight']!),
    });
    // DWA trains its first two epochs with weights 1; what epoch 1 logs is the weight for epoch 2.
    expect(epochs).toEqual([0, 1, 1, expect.any(Number), 2, expect.any(Number)]);
    expect(history.history['sign_loss']).toHaveLength(3);
  });

  it('trains with every balancer without leaking tensors', async () => {
    const { x, y } = data(64, 3);
    for (const balancer of balancers()) {
      const mt = build();
      mt.compile({ optimizer: new Adam({ learningRate: 0.01 }), balancer });
      await mt.fit(x, y, { epochs: 1, batchSize: 16 });
      await expectNoTensorLeaks(async () => {
        await mt.fit(x, y, { epochs: 3, batchSize: 16 });
        await mt.evaluate(x, y);
      });
      expect(balancer.weights()).toHaveLength(2);
      mt.dispose();
    }
  });

  it(
    'holds the tensor count flat over 1,000 steps with every balancer (fixed, uncertainty, DWA, GradNorm, PCGrad)',
    { timeout: 240_000 },
    async () => {
      const { x, y } = data(8, 9);
      for (const balancer of balancers()) {
        const mt = build(3);
        mt.compile({ optimizer: new Adam({ learningRate: 0.001 }), balancer });
        const counts: number[] = [];
        class Count extends Callback {
          override onEpochEnd(): void {
            counts.push(tf.memory().numTensors);
          }
        }
        // 8 samples in batches of 4: 2 steps an epoch, 500 epochs = 1,000 steps.
        const history = await mt.fit(x, y, { epochs: 500, batchSize: 4, callbacks: [new Count()] });
        expect(history.history['loss']).toHaveLength(500);
        expect(new Set(counts.slice(1)).size, `${balancer.name}: ${counts[1]} → ${counts.at(-1)}`).toBe(1);
        expect(counts.at(-1)).toBe(counts[0]);
        mt.dispose();
      }
    },
  );

  it('a step that throws leaks nothing (the batch and the shuffle order are freed)', async () => {
    const mt = build();
    const { x, y } = data(32, 4);
    mt.compile({ optimizer: new SGD({ learningRate: 0.01 }) });
    await mt.fit(x, y, { epochs: 1, batchSize: 8 });
    class Boom extends Callback {
      override onBatchBegin(batch: number): void {
        if (batch === 2) throw new Error('boom');
      }
    }
    await expectNoTensorLeaks(async () => {
      await expect(mt.fit(x, y, { epochs: 2, batchSize: 8, callbacks: [new Boom()] })).rejects.toThrow('boom');
    });
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
    await expect(mt.fit(xs, y)).rejects.toThrow(/call mt.compile/);
    expect(() => mt.compile({ optimizer: new Adam(), loss: { other: 'mse' } })).toThrow(/"other" is not a task/);
    mt.compile({ optimizer: new Adam() });
    await expect(mt.fit(xs, { sum: y.sum } as never)).rejects.toThrow(/no targets for task "sign"/);
    await expect(mt.fit(xs, { ...y, other: y.sum })).rejects.toThrow(/"other" is not a task/);
    await expect(mt.fit(xs, y, { epochs: 0 })).rejects.toThrow(ValueError);
    await expect(mt.fit(xs, { sum: y.sum.slice(0, 4), sign: y.sign })).rejects.toThrow(/8 samples/);
  });
});
