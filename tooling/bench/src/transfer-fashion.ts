/**
 * Evidence for @plasticity/transfer and @plasticity/multitask on Fashion-MNIST (wasm backend).
 *
 * Transfer: pretrain a small CNN on classes 0–4, then learn classes 5–9 from 50 labelled images per
 * class, four ways: from scratch, frozen base + new head (on cached features), staged fine-tuning
 * (head, then everything at 0.1× with layer-wise learning rates), and LoRA on the feature layer.
 * Multi-task: one trunk predicting the class and "upper-body garment" (T-shirt, pullover, coat,
 * shirt) against two single-task models of the same shape.
 *
 * `node tooling/bench/dist/transfer-fashion.js` (after `pnpm --filter @plasticity/bench build`);
 * FASHION_DIR overrides /usr/share/datasets/fashion-mnist; PRETRAIN_N / MT_N / MT_TEST_N scale the
 * runs, SHOTS sets the labelled images per class (default 50), SKIP_MT=1 skips the multi-task part,
 * PRETRAINED=<dir> keeps the pretrained model on disk and reuses it on the next run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, memoryIO, registerBackendPlugin, useBackend } from '@plasticity/core';
import { fileIO, hasModelJson } from '@plasticity/core/node';
import { wasmBackend } from '@plasticity/backend-wasm';
import {
  Activation,
  BatchNormalization,
  Conv2D,
  Dense,
  Flatten,
  MaxPooling2D,
  Model,
  Sequential,
  input,
  loadModel,
  type SymbolicTensor,
} from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import {
  MemoryFeatureCache,
  addHead,
  applyLoRA,
  discriminativeParamGroups,
  extractFeatures,
  featureExtractor,
  fineTune,
  registerTransferLayers,
  replaceHead,
  unfreeze,
} from '@plasticity/transfer';
import { FixedWeights, MultiTaskModel, UncertaintyWeighting } from '@plasticity/multitask';
import { loadFashionMnist } from '@plasticity/datasets/node';

async function loadSplit(
  dir: string,
  split: 'train' | 'test',
): Promise<{ images: Uint8Array; labels: Uint8Array; n: number }> {
  const set = await loadFashionMnist({ dir, split, raw: true });
  return { images: set.images as Uint8Array, labels: set.labels, n: set.count };
}

function subset(
  set: { images: Uint8Array; labels: Uint8Array; n: number },
  indices: number[],
  label: (c: number) => number,
): { x: tf.Tensor4D; y: tf.Tensor1D; classes: number[] } {
  const x = new Float32Array(indices.length * 784);
  const classes = indices.map((i) => set.labels[i]!);
  indices.forEach((i, k) => {
    for (let p = 0; p < 784; p++) x[k * 784 + p] = set.images[i * 784 + p]! / 255;
  });
  return {
    x: tf.tensor4d(x, [indices.length, 28, 28, 1]),
    y: tf.tensor1d(classes.map(label), 'int32'),
    classes,
  };
}

function pick(
  set: { labels: Uint8Array; n: number },
  keep: (c: number) => boolean,
  limit: number,
  seed: number,
): number[] {
  const order = Array.from(createRng(seed).permutation(set.n));
  return order.filter((i) => keep(set.labels[i]!)).slice(0, limit);
}

function perClass(set: { labels: Uint8Array; n: number }, classes: number[], k: number, seed: number): number[] {
  const order = Array.from(createRng(seed).permutation(set.n));
  return classes.flatMap((c) => order.filter((i) => set.labels[i] === c).slice(0, k));
}

function cnn(classes: number): Sequential {
  return new Sequential({
    layers: [
      new Conv2D({ filters: 16, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1], name: 'conv1' }),
      new MaxPooling2D({ poolSize: 2, name: 'pool1' }),
      new Conv2D({ filters: 32, kernelSize: 3, name: 'conv2' }),
      new BatchNormalization({ name: 'bn2' }),
      new Activation({ activation: 'relu', name: 'relu2' }),
      new MaxPooling2D({ poolSize: 2, name: 'pool2' }),
      new Flatten({ name: 'flatten' }),
      new Dense({ units: 64, activation: 'relu', name: 'features' }),
      new Dense({ units: classes, activation: 'softmax', name: 'classifier' }),
    ],
  });
}

function accuracy(model: Model, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => {
    const p = model.predict(x, { batchSize: 500 }) as tf.Tensor;
    return tf.mean(tf.cast(tf.equal(tf.argMax(p, -1), y), 'float32')).dataSync()[0]!;
  });
}

const seconds = (start: number): string => ((performance.now() - start) / 1000).toFixed(1);

registerBackendPlugin(wasmBackend);
await useBackend('wasm');
registerTransferLayers();
const dir = process.env['FASHION_DIR'] ?? '/usr/share/datasets/fashion-mnist';
const train = await loadSplit(dir, 'train');
const test = await loadSplit(dir, 'test');
const pretrainN = Number(process.env['PRETRAIN_N'] ?? 12000);
console.log(`Fashion-MNIST from ${dir}: ${train.n} train, ${test.n} test images; backend ${tf.getBackend()}`);

// ── Pretraining on classes 0–4 ────────────────────────────────────────────────────────────────
const pretrainedDir = process.env['PRETRAINED'];
if (pretrainedDir !== undefined && (await hasModelJson(pretrainedDir))) {
  await (await loadModel(fileIO(pretrainedDir))).save(memoryIO('pretrained'));
  console.log(`pretrained model reused from ${pretrainedDir}`);
} else {
  const pre = subset(
    train,
    pick(train, (c) => c < 5, pretrainN, 1),
    (c) => c,
  );
  const preTest = subset(
    test,
    pick(test, (c) => c < 5, 5000, 2),
    (c) => c,
  );
  const pretrained = cnn(5);
  pretrained.compile({ optimizer: new Adam({ learningRate: 2e-3 }), loss: 'sparseCategoricalCrossentropy' });
  const start = performance.now();
  await pretrained.fit(pre.x, pre.y, { epochs: 3, batchSize: 64, seed: 1 });
  console.log(
    `pretrained on ${pre.x.shape[0]} images of classes 0–4 in ${seconds(start)} s: test accuracy on classes 0–4 ${(100 * accuracy(pretrained, preTest.x, preTest.y)).toFixed(1)}%`,
  );
  await pretrained.save(memoryIO('pretrained'));
  if (pretrainedDir !== undefined) await pretrained.save(fileIO(pretrainedDir), { includeOptimizer: false });
  tf.dispose([pre.x, pre.y, preTest.x, preTest.y]);
}
let t0 = performance.now();
const fresh = async (): Promise<Model> => loadModel(memoryIO('pretrained'));

// ── Classes 5–9 from 50 labelled images per class ────────────────────────────────────────────
const shots = Number(process.env['SHOTS'] ?? 50);
const few = subset(train, perClass(train, [5, 6, 7, 8, 9], shots, 3), (c) => c - 5);
const target = subset(
  test,
  pick(test, (c) => c >= 5, 5000, 4),
  (c) => c - 5,
);
const results: Record<string, { 'test accuracy %': string; 'train s': string }> = {};
const record = (name: string, model: Model, start: number): void => {
  results[name] = {
    'test accuracy %': (100 * accuracy(model, target.x, target.y)).toFixed(1),
    'train s': seconds(start),
  };
  console.log(`${name}: ${results[name]!['test accuracy %']}%`);
};

t0 = performance.now();
const scratch = cnn(5);
scratch.compile({ optimizer: new Adam({ learningRate: 2e-3 }), loss: 'sparseCategoricalCrossentropy' });
await scratch.fit(few.x, few.y, { epochs: 40, batchSize: Math.min(25, 5 * shots), seed: 5 });
record('from scratch (same CNN, 40 epochs)', scratch, t0);

for (const cut of ['features', 'flatten']) {
  t0 = performance.now();
  const base = featureExtractor(await fresh(), cut);
  const cache = new MemoryFeatureCache();
  const { features } = await extractFeatures(base, few.x, { cache });
  const head = new Sequential({
    layers: [new Dense({ units: 5, activation: 'softmax', inputShape: features.shape.slice(1) })],
  });
  head.compile({ optimizer: new Adam({ learningRate: 1e-2 }), loss: 'sparseCategoricalCrossentropy' });
  await head.fit(features, few.y, { epochs: 100, batchSize: Math.min(25, 5 * shots), seed: 5 });
  record(`frozen base cut at "${cut}" + new head (cached features, 100 epochs)`, addHead(base, head), t0);
  features.dispose();
  cache.dispose();
}

t0 = performance.now();
{
  const model = replaceHead(await fresh(), new Dense({ units: 5, activation: 'softmax', name: 'new_head' }));
  model.compile({ optimizer: new Adam({ learningRate: 1e-2 }), loss: 'sparseCategoricalCrossentropy' });
  const stages = await fineTune(model, few.x, few.y, {
    batchSize: Math.min(25, 5 * shots),
    seed: 5,
    stages: [
      { name: 'head', train: { top: 1 }, epochs: 30 },
      {
        name: 'all, layer-wise lr',
        train: 'all',
        epochs: 15,
        learningRateScale: 1,
        optimizer: new Adam({ learningRate: 1e-3, paramGroups: discriminativeParamGroups(model, { decay: 0.5 }) }),
      },
    ],
  });
  record(`staged fine-tuning (${stages.map((s) => `${s.name}: ${s.trained.length} layers`).join('; ')})`, model, t0);
}

t0 = performance.now();
{
  const model = replaceHead(await fresh(), new Dense({ units: 5, activation: 'softmax', name: 'lora_head' }));
  const adapted = applyLoRA(model, { rank: 4, alpha: 8, targets: 'features' });
  unfreeze(adapted, 'lora_head');
  adapted.compile({ optimizer: new Adam({ learningRate: 1e-2 }), loss: 'sparseCategoricalCrossentropy' });
  const trainable = adapted.trainableWeights.reduce((n, v) => n + v.size, 0);
  await adapted.fit(few.x, few.y, { epochs: 30, batchSize: Math.min(25, 5 * shots), seed: 5 });
  record(`LoRA r=4 on "features" + head (${trainable} trainable params)`, adapted, t0);
}
console.log(`\nClasses 5–9 from ${shots} labelled images per class; test accuracy on 5000 test images of classes 5–9`);
console.table(results);
tf.dispose([few.x, few.y, target.x, target.y]);

// ── Multi-task: class + upper-body garment ───────────────────────────────────────────────────
if (process.env['SKIP_MT'] === '1') process.exit(0);
const mtN = Number(process.env['MT_N'] ?? 4000);
const upper = (c: number): number => ([0, 2, 4, 6].includes(c) ? 1 : 0);
const mtTrain = subset(
  train,
  pick(train, () => true, mtN, 6),
  (c) => c,
);
const mtTest = subset(
  test,
  pick(test, () => true, Number(process.env['MT_TEST_N'] ?? 5000), 7),
  (c) => c,
);
const upperTrain = tf.tensor2d(mtTrain.classes.map(upper), [mtN, 1]);
const upperTest = tf.tensor2d(mtTest.classes.map(upper), [mtTest.classes.length, 1]);

function trunk(): { x: SymbolicTensor; features: SymbolicTensor } {
  const x = input({ shape: [28, 28, 1] });
  let h = new Conv2D({ filters: 16, kernelSize: 3, activation: 'relu' }).apply(x);
  h = new MaxPooling2D({ poolSize: 2 }).apply(h);
  h = new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu' }).apply(h);
  h = new MaxPooling2D({ poolSize: 2 }).apply(h);
  h = new Dense({ units: 64, activation: 'relu' }).apply(new Flatten().apply(h));
  return { x, features: h };
}
const epochs = 4;
const mtRows: Record<string, Record<string, string>> = {};
for (const [label, balancer] of [
  ['multi-task, fixed weights 1:1', new FixedWeights()],
  ['multi-task, uncertainty weighting', new UncertaintyWeighting()],
] as const) {
  t0 = performance.now();
  const { x, features } = trunk();
  const mt = new MultiTaskModel({
    trunk: new Model({ inputs: x, outputs: features }),
    tasks: {
      class: {
        head: new Dense({ units: 10, activation: 'softmax' }),
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
      },
      upper: {
        head: new Dense({ units: 1, activation: 'sigmoid' }),
        loss: 'binaryCrossentropy',
        metrics: ['accuracy'],
      },
    },
  });
  mt.compile({ optimizer: new Adam({ learningRate: 2e-3 }), balancer });
  const history = await mt.fit(mtTrain.x, { class: mtTrain.y, upper: upperTrain }, { epochs, batchSize: 64, seed: 8 });
  const logs = await mt.evaluate(mtTest.x, { class: mtTest.y, upper: upperTest }, { batchSize: 500 });
  const last = (key: string): number => history.history[key]!.at(-1)!;
  mtRows[label] = {
    'class acc %': (100 * logs['class_accuracy']!).toFixed(1),
    'upper-body acc %': (100 * logs['upper_accuracy']!).toFixed(1),
    'final task weights': `${last('class_weight').toFixed(3)} / ${last('upper_weight').toFixed(3)}`,
    'train s': seconds(t0),
  };
}
for (const task of ['class', 'upper'] as const) {
  t0 = performance.now();
  const { x, features } = trunk();
  const out =
    task === 'class'
      ? new Dense({ units: 10, activation: 'softmax' }).apply(features)
      : new Dense({ units: 1, activation: 'sigmoid' }).apply(features);
  const single = new Model({ inputs: x, outputs: out });
  single.compile({
    optimizer: new Adam({ learningRate: 2e-3 }),
    loss: task === 'class' ? 'sparseCategoricalCrossentropy' : 'binaryCrossentropy',
    metrics: ['accuracy'],
  });
  await single.fit(mtTrain.x, task === 'class' ? mtTrain.y : upperTrain, { epochs, batchSize: 64, seed: 8 });
  const logs = await single.evaluate(mtTest.x, task === 'class' ? mtTest.y : upperTest, { batchSize: 500 });
  mtRows[`single-task: ${task}`] = {
    'class acc %': task === 'class' ? (100 * logs['accuracy']!).toFixed(1) : '',
    'upper-body acc %': task === 'upper' ? (100 * logs['accuracy']!).toFixed(1) : '',
    'final task weights': '',
    'train s': seconds(t0),
  };
}
console.log(`\nMulti-task on ${mtN} training images (${epochs} epochs), test on ${mtTest.classes.length} test images`);
console.table(mtRows);
