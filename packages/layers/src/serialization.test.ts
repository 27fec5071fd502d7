import { cpuBackend } from '@plasticity/backend-cpu';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  ArtifactError,
  ShapeError,
  UnknownPluginError,
  ValueError,
  memoryIO,
  registerLayer,
  unregisterPlugin,
  type ConfigDict,
} from '@plasticity/core';
import { fileIO } from '@plasticity/core/node';
import { Adam } from '@plasticity/optimizers';
import { expectTensorsClose } from '@plasticity/test-utils';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BatchNormalization,
  Concatenate,
  Conv2D,
  Dense,
  Dropout,
  Embedding,
  Flatten,
  Layer,
  MaxPooling2D,
  Model,
  Sequential,
  input,
  listArtifactReaders,
  loadModel,
  loadWeights,
  modelToArtifacts,
  namedWeights,
  registerArtifactReader,
  type SymbolicTensor,
} from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

function functional(): Model {
  const image = input({ shape: [6, 6, 1], name: 'image' });
  const ids = input({ shape: [2], name: 'ids', dtype: 'int32' });
  const c = new Conv2D({ filters: 2, kernelSize: 3, activation: 'relu' }).apply(image);
  const p = new Flatten().apply(new MaxPooling2D({ poolSize: 2 }).apply(new BatchNormalization().apply(c)));
  const e = new Flatten().apply(new Embedding({ inputDim: 10, outputDim: 3 }).apply(ids));
  const merged = new Concatenate().apply([p, e]) as SymbolicTensor;
  const out = new Dense({ units: 2, activation: 'softmax' }).apply(new Dropout({ rate: 0.5 }).apply(merged));
  return new Model({ inputs: [image, ids], outputs: out, name: 'mixed' });
}

