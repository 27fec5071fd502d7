// TF.js Layers / Keras model.json import and export, checked against @tensorflow/tfjs-layers 4.22
// itself: models built and saved by tfjs-layers must predict the same after our import, and our
// exports must load in tfjs-layers with the same predictions.
import { cpuBackend } from '@plasticity/backend-cpu';
import {
  ArtifactError,
  ShapeError,
  UnknownPluginError,
  ValueError,
  deserializePlugin,
  memoryIO,
  registerBackendPlugin,
  registerLayer,
  serializePlugin,
  useBackend,
  type ConfigDict,
  type SerializedPlugin,
} from '@plasticity/core';
import { expectTensorsClose } from '@plasticity/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Add,
  AveragePooling1D,
  BatchNormalization,
  Concatenate,
  Conv1D,
  Conv2D,
  Dense,
  Dot,
  Dropout,
  Embedding,
  Flatten,
  GlobalAveragePooling1D,
  L1L2,
  LayerNormalization,
  MaxNorm,
  MaxPooling2D,
  Model,
  Multiply,
  Sequential,
  SeparableConv2D,
  Maximum,
  input,
  Layer,
  listArtifactReaders,
  loadModel,
  type LayerConfig,
  type LayerWeight,
  type Shape,
  type SymbolicTensor,
} from '../index.js';
import {
  exportTfjsModel,
  importTfjsModel,
  modelToTfjsArtifacts,
  registerTfjsLayerConverter,
  tfjsLayerConverter,
  registerTfjsFormat,
} from './index.js';
import { predictBoth, seededWeights, tfjsArtifacts } from '../../test/tfjs-interop.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

const { rand, randomizeTfjs } = seededWeights(7);

function tfjsMlp(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [6],
        units: 8,
        activation: 'relu',
        kernelInitializer: 'heNormal',
        kernelRegularizer: tfl.regularizers.l2({ l2: 0.01 }),
        kernelConstraint: tfl.constraints.maxNorm({ maxValue: 3 }),
      }),
      tfl.layers.dropout({ rate: 0.3 }),
      tfl.layers.dense({ units: 8, activation: 'hardSigmoid' }),
      tfl.layers.dense({ units: 5, activation: 'gelu' }),
      tfl.layers.dense({ units: 3, activation: 'softmax', useBias: false }),
    ],
  });
}

