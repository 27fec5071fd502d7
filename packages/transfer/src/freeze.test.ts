import { cpuBackend } from '@plasticity/backend-cpu';
import { ValueError, createRng, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import { BatchNormalization, Dense, Model, Sequential, computeGradients, input, type Layer } from '@plasticity/layers';
import { Adam, SGD } from '@plasticity/optimizers';
import { expectNoTensorLeaks, expectTensorsClose } from '@plasticity/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { freeze, freezeReport, selectLayers, unfreeze } from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

function snapshot(layer: Layer): Float32Array[] {
  return layer.weights.map((v) => Float32Array.from(v.dataSync() as Float32Array));
}

function mlp(): Sequential {
  return new Sequential({
    layers: [
      new Dense({ units: 6, activation: 'relu', inputShape: [4], name: 'block1_dense' }),
      new BatchNormalization({ name: 'block1_bn', momentum: 0.5 }),
      new Dense({ units: 6, activation: 'relu', name: 'block2_dense' }),
      new Dense({ units: 1, name: 'head' }),
    ],
  });
}

function data(n = 64): { x: tf.Tensor; y: tf.Tensor } {
  const rng = createRng(3);
  const x = randomTensor([n, 4], rng, { min: -1, max: 1 });
  const y = tf.sum(tf.mul(x, tf.tensor1d([1, -2, 0.5, 3])), 1, true);
  return { x, y };
}

describe('selectLayers', () => {
  it('selects by name, glob, RegExp, index, negative index, range, predicate and lists', () => {
    const model = mlp();
    const names = (s: Parameters<typeof selectLayers>[1]): string[] => selectLayers(model, s).map((l) => l.name);
    expect(names('head')).toEqual(['head']);
    expect(names('block1_*')).toEqual(['block1_dense', 'block1_bn']);
    expect(names(/dense$/)).toEqual(['block1_dense', 'block2_dense']);
    expect(names(-1)).toEqual(['head']);
    expect(names({ from: 1, to: 'block2_dense' })).toEqual(['block1_bn', 'block2_dense']);
    expect(names({ from: -2 })).toEqual(['block2_dense', 'head']);
    expect(names((l) => l instanceof BatchNormalization)).toEqual(['block1_bn']);
    expect(names(['head', 0])).toEqual(['block1_dense', 'head']);
  });

  it('rejects selectors that match nothing or point outside the model', () => {
    const model = mlp();
    expect(() => selectLayers(model, 'blokc1_*')).toThrow(/no layer of model .* matches "blokc1_\*"/);
    expect(() => selectLayers(model, 7)).toThrow(ValueError);
    expect(() => selectLayers(model, { from: 'nope' })).toThrow(/no layer named "nope"/);
    expect(() => selectLayers(model, { bad: 1 } as never)).toThrow(/a layer selector is/);
  });
});

describe('freeze / unfreeze', () => {
  it('keeps frozen weights bit-identical through fit while the others train, leaking nothing', async () => {
    const model = mlp();
    const { x, y } = data();
    model.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'mse' });
    expect(freeze(model, { to: 'block1_bn' })).toEqual(['block1_dense', 'block1_bn']);
    const frozenBefore = [...snapshot(model.getLayer('block1_dense')), ...snapshot(model.getLayer('block1_bn'))];
    const headBefore = snapshot(model.getLayer('head'));
    await model.fit(x, y, { epochs: 1, batchSize: 16 }); // warm-up allocations (optimizer slots)
    await expectNoTensorLeaks(async () => {
      await model.fit(x, y, { epochs: 2, batchSize: 16 });
    });
    const frozenAfter = [...snapshot(model.getLayer('block1_dense')), ...snapshot(model.getLayer('block1_bn'))];
    frozenAfter.forEach((w, i) => expect(w).toEqual(frozenBefore[i]));
    const headAfter = snapshot(model.getLayer('head'));
    expect(headAfter[0]).not.toEqual(headBefore[0]);
  });

  it('gradients reach only the unfrozen variables', () => {
    const model = mlp();
    const { x, y } = data(8);
    freeze(model, ['block1_*', 'block2_dense']);
    const vars = model.trainableWeights;
    expect(vars.map((v) => v.name)).toEqual([
      (model.getLayer('head') as Dense).kernel!.name,
      (model.getLayer('head') as Dense).bias!.name,
    ]);
    const { value, grads } = computeGradients(
      () => tf.losses.meanSquaredError(y, model.call(x, { training: true }) as tf.Tensor) as tf.Scalar,
      vars,
    );
    expect(Object.keys(grads).sort()).toEqual(vars.map((v) => v.name).sort());
    tf.dispose([value, ...Object.values(grads)]);
    // Even when asked for every weight, tfjs returns null for the frozen (non-trainable) ones: no update possible.
    expect(model.weights.filter((v) => !vars.includes(v)).length).toBeGreaterThan(0);
  });

  it('frozen BatchNormalization stays in inference mode after unfreeze, and moves only when asked', async () => {
    const model = mlp();
    const { x, y } = data();
    model.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss: 'mse' });
    freeze(model);
    expect(model.trainableWeights).toHaveLength(0);
    const bn = model.getLayer('block1_bn') as BatchNormalization;
    const stats = (): Float32Array[] =>
      [bn.movingMean!, bn.movingVariance!].map((v) => Float32Array.from(v.dataSync()));
    const before = stats();
    const unfrozen = unfreeze(model);
    expect(unfrozen).toEqual(['block1_dense', 'block2_dense', 'head']);
    expect(bn.trainable).toBe(false);
    await model.fit(x, y, { epochs: 2, batchSize: 16 });
    stats().forEach((s, i) => expect(s).toEqual(before[i]));
    // In training mode it normalizes with the moving statistics: (h − mean)/√(var + ε)·γ + β.
    const h = model.getLayer('block1_dense').apply(x) as tf.Tensor;
    const expected = tf.tidy(() =>
      tf.add(
        tf.mul(tf.div(tf.sub(h, bn.movingMean!), tf.sqrt(tf.add(bn.movingVariance!, bn.epsilon))), bn.gamma!),
        bn.beta!,
      ),
    );
    expectTensorsClose(bn.apply(h, { training: true }), expected, { atol: 1e-5 });
    unfreeze(model, 'block1_bn', { batchNorm: true });
    expect(bn.trainable).toBe(true);
    await model.fit(x, y, { epochs: 1, batchSize: 16 });
    expect(stats()[0]).not.toEqual(before[0]);
  });

  it('freezes nested models layer by layer; summary and freezeReport say what is frozen', () => {
    const base = new Sequential({
      name: 'base',
      layers: [
        new Dense({ units: 5, inputShape: [3], name: 'b1' }),
        new BatchNormalization({ name: 'bbn' }),
        new Dense({ units: 4, name: 'b2' }),
      ],
    });
    const x = input({ shape: [3] });
    const model = new Model({ inputs: x, outputs: new Dense({ units: 2, name: 'top' }).apply(base.apply(x)) });
    freeze(model, 'base');
    expect(base.layers.every((l) => !l.trainable)).toBe(true);
    expect(model.trainableWeights).toHaveLength(2);
    unfreeze(model, 'base');
    expect(base.getLayer('bbn').trainable).toBe(false); // BN stays frozen
    expect(base.trainable).toBe(true);
    const text = model.summary(() => undefined);
    expect(text).toMatch(/base \(Sequential\).*partial/);
    expect(freezeReport(model)).toEqual([
      { path: 'base/b1', className: 'Dense', params: 20, trainableParams: 20, frozen: false },
      { path: 'base/bbn', className: 'BatchNormalization', params: 20, trainableParams: 0, frozen: true },
      { path: 'base/b2', className: 'Dense', params: 24, trainableParams: 24, frozen: false },
      { path: 'top', className: 'Dense', params: 10, trainableParams: 10, frozen: false },
    ]);
  });
});
