import { cpuBackend } from '@plasticity/backend-cpu';
import { ValueError, createRng, memoryIO, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import { Dense, Embedding, Flatten, Model, Sequential, computeGradients, input, loadModel } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { expectNoTensorLeaks, expectTensorsClose } from '@plasticity/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoRADense, LoRAEmbedding, applyLoRA, mergeLoRA, registerTransferLayers } from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
  registerTransferLayers();
});

type M = number[][];
const mm = (a: M, b: M): M => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const arr = (t: tf.Tensor): M => t.arraySync() as M;

describe('LoRADense', () => {
  it('computes relu(x·W + b + (α/r)·x·A·B), checked against plain-array math', () => {
    const base = new Dense({ units: 3, activation: 'relu', inputShape: [4] });
    base.build([null, 4]);
    const lora = new LoRADense({ base, rank: 2, alpha: 6, seed: 3 });
    const x = randomTensor([5, 4], createRng(1), { min: -1, max: 1 });
    lora.apply(x); // builds A (random) and B (zero)
    // B starts at zero: the adapted layer equals the base.
    expectTensorsClose(lora.apply(x) as tf.Tensor, base.apply(x) as tf.Tensor);
    lora.loraB!.assign(randomTensor([2, 3], createRng(2), { min: -1, max: 1 }));
    const W = arr(base.kernel!);
    const b = Array.from(base.bias!.dataSync());
    const A = arr(lora.loraA!);
    const B = arr(lora.loraB!);
    const X = arr(x);
    const xw = mm(X, W);
    const xab = mm(mm(X, A), B);
    const expected = xw.map((row, i) => row.map((v, j) => Math.max(0, v + b[j]! + (6 / 2) * xab[i]![j]!)));
    expectTensorsClose(lora.apply(x) as tf.Tensor, tf.tensor2d(expected), { atol: 1e-5 });
    // A is initialised uniform in ±1/√in.
    expect(A.flat().every((v) => Math.abs(v) <= 0.5)).toBe(true);
    expect(A.flat().some((v) => v !== 0)).toBe(true);
  });

  it('sends gradients only to A and B; the base weights stay bit-identical through training', async () => {
    const inp = input({ shape: [4] });
    const d1 = new Dense({ units: 8, activation: 'tanh', name: 'd1' });
    const d2 = new Dense({ units: 1, name: 'd2' });
    const model = new Model({ inputs: inp, outputs: d2.apply(d1.apply(inp)) });
    const adapted = applyLoRA(model, { rank: 2, targets: 'd1' });
    const lora = adapted.getLayer('d1_lora') as LoRADense;
    expect(adapted.trainableWeights.map((v) => v.name)).toEqual([lora.loraA!.name, lora.loraB!.name]);
    const x = randomTensor([32, 4], createRng(7), { min: -1, max: 1 });
    const y = tf.sum(x, 1, true);
    const { value, grads } = computeGradients(
      () => tf.losses.meanSquaredError(y, adapted.call(x, { training: true }) as tf.Tensor) as tf.Scalar,
      adapted.trainableWeights,
    );
    expect(Object.keys(grads).sort()).toEqual([lora.loraA!.name, lora.loraB!.name].sort());
    tf.dispose([value, ...Object.values(grads)]);
    const baseBefore = model.weights.map((v) => Float32Array.from(v.dataSync()));
    adapted.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'mse' });
    const bBefore = Float32Array.from(lora.loraB!.dataSync());
    await adapted.fit(x, y, { epochs: 1, batchSize: 8 });
    await expectNoTensorLeaks(async () => {
      await adapted.fit(x, y, { epochs: 2, batchSize: 8 });
    });
    model.weights.forEach((v, i) => expect(v.dataSync()).toEqual(baseBefore[i]));
    expect(lora.loraB!.dataSync()).not.toEqual(bBefore);
  });

  it('merges ΔW = (α/r)·A·B into W: same outputs, plain Dense layers', () => {
    const inp = input({ shape: [3] });
    const model = new Model({ inputs: inp, outputs: new Dense({ units: 2, name: 'fc' }).apply(inp) });
    const adapted = applyLoRA(model, { rank: 1, alpha: 2 });
    const lora = adapted.getLayer('fc_lora') as LoRADense;
    lora.loraB!.assign(tf.tensor2d([[0.5, -1]]));
    const x = randomTensor([6, 3], createRng(9));
    const out = adapted.predict(x) as tf.Tensor;
    const W = arr(lora.base.kernel!);
    const AB = mm(arr(lora.loraA!), arr(lora.loraB!));
    const merged = mergeLoRA(adapted);
    expect(merged.getLayer('fc')).toBeInstanceOf(Dense);
    expect(merged.layers.some((l) => l instanceof LoRADense)).toBe(false);
    expectTensorsClose(lora.base.kernel!, tf.tensor2d(W.map((r, i) => r.map((w, j) => w + 2 * AB[i]![j]!))), {
      atol: 1e-6,
    });
    expectTensorsClose(merged.predict(x) as tf.Tensor, out, { atol: 1e-5 });
    // The adapted model still computes the same function (its adapter was reset).
    expectTensorsClose(adapted.predict(x) as tf.Tensor, out, { atol: 1e-5 });
  });

  it('adapts layers inside nested models, computing the same function until trained', () => {
    const inner = new Sequential({
      name: 'inner_base',
      layers: [new Dense({ units: 4, activation: 'relu', inputShape: [3], name: 'inner_fc' })],
    });
    const inp = input({ shape: [3] });
    const model = new Model({
      inputs: inp,
      outputs: new Dense({ units: 2, name: 'outer_fc' }).apply(inner.apply(inp)),
    });
    const x = randomTensor([5, 3], createRng(8));
    const expected = model.predict(x) as tf.Tensor;
    const adapted = applyLoRA(model, { rank: 2, targets: 'inner_fc' });
    const nested = adapted.getLayer('inner_base') as Model;
    expect(nested).not.toBe(inner);
    expect(nested.getLayer('inner_fc_lora')).toBeInstanceOf(LoRADense);
    expect(adapted.getLayer('outer_fc')).toBe(model.getLayer('outer_fc'));
    expectTensorsClose(adapted.predict(x) as tf.Tensor, expected);
    expect(adapted.trainableWeights).toHaveLength(2);
  });

  it('saves and loads an adapted model', async () => {
    const model = new Sequential({ layers: [new Dense({ units: 3, inputShape: [2], name: 'fc' })] });
    const adapted = applyLoRA(model, { rank: 2 });
    (adapted.getLayer('fc_lora') as LoRADense).loraB!.assign(tf.ones([2, 3]));
    const x = randomTensor([4, 2], createRng(1));
    await adapted.save(memoryIO('lora-test'));
    const loaded = await loadModel(memoryIO('lora-test'));
    expect(loaded.getLayer('fc_lora')).toBeInstanceOf(LoRADense);
    expectTensorsClose(loaded.predict(x) as tf.Tensor, adapted.predict(x) as tf.Tensor);
  });

  it('rejects a bad rank, a non-Dense target and targets that match nothing', () => {
    const model = new Sequential({
      layers: [new Dense({ units: 3, inputShape: [2], name: 'fc' }), new Flatten({ name: 'fl' })],
    });
    expect(() => applyLoRA(model, { rank: 0 })).toThrow(/rank must be a positive integer/);
    expect(() => applyLoRA(model, { rank: 1, targets: 'fl' })).toThrow(/Dense and Embedding layers only/);
    expect(() => applyLoRA(model, { rank: 1, targets: 'nope*' })).toThrow(ValueError);
    expect(() => new LoRADense({ base: new Flatten() as never, rank: 1 })).toThrow(/wraps a Dense layer/);
  });
});

