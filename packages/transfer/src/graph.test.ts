import { cpuBackend } from '@plasticity/backend-cpu';
import { ValueError, createRng, memoryIO, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import { Conv2D, Dense, Flatten, MaxPooling2D, Model, Sequential, input, loadModel } from '@plasticity/layers';
import { expectTensorsClose } from '@plasticity/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { addHead, featureExtractor, replaceHead } from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

function cnn(): Sequential {
  return new Sequential({
    layers: [
      new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1], name: 'conv' }),
      new MaxPooling2D({ poolSize: 2, name: 'pool' }),
      new Flatten({ name: 'flatten' }),
      new Dense({ units: 4, activation: 'relu', name: 'fc' }),
      new Dense({ units: 3, activation: 'softmax', name: 'out' }),
    ],
  });
}

const x = (): tf.Tensor => randomTensor([5, 6, 6, 1], createRng(1));

describe('featureExtractor', () => {
  it('cuts a Sequential model at a layer, sharing its weights', () => {
    const model = cnn();
    const base = featureExtractor(model, 'flatten');
    expect(base.outputs[0]!.shape).toEqual([null, 12]);
    const images = x();
    // Reference: apply the first three layers by hand.
    const expected = tf.tidy(() => {
      let h = model.getLayer('conv').apply(images) as tf.Tensor;
      h = model.getLayer('pool').apply(h) as tf.Tensor;
      return model.getLayer('flatten').apply(h) as tf.Tensor;
    });
    expectTensorsClose(base.predict(images) as tf.Tensor, expected);
    expect(base.weights).toEqual(model.getLayer('conv').weights);
    expect(featureExtractor(model, 1).outputs[0]!.shape).toEqual([null, 2, 2, 3]);
  });

  it('works on a model loaded from an artifact', async () => {
    const model = cnn();
    const images = x();
    await model.save(memoryIO('graph-test'));
    const loaded = await loadModel(memoryIO('graph-test'));
    const base = featureExtractor(loaded, 'fc');
    expectTensorsClose(base.predict(images) as tf.Tensor, featureExtractor(model, 'fc').predict(images) as tf.Tensor);
  });

  it('rejects the input layer and unknown layers', () => {
    const i = input({ shape: [2], name: 'in_a' });
    const model = new Model({ inputs: i, outputs: new Dense({ units: 1 }).apply(i) });
    expect(() => featureExtractor(model, 'in_a')).toThrow(/is an input layer/);
    expect(() => featureExtractor(model, 'missing')).toThrow(ValueError);
  });
});

describe('replaceHead / addHead', () => {
  it('drops the last layer by default and puts the new head on top', () => {
    const model = cnn();
    const head = new Dense({ units: 2, name: 'new_out' });
    const fresh = replaceHead(model, head);
    expect(fresh.outputs[0]!.shape).toEqual([null, 2]);
    expect(fresh.layers.map((l) => l.name)).toContain('fc');
    expect(fresh.layers.map((l) => l.name)).not.toContain('out');
    const images = x();
    const fc = featureExtractor(model, 'fc').predict(images) as tf.Tensor;
    expectTensorsClose(fresh.predict(images) as tf.Tensor, head.apply(fc) as tf.Tensor);
    // Shares the base weights (same variables), does not copy them.
    expect(fresh.getLayer('conv')).toBe(model.getLayer('conv'));
  });

  it('cuts wherever asked and accepts a stack of layers or a function as the head', () => {
    const model = cnn();
    const stacked = replaceHead(model, [new Dense({ units: 7 }), new Dense({ units: 1 })], { at: 'flatten' });
    expect(stacked.outputs[0]!.shape).toEqual([null, 1]);
    const twoHeads = addHead(featureExtractor(model, 'fc'), (f) => [
      new Dense({ units: 1, name: 'reg' }).apply(f),
      new Dense({ units: 3, name: 'cls' }).apply(f),
    ]);
    expect(twoHeads.outputNames).toEqual(['reg', 'cls']);
    expect(() => addHead(twoHeads, new Dense({ units: 1 }))).toThrow(/has 2 outputs/);
    expect(() => addHead(model, [])).toThrow(/at least one layer/);
  });
});