describe('importTfjsModel', () => {
  it('imports a Sequential MLP with the same predictions, regularizers and constraints', async () => {
    const theirs = tfjsMlp();
    randomizeTfjs(theirs);
    const artifacts = await tfjsArtifacts(theirs);
    const start = tf.memory().numTensors;
    (await importTfjsModel(artifacts)).dispose();
    expect(tf.memory().numTensors).toBe(start); // nothing left behind but the model's own weights
    const ours = await importTfjsModel(artifacts);
    expect(ours).toBeInstanceOf(Sequential);
    expect(ours.layers.map((l) => l.name)).toEqual(theirs.layers.map((l) => l.name));
    const first = ours.layers[0]!.weightEntries[0]!;
    expect(first.regularizer).toBeInstanceOf(L1L2);
    expect((first.regularizer as L1L2).l2).toBeCloseTo(0.01, 7);
    expect(first.constraint).toBeInstanceOf(MaxNorm);
    expect((first.constraint as MaxNorm).maxValue).toBe(3);
    expect(ours.countParams()).toBe(theirs.countParams());
    const before = tf.memory().numTensors;
    predictBoth(ours, theirs, [rand([10, 6])]);
    predictBoth(ours, theirs, [rand([40, 6])]); // batched predict path
    expect(tf.memory().numTensors).toBe(before + 2);
  });

  it('imports a CNN with every convolution and pooling layer, BatchNormalization and LayerNormalization', async () => {
    const image = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [9, 9, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tfl.layers.conv2d({ filters: 3, kernelSize: [2, 3], dilationRate: 2, activation: 'elu' }),
        tfl.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, padding: 'same' }),
        tfl.layers.separableConv2d({ kernelSize: 2, filters: 4, depthMultiplier: 2 }),
        tfl.layers.batchNormalization({ epsilon: 0.01 }),
        tfl.layers.zeroPadding2d({
          padding: [
            [1, 0],
            [0, 2],
          ],
        }),
        tfl.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
        tfl.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
        tfl.layers.upSampling2d({ size: [2, 1] }),
        tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, activation: 'tanh' }),
        tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 1, padding: 'same' }),
        tfl.layers.layerNormalization({ axis: -1 }),
        tfl.layers.globalMaxPooling2d({}),
        tfl.layers.reshape({ targetShape: [2, 1] }),
        tfl.layers.permute({ dims: [2, 1] }),
        tfl.layers.flatten(),
        tfl.layers.repeatVector({ n: 6 }),
        tfl.layers.conv1d({ filters: 3, kernelSize: 2, activation: 'sigmoid' }),
        tfl.layers.maxPooling1d({ poolSize: 2 }),
        tfl.layers.averagePooling1d({ poolSize: 2, strides: 1 }),
        tfl.layers.globalAveragePooling1d({}),
        tfl.layers.activation({ activation: 'softplus' }),
      ],
    });
    randomizeTfjs(image);
    const ours = await importTfjsModel(await tfjsArtifacts(image));
    expect(ours.layers.map((l) => l.constructor.name)).toEqual([
      'Conv2D',
      'Conv2D',
      'DepthwiseConv2D',
      'SeparableConv2D',
      'BatchNormalization',
      'ZeroPadding2D',
      'MaxPooling2D',
      'AveragePooling2D',
      'UpSampling2D',
      'Conv2DTranspose',
      'Conv2DTranspose',
      'LayerNormalization',
      'GlobalMaxPooling2D',
      'Reshape',
      'Permute',
      'Flatten',
      'RepeatVector',
      'Conv1D',
      'MaxPooling1D',
      'AveragePooling1D',
      'GlobalAveragePooling1D',
      'Activation',
    ]);
    predictBoth(ours, image, [rand([3, 9, 9, 2])]);

    const sequence = tfl.sequential({
      layers: [
        tfl.layers.conv1d({ inputShape: [12, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
        tfl.layers.globalMaxPooling1d({}),
      ],
    });
    randomizeTfjs(sequence);
    predictBoth(await importTfjsModel(await tfjsArtifacts(sequence)), sequence, [rand([2, 12, 3])]);
  });

  it('imports an Embedding model', async () => {
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.embedding({ inputDim: 20, outputDim: 4, inputLength: 5 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    randomizeTfjs(theirs);
    const ours = await importTfjsModel(await tfjsArtifacts(theirs));
    const ids = tf.tensor2d(
      Array.from({ length: 15 }, (_, i) => (i * 7) % 20),
      [3, 5],
    );
    predictBoth(ours, theirs, [ids]);
  });

  it('imports a functional model with many inputs and outputs, every merge, a shared layer and nested models', async () => {
    const ix = tfl.input({ shape: [4], name: 'inner_in' });
    const inner = tfl.model({
      name: 'inner',
      inputs: ix,
      outputs: tfl.layers.dense({ units: 4, activation: 'tanh', name: 'inner_dense' }).apply(ix) as tfl.SymbolicTensor,
    });
    const head = tfl.sequential({
      name: 'head',
      layers: [tfl.layers.dense({ units: 3, inputShape: [4], name: 'head_dense', activation: 'relu' })],
    });
    const a = tfl.input({ shape: [4], name: 'a' });
    const b = tfl.input({ shape: [4], name: 'b' });
    const ids = tfl.input({ shape: [3], name: 'ids', dtype: 'int32' });
    const shared = tfl.layers.dense({ units: 4, name: 'shared' });
    const sa = shared.apply(a) as tfl.SymbolicTensor;
    const sb = shared.apply(b) as tfl.SymbolicTensor;
    const ia = inner.apply(sa) as tfl.SymbolicTensor;
    const ib = inner.apply(sb) as tfl.SymbolicTensor;
    const merges = [
      tfl.layers.add().apply([sa, sb, ia]),
      tfl.layers.multiply().apply([ia, ib]),
      tfl.layers.average().apply([sa, sb]),
      tfl.layers.maximum().apply([sa, ia]),
      tfl.layers.minimum().apply([sb, ib]),
      tfl.layers.dot({ axes: -1, normalize: true }).apply([sa, sb]),
      tfl.layers.flatten().apply(tfl.layers.embedding({ inputDim: 10, outputDim: 2 }).apply(ids)),
    ] as tfl.SymbolicTensor[];
    const cat = tfl.layers.concatenate({ axis: -1 }).apply(merges) as tfl.SymbolicTensor;
    const out1 = tfl.layers.dense({ units: 2, activation: 'softmax', name: 'out1' }).apply(cat) as tfl.SymbolicTensor;
    const out2 = head.apply(tfl.layers.add().apply([ia, ib])) as tfl.SymbolicTensor;
    const out3 = tfl.layers.batchNormalization({ name: 'bn_out' }).apply(sb) as tfl.SymbolicTensor;
    const theirs = tfl.model({ inputs: [a, b, ids], outputs: [out1, out2, out3], name: 'multi' });
    randomizeTfjs(theirs);

    const ours = await importTfjsModel(await tfjsArtifacts(theirs));
    expect(ours.inputs.map((t) => t.node!.layer.name)).toEqual(['a', 'b', 'ids']);
    expect(ours.outputNames).toEqual(['out1', 'head', 'bn_out']);
    expect(ours.getLayer('inner')).toBeInstanceOf(Model);
    expect(ours.getLayer('head')).toBeInstanceOf(Sequential);
    expect(ours.getLayer('shared').inboundNodes.length).toBe(2);
    expect(ours.countParams()).toBe(theirs.countParams());
    const idValues = tf.tensor2d([1, 2, 3, 9, 0, 4, 5, 5, 5, 7, 8, 6], [4, 3], 'int32');
    predictBoth(ours, theirs, [rand([4, 4]), rand([4, 4]), idValues]);
  });

  it('is what loadModel does with a TF.js model.json once registerTfjsFormat() has run', async () => {
    const theirs = tfjsMlp();
    randomizeTfjs(theirs);
    await theirs.save(memoryIO('tfjs-mlp'));
    // Before registration, loadModel recognises the file and names the call that reads it.
    const unregistered = loadModel(memoryIO('tfjs-mlp'));
    await expect(unregistered).rejects.toThrow(ArtifactError);
    await expect(loadModel(memoryIO('tfjs-mlp'))).rejects.toThrow(
      /registerTfjsFormat\(\) from '@plasticity\/layers\/tfjs'/,
    );
    registerTfjsFormat();
    registerTfjsFormat(); // idempotent
    expect(listArtifactReaders()).toEqual(['plasticity-model', 'tfjs-layers']);
    const ours = await loadModel(memoryIO('tfjs-mlp'));
    predictBoth(ours, theirs, [rand([5, 6])]);
  });

  it('reads a Keras converter topology (model_config) and Keras 3 weight names (<layer>/<index>)', async () => {
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [3], units: 2, name: 'k_dense' }),
        tfl.layers.batchNormalization({ name: 'k_bn' }),
      ],
    });
    randomizeTfjs(theirs);
    const artifacts = await tfjsArtifacts(theirs);
    const keras = {
      ...artifacts,
      modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: artifacts.modelTopology },
      weightSpecs: artifacts.weightSpecs!.map((s) => {
        const [layer, weight] = s.name.split('/');
        const order = ['kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance'];
        const index = layer === 'k_dense' ? order.indexOf(weight!) : order.indexOf(weight!) - 2;
        return { ...s, name: `${layer}/${index}` };
      }),
    };
    predictBoth(await importTfjsModel(keras), theirs, [rand([4, 3])]);
  });

  it('names the layer, its class and the registration call for an unknown layer class; a registered converter fixes it', async () => {
    const theirs = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, name: 'special' })] });
    randomizeTfjs(theirs);
    const artifacts = await tfjsArtifacts(theirs);
    const topology = structuredClone(artifacts.modelTopology) as { config: { layers: { class_name: string }[] } };
    topology.config.layers[0]!.class_name = 'MyFancyDense';
    const renamed = { ...artifacts, modelTopology: topology };
    const error = await importTfjsModel(renamed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownPluginError);
    expect((error as Error).message).toContain('"special"');
    expect((error as Error).message).toContain('"MyFancyDense"');
    expect((error as Error).message).toContain("registerTfjsLayerConverter('MyFancyDense'");

    registerTfjsLayerConverter('MyFancyDense', tfjsLayerConverter('Dense'));
    predictBoth(await importTfjsModel(renamed), theirs, [rand([2, 3])]);
  });

  it('names the layer and weight when a weight is missing or has the wrong shape', async () => {
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [3], units: 4, name: 'first' }),
        tfl.layers.dense({ units: 2, name: 'second' }),
      ],
    });
    const artifacts = await tfjsArtifacts(theirs);

    const missing = {
      ...artifacts,
      weightSpecs: artifacts.weightSpecs!.map((s) => (s.name === 'second/bias' ? { ...s, name: 'elsewhere/bias' } : s)),
    };
    const e1 = await importTfjsModel(missing).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ArtifactError);
    expect((e1 as Error).message).toMatch(/weight "second\/bias" of layer "second" \(Dense\) is missing/);

    const topology = structuredClone(artifacts.modelTopology) as {
      config: { layers: { config: { units: number } }[] };
    };
    topology.config.layers[1]!.config.units = 3;
    const e2 = await importTfjsModel({ ...artifacts, modelTopology: topology }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(ShapeError);
    expect((e2 as Error).message).toContain('Layer "second" (Dense): weight "second/kernel" has shape [4,2]');
    expect((e2 as Error).message).toContain('expects [4,3]');
  });

  it('rejects options it cannot honour, naming the layer', async () => {
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [2, 5, 5],
          filters: 2,
          kernelSize: 3,
          dataFormat: 'channelsFirst',
          name: 'cf',
        }),
      ],
    });
    const error = await importTfjsModel(await tfjsArtifacts(theirs)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValueError);
    expect((error as Error).message).toContain('Layer "cf" (Conv2D): option data_format="channelsFirst"');
  });
});