describe('save and load', () => {
  it('round-trips a functional model with the same predictions', async () => {
    const model = functional();
    const x = [
      tf.randomNormal([3, 6, 6, 1]),
      tf.tensor2d(
        [
          [1, 2],
          [3, 9],
          [0, 0],
        ],
        [3, 2],
        'int32',
      ),
    ];
    const before = model.predict(x) as tf.Tensor;
    await model.save(memoryIO('functional'));
    const loaded = await loadModel(memoryIO('functional'));
    expect(loaded.layers.map((l) => l.constructor.name)).toEqual(model.layers.map((l) => l.constructor.name));
    expectTensorsClose(loaded.predict(x) as tf.Tensor, before, { rtol: 0, atol: 0 });
    expect(loaded.countParams()).toBe(model.countParams());
  });

  it('round-trips a Sequential model through a directory, nested in a functional one', async () => {
    const inner = new Sequential({
      name: 'inner',
      layers: [new Dense({ units: 4, inputShape: [3], activation: 'tanh' }), new Dense({ units: 2 })],
    });
    const x = input({ shape: [3] });
    const outer = new Model({ inputs: x, outputs: new Dense({ units: 1 }).apply(inner.apply(x) as SymbolicTensor) });
    const dir = await mkdtemp(join(tmpdir(), 'plasticity-model-'));
    try {
      await outer.save(fileIO(dir));
      expect((await readdir(dir)).some((f) => f.endsWith('.tmp'))).toBe(false);
      const loaded = await loadModel(fileIO(dir));
      const data = tf.randomNormal([5, 3]);
      expectTensorsClose(loaded.predict(data) as tf.Tensor, outer.predict(data) as tf.Tensor, { rtol: 0, atol: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('resumes training exactly with the optimizer state', async () => {
    const make = (): Sequential => {
      const m = new Sequential({
        layers: [
          new Dense({ units: 3, inputShape: [2], activation: 'relu', kernelInitializer: 'ones' }),
          new Dense({ units: 1, kernelInitializer: 'ones' }),
        ],
      });
      m.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse', metrics: ['mae'] });
      return m;
    };
    const x = tf.tensor2d([
      [1, 2],
      [0.5, -1],
      [2, 0],
      [-1, -1],
    ]);
    const y = tf.tensor2d([[1], [0], [2], [-1]]);
    const straight = make();
    await straight.fit(x, y, { epochs: 6, batchSize: 2, shuffle: false });
    const split = make();
    await split.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false });
    await split.save(memoryIO('resume'));
    const resumed = await loadModel(memoryIO('resume'));
    expect(resumed.optimizer?.iterations).toBe(6);
    await resumed.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false });
    resumed
      .getWeights()
      .forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(straight.getWeights()[i]!.dataSync())));
  });

  it('names the layer for unknown classes, wrong shapes and missing weights', async () => {
    class Scale extends Layer {
      static override readonly className = 'Test>Scale';
      call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.mul(x as tf.Tensor, 2);
      }
      protected override ownConfig(): ConfigDict {
        return {};
      }
    }
    registerLayer(Scale);
    const x = input({ shape: [2] });
    const model = new Model({
      inputs: x,
      outputs: new Dense({ units: 1, name: 'out' }).apply(new Scale({ name: 'scale' }).apply(x)),
    });
    await model.save(memoryIO('custom'));
    const again = await loadModel(memoryIO('custom'));
    expect(again.getLayer('scale')).toBeInstanceOf(Scale);
    unregisterPlugin('layer', 'Test>Scale');
    await expect(loadModel(memoryIO('custom'))).rejects.toThrow(UnknownPluginError);
    await expect(loadModel(memoryIO('custom'))).rejects.toThrow(
      /Layer "scale" has class "Test>Scale", which is not registered.*registerLayer\(Test_Scale\)/,
    );
    registerLayer(Scale);

    const artifacts = await modelToArtifacts(model);
    const specs = artifacts.weightSpecs!;
    const kernel = specs.find((s) => s.name === 'out/kernel')!;
    const wrongShape = { ...artifacts, weightSpecs: specs.map((s) => (s === kernel ? { ...s, shape: [1, 2] } : s)) };
    await memoryIO('wrong-shape').save!(wrongShape);
    await expect(loadModel(memoryIO('wrong-shape'))).rejects.toThrow(ShapeError);
    await expect(loadModel(memoryIO('wrong-shape'))).rejects.toThrow(
      /Layer "out": saved weight "out\/kernel" has shape \[1,2\] but the layer expects \[2,1\]/,
    );
    const bias = specs.find((s) => s.name === 'out/bias')!;
    const missing = {
      ...artifacts,
      weightSpecs: specs.filter((s) => s !== bias),
      weightData: (artifacts.weightData as ArrayBuffer).slice(0, 8),
    };
    await memoryIO('missing').save!(missing);
    await expect(loadModel(memoryIO('missing'))).rejects.toThrow(ArtifactError);
    await expect(loadModel(memoryIO('missing'))).rejects.toThrow(/weight "out\/bias" of layer "out" is missing/);
    await memoryIO('not-model').save!({
      modelTopology: {},
      format: 'layers-model',
      weightSpecs: [],
      weightData: new ArrayBuffer(0),
    });
    await expect(loadModel(memoryIO('not-model'))).rejects.toThrow(/is not a model saved by @plasticity\/layers/);
  });

  it('dispatches loadModel to a registered artifact reader, and refuses a malformed one', async () => {
    const model = new Sequential({ layers: [new Dense({ units: 2, inputShape: [3], name: 'only' })] });
    await memoryIO('toy-format').save!({ format: 'toy', modelTopology: { toy: true }, weightSpecs: [] });
    await expect(loadModel(memoryIO('toy-format'))).rejects.toThrow(
      /format "toy"; registered readers: plasticity-model\)/,
    );
    const seen: string[] = [];
    registerArtifactReader({
      name: 'toy',
      canRead: (a) => a.format === 'toy',
      read: (_a, where) => {
        seen.push(where);
        return model;
      },
    });
    expect(listArtifactReaders()).toEqual(['plasticity-model', 'toy']);
    expect(await loadModel(memoryIO('toy-format'))).toBe(model);
    expect(seen).toEqual(['model artifact']); // the source's name, for the reader's errors
    // The native reader still comes first for native files.
    await model.save(memoryIO('native-after-toy'));
    expect(await loadModel(memoryIO('native-after-toy'))).not.toBe(model);
    expect(() => registerArtifactReader({ name: 'broken' } as never)).toThrow(ValueError);
    expect(() => registerArtifactReader({ name: 'broken' } as never)).toThrow(/registerArtifactReader needs/);
    model.dispose();
  });

  it('saves weights alone through model.saveWeights, nested models prefixed', async () => {
    const inner = new Sequential({
      layers: [new Dense({ units: 2, inputShape: [3], name: 'inner_dense' })],
      name: 'inner',
    });
    const x = input({ shape: [3] });
    const outer = new Model({ inputs: x, outputs: new Dense({ units: 1, name: 'head' }).apply(inner.apply(x)) });
    expect(namedWeights(outer).map(([path]) => path)).toEqual([
      'inner/inner_dense/kernel',
      'inner/inner_dense/bias',
      'head/kernel',
      'head/bias',
    ]);
    await outer.saveWeights(memoryIO('weights-only'));
    const copyInner = new Sequential({
      layers: [new Dense({ units: 2, inputShape: [3], name: 'inner_dense' })],
      name: 'inner',
    });
    const y = input({ shape: [3] });
    const copy = new Model({ inputs: y, outputs: new Dense({ units: 1, name: 'head' }).apply(copyInner.apply(y)) });
    await loadWeights(copy, memoryIO('weights-only'));
    const probe = tf.tensor2d([[1, -2, 0.5]]);
    const [a, b] = [outer.predict(probe) as tf.Tensor, copy.predict(probe) as tf.Tensor];
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([probe, a, b]);
    outer.dispose();
    copy.dispose();
  });
});
