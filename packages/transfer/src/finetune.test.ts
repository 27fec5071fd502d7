import { cpuBackend } from '@plasticity/backend-cpu';
import { ValueError, createRng, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import { BatchNormalization, Dense, Sequential, type Layer } from '@plasticity/layers';
import { Adam, SGD } from '@plasticity/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { discriminativeParamGroups, fineTune, geometricMultipliers, layerBlocks } from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

function model(): Sequential {
  return new Sequential({
    layers: [
      new Dense({ units: 4, activation: 'tanh', inputShape: [3], name: 'd1' }),
      new BatchNormalization({ name: 'bn', momentum: 0.5 }),
      new Dense({ units: 4, activation: 'tanh', name: 'd2' }),
      new Dense({ units: 1, name: 'head' }),
    ],
  });
}

const values = (l: Layer): number[][] => l.weights.map((v) => Array.from(v.dataSync()));

describe('discriminative learning rates', () => {
  it('gives block i (of G) multiplier decay^(G-1-i), and SGD steps by exactly lr·mult·grad', () => {
    const m = model();
    const groups = discriminativeParamGroups(m, { decay: 0.5 });
    expect(groups.map((g) => g.lrMultiplier)).toEqual([0.125, 0.25, 0.5, 1]);
    expect(groups[0]!.params).toEqual((m.getLayer('d1') as Dense).weights.map((v) => v.name));
    const optimizer = new SGD({ learningRate: 0.1, paramGroups: groups });
    const d1 = m.getLayer('d1') as Dense;
    const head = m.getLayer('head') as Dense;
    const before = [d1.kernel!, head.kernel!].map((v) => Float32Array.from(v.dataSync()));
    const grads = { [d1.kernel!.name]: tf.onesLike(d1.kernel!), [head.kernel!.name]: tf.onesLike(head.kernel!) };
    optimizer.applyGradients(grads);
    const after = [d1.kernel!, head.kernel!].map((v) => v.dataSync());
    // w ← w − lr·mult·1
    before[0]!.forEach((w, i) => expect(after[0]![i]).toBeCloseTo(w - 0.1 * 0.125, 6));
    before[1]!.forEach((w, i) => expect(after[1]![i]).toBeCloseTo(w - 0.1 * 1, 6));
  });

  it('takes explicit multipliers per named block; geometricMultipliers spreads low..1 geometrically', () => {
    const m = model();
    const blocks = layerBlocks(m, [{ to: 'bn' }, ['d2', 'head']]);
    expect(blocks.map((b) => b.map((l) => l.name))).toEqual([
      ['d1', 'bn'],
      ['d2', 'head'],
    ]);
    const groups = discriminativeParamGroups(m, { blocks: [{ to: 'bn' }, ['d2', 'head']], multipliers: [0.1, 1] });
    expect(groups.map((g) => g.lrMultiplier)).toEqual([0.1, 1]);
    expect(geometricMultipliers(3, 0.01).map((v) => +v.toFixed(6))).toEqual([0.01, 0.1, 1]);
    expect(() => discriminativeParamGroups(m, { multipliers: [1] })).toThrow(/4 blocks but 1 multipliers/);
    expect(() => discriminativeParamGroups(m, { decay: 0 })).toThrow(ValueError);
    expect(() => geometricMultipliers(0, 0.1)).toThrow(ValueError);
  });
});

describe('fineTune', () => {
  it('trains the head alone, then everything at a lower rate, with BN statistics untouched', async () => {
    const m = model();
    const rng = createRng(5);
    const x = randomTensor([32, 3], rng, { min: -1, max: 1 });
    const y = tf.sum(x, 1, true);
    m.compile({ optimizer: new SGD({ learningRate: 0.05 }), loss: 'mse' });
    // Stage 0 freezes BN; it must stay frozen in the later 'all' stage.
    const bnBefore = values(m.getLayer('bn'));
    const d1Before = values(m.getLayer('d1'));
    const headBefore = values(m.getLayer('head'));
    const stages = await fineTune(m, x, y, {
      batchSize: 8,
      stages: [
        { name: 'head', train: { top: 1 }, epochs: 2 },
        { name: 'all', train: 'all', epochs: 0 + 1, learningRateScale: 0.1 },
      ],
    });
    expect(stages.map((s) => s.name)).toEqual(['head', 'all']);
    expect(stages[0]!.trained).toEqual(['head']);
    expect(stages[1]!.trained).toEqual(['d1', 'd2', 'head']);
    expect(stages[1]!.learningRateScale).toBe(0.1);
    expect(m.optimizer!.learningRateScale).toBe(0.1);
    expect(values(m.getLayer('bn'))).toEqual(bnBefore);
    expect(values(m.getLayer('d1'))).not.toEqual(d1Before);
    expect(values(m.getLayer('head'))).not.toEqual(headBefore);
  });

  it('keeps untrained layers bit-identical in a head-only stage', async () => {
    const m = model();
    const x = randomTensor([16, 3], createRng(6));
    const y = tf.sum(x, 1, true);
    m.compile({ optimizer: new SGD({ learningRate: 0.05 }), loss: 'mse' });
    const before = ['d1', 'bn', 'd2'].map((n) => values(m.getLayer(n)));
    await fineTune(m, x, y, { batchSize: 4, stages: [{ train: 'head', epochs: 2 }] });
    expect(['d1', 'bn', 'd2'].map((n) => values(m.getLayer(n)))).toEqual(before);
  });

  it('rejects an uncompiled model, no stages, and a top count beyond the blocks', async () => {
    const m = model();
    const x = tf.ones([4, 3]);
    const y = tf.ones([4, 1]);
    await expect(fineTune(m, x, y, { stages: [{ train: 'all', epochs: 1 }] })).rejects.toThrow(/not compiled/);
    m.compile({ optimizer: new SGD(), loss: 'mse' });
    await expect(fineTune(m, x, y, { stages: [] })).rejects.toThrow(/non-empty list of stages/);
    await expect(fineTune(m, x, y, { stages: [{ train: { top: 9 }, epochs: 1 }] })).rejects.toThrow(
      /top must be an integer in 1..4/,
    );
  });
});

describe('fineTune stages with their own optimizers', () => {
  it("free each previous stage's optimizer state (no slot tensors left behind)", async () => {
    const m = model();
    m.compile({ optimizer: new Adam(), loss: 'mse' });
    const x = randomTensor([16, 3], createRng(5));
    const y = tf.zeros([16, 1]);
    const base = tf.memory().numTensors;
    const last = new Adam({ learningRate: 1e-3 });
    await fineTune(m, x, y, {
      batchSize: 8,
      stages: [
        { train: { top: 1 }, epochs: 1, optimizer: new Adam() },
        { train: 'all', epochs: 1, optimizer: new Adam() },
        { train: 'all', epochs: 1, optimizer: last },
      ],
    });
    expect(m.optimizer).toBe(last);
    // Only the last optimizer holds state: Adam's two moments for each variable it trained (the
    // kernels and biases of d1, d2 and head; BatchNormalization stays frozen without batchNorm: true).
    const trainable = m.trainableWeights.length;
    expect(trainable).toBe(6);
    expect(tf.memory().numTensors - base).toBe(2 * trainable);
    m.dispose();
    tf.dispose([x, y]);
  });
});