describe('exportTfjsModel', () => {
  async function roundTrip(model: Model, xs: tf.Tensor[], key: string): Promise<void> {
    await exportTfjsModel(model, memoryIO(key));
    const ours = model.predict(xs.length === 1 ? xs[0]! : xs);
    // tfjs-layers names its variables <layer>/<weight> as we do, in the same engine: free ours first.
    model.dispose();
    const theirs = await tfl.loadLayersModel(memoryIO(key));
    const expected = theirs.predict(xs.length === 1 ? xs[0]! : xs);
    const [a, b] = [ours, expected].map((t) => (Array.isArray(t) ? t : [t]));
    expect(a!.length).toBe(b!.length);
    a!.forEach((t, i) => expectTensorsClose(t, b![i]!, { rtol: 1e-5, atol: 1e-5, label: `output ${i}` }));
    tf.dispose([...a!, ...b!]);
    const back = await importTfjsModel(memoryIO(key));
    predictBoth(back, theirs, xs);
  }

  it('writes a Sequential model that tfjs-layers loads with equal predictions', async () => {
    const model = new Sequential({
      layers: [
        new Dense({ units: 8, inputShape: [5], activation: 'relu', kernelRegularizer: new L1L2({ l2: 0.1 }) }),
        new Dropout({ rate: 0.2 }),
        new Dense({ units: 4, activation: 'hardSigmoid', kernelInitializer: 'heUniform', kernelConstraint: 'nonNeg' }),
        new Dense({ units: 3, activation: 'geluExact', biasInitializer: 'ones' }),
        new Dense({ units: 2, activation: 'softmax' }),
      ],
    });
    // tfjs-layers applies constraints when it sets weights; after training ours hold them too.
    model.applyConstraints();
    const artifacts = await (async () => {
      await exportTfjsModel(model, memoryIO('export-mlp'));
      return memoryIO('export-mlp').load!();
    })();
    expect(artifacts.format).toBe('layers-model');
    expect(artifacts.convertedBy).toBeNull();
    expect(artifacts.generatedBy).toBe('@plasticity/layers');
    expect((artifacts.modelTopology as { class_name: string }).class_name).toBe('Sequential');
    const topology = artifacts.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } };
    expect(topology.config.layers[0]!.config['kernel_regularizer']).toEqual({
      class_name: 'L1L2',
      config: { l1: 0, l2: 0.1 },
    });
    expect(topology.config.layers[0]!.config['batch_input_shape']).toEqual([null, 5]);
    await roundTrip(model, [rand([6, 5])], 'export-mlp');
  });

  it('writes a CNN that tfjs-layers loads with equal predictions', async () => {
    const model = new Sequential({
      layers: [
        new Conv2D({ filters: 3, kernelSize: 3, inputShape: [8, 8, 2], padding: 'same', activation: 'relu' }),
        new SeparableConv2D({ filters: 4, kernelSize: 2, depthMultiplier: 2 }),
        new BatchNormalization(),
        new MaxPooling2D({ poolSize: 2 }),
        new LayerNormalization(),
        new Flatten(),
        new Dense({ units: 3 }),
      ],
    });
    // Non-trivial batch-norm statistics.
    const bn = model.layers[2]!;
    bn.setWeights(bn.weights.map((w, i) => rand([...w.shape], i === 3 ? 0.5 : -1, 1.5)));
    await roundTrip(model, [rand([2, 8, 8, 2])], 'export-cnn');

    const seq = new Sequential({
      layers: [
        new Conv1D({ filters: 3, kernelSize: 2, inputShape: [7, 2] }),
        new AveragePooling1D({ poolSize: 2 }),
        new GlobalAveragePooling1D(),
      ],
    });
    await roundTrip(seq, [rand([3, 7, 2])], 'export-conv1d');
  });

  it('writes a functional model with shared layers, merges, an embedding and a nested model', async () => {
    const innerIn = input({ shape: [4], name: 'x_in' });
    const inner = new Model({
      inputs: innerIn,
      outputs: new Dense({ units: 4, name: 'x_dense' }).apply(innerIn),
      name: 'x_inner',
    });
    const a = input({ shape: [4], name: 'xa' });
    const b = input({ shape: [4], name: 'xb' });
    const ids = input({ shape: [2], name: 'xids', dtype: 'int32' });
    const shared = new Dense({ units: 4, activation: 'tanh', name: 'x_shared' });
    const sa = shared.apply(a);
    const sb = shared.apply(b);
    const ia = inner.apply(sa) as SymbolicTensor;
    const ib = inner.apply(sb) as SymbolicTensor;
    const e = new Flatten().apply(new Embedding({ inputDim: 6, outputDim: 3 }).apply(ids));
    const merged = new Concatenate().apply([
      new Add().apply([sa, ia]) as SymbolicTensor,
      new Maximum().apply([ia, ib]) as SymbolicTensor,
      new Multiply().apply([sa, sb]) as SymbolicTensor,
      new Dot({ axes: -1 }).apply([sa, ib]) as SymbolicTensor,
      e,
    ]) as SymbolicTensor;
    const model = new Model({
      inputs: [a, b, ids],
      outputs: [new Dense({ units: 2, name: 'x_out' }).apply(merged), ib],
      name: 'x_multi',
    });
    const idValues = tf.tensor2d([0, 5, 3, 2, 1, 1], [3, 2], 'int32');
    await roundTrip(model, [rand([3, 4]), rand([3, 4]), idValues], 'export-functional');
  });

  it('converts wrapper layers (a `layer` option holding a layer) through the registry both ways', async () => {
    /** Applies its wrapped layer twice (a stand-in for wrappers such as Bidirectional). */
    class Twice extends Layer {
      static override readonly className = 'Test>Twice';
      readonly inner: Layer;
      constructor(config: LayerConfig & { layer: Layer | SerializedPlugin }) {
        super(config);
        this.inner = config.layer instanceof Layer ? config.layer : deserializePlugin<Layer>('layer', config.layer);
      }
      override build(shape: Shape | Shape[]): void {
        if (!this.inner.built) this.inner.build(shape);
        this.inner.built = true;
        this.built = true;
      }
      override get weightEntries(): LayerWeight[] {
        return this.inner.weightEntries;
      }
      call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.tidy(() => this.inner.call(this.inner.call(x, {}) as tf.Tensor, {}) as tf.Tensor);
      }
      protected override ownConfig(): ConfigDict {
        return { layer: serializePlugin('layer', this.inner) as unknown as ConfigDict };
      }
    }
    registerLayer(Twice);
    registerTfjsLayerConverter('Twice', tfjsLayerConverter('Test>Twice', { weights: (n) => `inner_${n}` }));
    const model = new Sequential({
      layers: [new Twice({ layer: new Dense({ units: 3, activation: 'tanh' }), inputShape: [3], name: 'twice' })],
    });
    const x = rand([2, 3]);
    const expected = model.predict(x) as tf.Tensor;
    const artifacts = await modelToTfjsArtifacts(model);
    const layerJson = (artifacts.modelTopology as { config: { layers: { class_name: string; config: ConfigDict }[] } })
      .config.layers[0]!;
    expect(layerJson.class_name).toBe('Twice');
    expect((layerJson.config['layer'] as { class_name: string }).class_name).toBe('Dense');
    expect((layerJson.config['layer'] as { config: ConfigDict }).config['use_bias']).toBe(true);
    expect(artifacts.weightSpecs!.map((s) => s.name)).toEqual(['twice/inner_kernel', 'twice/inner_bias']);
    const back = await importTfjsModel(artifacts);
    expectTensorsClose(back.predict(x) as tf.Tensor, expected, { rtol: 1e-6, atol: 1e-6 });
  });

  it('refuses an activation tfjs-layers cannot load back, naming the layer', async () => {
    const model = new Sequential({
      layers: [new Dense({ units: 2, inputShape: [3], activation: 'gelu', name: 'approx' })],
    });
    const error = await exportTfjsModel(model, memoryIO('export-gelu')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValueError);
    expect((error as Error).message).toContain('Layer "approx"');
  });
});
