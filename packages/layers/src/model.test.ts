import { cpuBackend } from '@plasticity/backend-cpu';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@plasticity/core';
import { expectTensorsClose } from '@plasticity/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { Add, Concatenate, Dense, Model, Sequential, input, type SymbolicTensor } from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

describe('functional Model', () => {
  it('runs a graph with two inputs, two outputs and a shared layer', () => {
    const a = input({ shape: [3], name: 'a' });
    const b = input({ shape: [3], name: 'b' });
    const shared = new Dense({ units: 4, name: 'shared', activation: 'relu' });
    const ha = shared.apply(a);
    const hb = shared.apply(b);
    const merged = new Concatenate({ name: 'concat' }).apply([ha, hb]) as SymbolicTensor;
    const out1 = new Dense({ units: 1, name: 'score' }).apply(merged);
    const out2 = new Add({ name: 'sum' }).apply([ha, hb]) as SymbolicTensor;
    const model = new Model({ inputs: [a, b], outputs: [out1, out2], name: 'two_towers' });
    expect(model.layers.map((l) => l.name)).toEqual(['a', 'shared', 'b', 'concat', 'score', 'sum']);
    expect(model.weights).toHaveLength(4); // shared kernel+bias once, score kernel+bias
    const xa = tf.tensor2d([[1, 2, 3]]);
    const xb = tf.tensor2d([[0, -1, 2]]);
    const [y1, y2] = model.predict([xa, xb]) as tf.Tensor[];
    const hA = shared.apply(xa);
    const hB = shared.apply(xb);
    expectTensorsClose(y2!, tf.add(hA, hB));
    const score = model.getLayer('score') as Dense;
    expectTensorsClose(y1!, tf.add(tf.matMul(tf.concat([hA, hB], 1), score.kernel!), score.bias!));
    expect(model.outputNames).toEqual(['score', 'sum']);
  });

  it('nests models and cuts a new model at an intermediate output, sharing weights', () => {
    const x = input({ shape: [4] });
    const h = new Dense({ units: 3, name: 'hidden' }).apply(x);
    const base = new Model({ inputs: x, outputs: new Dense({ units: 2, name: 'head' }).apply(h), name: 'base' });
    const features = new Model({ inputs: base.inputs, outputs: base.getLayer('hidden').output as SymbolicTensor });
    const data = tf.tensor2d([[1, 0, -1, 2]]);
    const hidden = base.getLayer('hidden') as Dense;
    expectTensorsClose(features.predict(data) as tf.Tensor, tf.add(tf.matMul(data, hidden.kernel!), hidden.bias!));
    expect(features.weights).toEqual([hidden.kernel, hidden.bias]);
    const outer = input({ shape: [4] });
    const wrapper = new Model({
      inputs: outer,
      outputs: new Dense({ units: 1 }).apply(base.apply(outer) as SymbolicTensor),
    });
    expect(wrapper.countParams()).toBe(base.countParams() + 3);
    expect((wrapper.predict(data) as tf.Tensor).shape).toEqual([1, 1]);
  });

  it('reports wrong input shapes, unknown layers and foreign inputs', () => {
    const x = input({ shape: [2] });
    const model = new Model({ inputs: x, outputs: new Dense({ units: 1 }).apply(x) });
    expect(() => model.predict(tf.zeros([3, 5]))).toThrow(ShapeError);
    expect(() => model.predict(tf.zeros([3, 5]))).toThrow(/expects shape \[null,2\]; got \[3,5\]/);
    expect(() => model.getLayer('missing')).toThrow(/has no layer named "missing"/);
    const other = input({ shape: [2] });
    expect(() => new Model({ inputs: x, outputs: new Dense({ units: 1 }).apply(other) })).toThrow(ValueError);
  });

  it('summary shows shapes, parameter counts, and frozen layers', () => {
    const model = new Sequential({
      layers: [new Dense({ units: 8, inputShape: [4], name: 'd1' }), new Dense({ units: 2, name: 'd2' })],
    });
    model.getLayer('d1').trainable = false;
    const lines: string[] = [];
    const text = model.summary((l) => lines.push(l));
    expect(text).toMatch(/d1 \(Dense\)\s+\[null,8\]\s+40\s+frozen/);
    expect(text).toMatch(/d2 \(Dense\)\s+\[null,2\]\s+18\s+yes/);
    expect(text).toMatch(/Total params: 58\nTrainable params: 18\nNon-trainable params: 40/);
    expect(model.trainableWeights).toHaveLength(2);
  });

  it('summary marks a nested model with some frozen layers as partial', () => {
    const inner = new Sequential({
      name: 'inner',
      layers: [new Dense({ units: 3, inputShape: [2], name: 'i1' }), new Dense({ units: 3, name: 'i2' })],
    });
    inner.getLayer('i1').trainable = false;
    const x = input({ shape: [2] });
    const model = new Model({ inputs: x, outputs: new Dense({ units: 1, name: 'top' }).apply(inner.apply(x)) });
    const text = model.summary(() => undefined);
    expect(text).toMatch(/inner \(Sequential\)\s+\[null,3\]\s+21\s+partial/);
    // i2 (12) + top (4) train; i1 (9) does not.
    expect(text).toMatch(/Trainable params: 16\nNon-trainable params: 9/);
  });

  it('predicts in batches with the same result as one call, leaking nothing', () => {
    const model = new Sequential({ layers: [new Dense({ units: 5, activation: 'relu' }), new Dense({ units: 2 })] });
    const x = tf.randomNormal([70, 3]);
    const whole = model.predict(x, { batchSize: 100 }) as tf.Tensor;
    const before = tf.memory().numTensors;
    const batched = model.predict(x, { batchSize: 16 }) as tf.Tensor;
    expect(tf.memory().numTensors).toBe(before + 1);
    expectTensorsClose(batched, whole);
  });
});

describe('Model.dispose', () => {
  it('frees the weights and the compiled optimizer state', async () => {
    const { Adam } = await import('@plasticity/optimizers');
    const before = tf.memory().numTensors;
    const model = new Sequential({ layers: [new Dense({ units: 3, inputShape: [2] }), new Dense({ units: 1 })] });
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
    const x = tf.ones([4, 2]);
    const y = tf.zeros([4, 1]);
    await model.fit(x, y, { epochs: 1, batchSize: 4 });
    // Four weights, plus Adam's two moments per weight.
    expect(tf.memory().numTensors - before).toBe(2 + 4 + 8);
    model.dispose();
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