describe('LoRAEmbedding', () => {
  it('adds (α/r)·A[id]·B to each row and merges into the table', () => {
    const base = new Embedding({ inputDim: 5, outputDim: 3 });
    const lora = new LoRAEmbedding({ base, rank: 2, alpha: 1 });
    const ids = tf.tensor2d(
      [
        [0, 4],
        [2, 2],
      ],
      [2, 2],
      'int32',
    );
    expectTensorsClose(lora.apply(ids) as tf.Tensor, base.apply(ids) as tf.Tensor); // A starts at zero
    lora.loraA!.assign(randomTensor([5, 2], createRng(4), { min: -1, max: 1 }));
    const E = arr(base.embeddings!);
    const AB = mm(arr(lora.loraA!), arr(lora.loraB!));
    const row = (i: number): number[] => E[i]!.map((v, k) => v + 0.5 * AB[i]![k]!);
    expectTensorsClose(
      lora.apply(ids) as tf.Tensor,
      tf.tensor3d([
        [row(0), row(4)],
        [row(2), row(2)],
      ]),
      { atol: 1e-5 },
    );
    const before = lora.apply(ids) as tf.Tensor;
    lora.merge();
    expectTensorsClose(base.apply(ids) as tf.Tensor, before, { atol: 1e-5 });
    expectTensorsClose(lora.apply(ids) as tf.Tensor, before, { atol: 1e-5 });
  });
});
