/**
 * The transfer experiment: pretrain a small CNN on Fashion-MNIST classes 0–4, then learn classes
 * 5–9 from `shots` labelled images per class four ways, measuring validation accuracy after every
 * epoch (learning curves, on held-out training images) and test accuracy at the end.
 *
 * - scratch: the same CNN, randomly initialised, trained on the few-shot set;
 * - frozen: the pretrained base cut at `cut` (frozen), features cached, a new softmax head trained;
 * - finetune: new head trained alone, then every layer at a lower learning rate (`fineTune` stages);
 * - lora: LoRA adapters on the `features` Dense layer plus a new head; merged back with `mergeLoRA`
 *   for the test evaluation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ProgressEmitter, memoryIO, type TrainingListener } from '@plasticity/core';
import {
  Activation,
  BatchNormalization,
  Conv2D,
  Dense,
  Flatten,
  MaxPooling2D,
  Sequential,
  loadModel,
  setInitializerSeed,
  type History,
  type Model,
} from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import {
  MemoryFeatureCache,
  addHead,
  applyLoRA,
  extractFeatures,
  featureExtractor,
  fineTune,
  mergeLoRA,
  registerTransferLayers,
  replaceHead,
  unfreeze,
} from '@plasticity/transfer';
import { selectIndices, toTensors, type FashionSplits } from './data.js';

export const METHODS = ['scratch', 'frozen', 'finetune', 'lora'] as const;
export type Method = (typeof METHODS)[number];

export const METHOD_LABELS: Record<Method, string> = {
  scratch: 'from scratch',
  frozen: 'frozen base + new head',
  finetune: 'staged fine-tune',
  lora: 'LoRA (merged)',
};

export interface TransferOptions {
  /** Labelled images per target class, one run each. Default [10, 50]. */
  shots?: readonly number[];
  /** Seeds; every (shots, seed) pair is one run of every method. Default [1]. */
  seeds?: readonly number[];
  methods?: readonly Method[];
  /** Source-class training images for pretraining. Default 12000 (all there are, on the subset). */
  pretrainImages?: number;
  pretrainEpochs?: number;
  /** Epochs of few-shot training per method (fine-tune: head stage, then as many for all layers). */
  epochs?: number;
  /** Validation images of the target classes (from the training split). Default 500. */
  validationImages?: number;
  /** Test images of the target classes. Default all. */
  testImages?: number;
  /** Layer the frozen base is cut at: 'features' (the 64-unit Dense) or 'flatten'. Default 'features'. */
  cut?: string;
  /** Learning rate of the all-layers fine-tune stage. Default 3e-4. */
  fineTuneLearningRate?: number;
  /** Receives pretraining events and one batch event per finished run. */
  onEvent?: TrainingListener;
  /** Called with each finished run's row (e.g. to log it where progress bars are not shown). */
  onRun?: (row: TransferRow) => void;
}

export interface TransferRow {
  method: Method;
  shots: number;
  seed: number;
  /** Validation accuracy after the last epoch. */
  validationAccuracy: number;
  testAccuracy: number;
  trainableParams: number;
  seconds: number;
}

export interface TransferResult {
  rows: TransferRow[];
  /** Validation accuracy after each epoch, per run. */
  curves: { method: Method; shots: number; seed: number; epoch: number; accuracy: number }[];
  pretrain: { images: number; sourceTestAccuracy: number; seconds: number };
}

export const SOURCE = [0, 1, 2, 3, 4] as const;
export const TARGET = [5, 6, 7, 8, 9] as const;

/** The CNN: conv16 → pool → conv32 → BN → relu → pool → flatten → Dense 64 "features" → softmax. */
export function cnn(classes: number): Sequential {
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

/** Fraction of rows of `probabilities` whose argmax equals `labels`. */
export function accuracy(model: Model, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => {
    const p = model.predict(x, { batchSize: 500 }) as tf.Tensor;
    return tf.mean(tf.cast(tf.equal(tf.argMax(p, -1), y), 'float32')).dataSync()[0]!;
  });
}

const trainable = (model: Model): number => model.trainableWeights.reduce((n, v) => n + v.size, 0);
const valCurve = (history: History): number[] => history.history['val_accuracy'] ?? [];

/** Disposes the layers of `original` that `derived` (cut or re-headed from it) dropped, e.g. its old classifier. */
function disposeDropped(original: Model, derived: Model): void {
  for (const layer of original.layers) if (!derived.layers.includes(layer)) layer.dispose();
}

/** Runs the experiment; disposes every tensor it made. */
export async function runTransfer(data: FashionSplits, options: TransferOptions = {}): Promise<TransferResult> {
  const shotsList = options.shots ?? [10, 50];
  const seeds = options.seeds ?? [1];
  const methods = options.methods ?? METHODS;
  const epochs = options.epochs ?? 30;
  const cut = options.cut ?? 'features';
  const progress = new ProgressEmitter();
  if (options.onEvent !== undefined) progress.on(options.onEvent);
  registerTransferLayers();

  // ── pretraining on the source classes ──
  const maxShots = Math.max(...shotsList);
  const pool = selectIndices(data.train.labels, {
    source: SOURCE,
    target: TARGET,
    shots: maxShots,
    validation: 0,
    pretrain: options.pretrainImages ?? 12000,
    seed: 0,
  });
  const pre = toTensors(data.train, pool.pretrain, (c) => c);
  const sourceTest = selectIndices(data.test.labels, {
    source: SOURCE,
    target: TARGET,
    shots: 1,
    validation: 0,
    pretrain: Infinity,
    seed: 0,
  });
  const preTest = toTensors(data.test, sourceTest.pretrain, (c) => c);
  let start = performance.now();
  const pretrained = cnn(5);
  pretrained.compile({ optimizer: new Adam({ learningRate: 2e-3 }), loss: 'sparseCategoricalCrossentropy' });
  await pretrained.fit(pre.x, pre.y, {
    epochs: options.pretrainEpochs ?? 3,
    batchSize: 64,
    seed: 1,
    progress: (e) => progress.emit(e.type === 'begin' ? { ...e, label: 'pretrain (classes 0–4)' } : e),
  });
  const pretrain = {
    images: pool.pretrain.length,
    sourceTestAccuracy: accuracy(pretrained, preTest.x, preTest.y),
    seconds: (performance.now() - start) / 1000,
  };
  await pretrained.save(memoryIO('fashion-transfer-pretrained'), { includeOptimizer: false });
  tf.dispose([pre.x, pre.y, preTest.x, preTest.y]);
  pretrained.dispose();
  const fresh = (): Promise<Model> => loadModel(memoryIO('fashion-transfer-pretrained'));

  const testIdx = selectIndices(data.test.labels, {
    source: TARGET,
    target: SOURCE,
    shots: 1,
    validation: 0,
    pretrain: options.testImages ?? Infinity,
    seed: 0,
  }).pretrain;
  const test = toTensors(data.test, testIdx, (c) => c - 5);

  const rows: TransferRow[] = [];
  const curves: TransferResult['curves'] = [];
  const runs = shotsList.length * seeds.length * methods.length;
  progress.emit({ type: 'begin', label: 'few-shot runs', epochs: 1, steps: runs });
  let done = 0;
  for (const shots of shotsList) {
    for (const seed of seeds) {
      const idx = selectIndices(data.train.labels, {
        source: SOURCE,
        target: TARGET,
        shots,
        validation: options.validationImages ?? 500,
        pretrain: 0,
        seed: 1000 + seed,
      });
      const few = toTensors(data.train, idx.fewShot, (c) => c - 5);
      const val = toTensors(data.train, idx.validation, (c) => c - 5);
      const batchSize = Math.min(25, 5 * shots);
      const fit = { batchSize, seed, validationData: [val.x, val.y] as [tf.Tensor, tf.Tensor] };
      for (const method of methods) {
        start = performance.now();
        setInitializerSeed(seed * 7919 + shots);
        let model: Model;
        let curve: number[];
        let params: number;
        const extra: tf.Tensor[] = [];
        const disposeLater: Model[] = [];
        // Optimizers replaced by fineTune's stages or owned by a head outside the final model.
        const optimizers: Adam[] = [];
        const adam = (learningRate: number): Adam => {
          const optimizer = new Adam({ learningRate });
          optimizers.push(optimizer);
          return optimizer;
        };
        if (method === 'scratch') {
          model = cnn(5);
          model.compile({
            optimizer: adam(2e-3),
            loss: 'sparseCategoricalCrossentropy',
            metrics: ['accuracy'],
          });
          params = trainable(model);
          curve = valCurve(await model.fit(few.x, few.y, { ...fit, epochs }));
        } else if (method === 'frozen') {
          const loaded = await fresh();
          const base = featureExtractor(loaded, cut);
          disposeDropped(loaded, base);
          const cache = new MemoryFeatureCache();
          const { features } = await extractFeatures(base, few.x, { cache });
          const { features: valFeatures } = await extractFeatures(base, val.x);
          extra.push(features, valFeatures);
          const head = new Sequential({
            layers: [new Dense({ units: 5, activation: 'softmax', inputShape: features.shape.slice(1) })],
          });
          head.compile({
            optimizer: adam(1e-2),
            loss: 'sparseCategoricalCrossentropy',
            metrics: ['accuracy'],
          });
          params = trainable(head);
          curve = valCurve(await head.fit(features, few.y, { ...fit, validationData: [valFeatures, val.y], epochs }));
          model = addHead(base, head);
          cache.dispose();
        } else if (method === 'finetune') {
          const loaded = await fresh();
          model = replaceHead(loaded, new Dense({ units: 5, activation: 'softmax', name: 'new_head' }));
          disposeDropped(loaded, model);
          model.compile({
            optimizer: adam(1e-2),
            loss: 'sparseCategoricalCrossentropy',
            metrics: ['accuracy'],
          });
          const head = Math.ceil(epochs / 2);
          const stages = await fineTune(model, few.x, few.y, {
            ...fit,
            stages: [
              { name: 'head', train: { top: 1 }, epochs: head },
              {
                name: 'all',
                train: 'all',
                epochs: epochs - head,
                optimizer: adam(options.fineTuneLearningRate ?? 3e-4),
              },
            ],
          });
          params = trainable(model);
          curve = stages.flatMap((s) => valCurve(s.history));
        } else {
          const loaded = await fresh();
          const withHead = replaceHead(loaded, new Dense({ units: 5, activation: 'softmax', name: 'lora_head' }));
          disposeDropped(loaded, withHead);
          const adapted = applyLoRA(withHead, { rank: 4, alpha: 8, targets: 'features', seed });
          unfreeze(adapted, 'lora_head');
          adapted.compile({
            optimizer: adam(1e-2),
            loss: 'sparseCategoricalCrossentropy',
            metrics: ['accuracy'],
          });
          params = trainable(adapted);
          curve = valCurve(await adapted.fit(few.x, few.y, { ...fit, epochs }));
          model = mergeLoRA(adapted);
          disposeLater.push(adapted);
        }
        rows.push({
          method,
          shots,
          seed,
          validationAccuracy: curve.at(-1) ?? accuracy(model, val.x, val.y),
          testAccuracy: accuracy(model, test.x, test.y),
          trainableParams: params,
          seconds: (performance.now() - start) / 1000,
        });
        options.onRun?.(rows.at(-1)!);
        curve.forEach((acc, epoch) => curves.push({ method, shots, seed, epoch: epoch + 1, accuracy: acc }));
        tf.dispose(extra);
        model.dispose();
        for (const m of disposeLater) m.dispose();
        for (const o of optimizers) o.dispose();
        progress.emit({
          type: 'batch',
          epoch: 0,
          batch: done++,
          steps: runs,
          metrics: { [`${method}@${shots}`]: rows.at(-1)!.testAccuracy },
        });
      }
      tf.dispose([few.x, few.y, val.x, val.y]);
    }
  }
  progress.emit({ type: 'end' });
  tf.dispose([test.x, test.y]);
  return { rows, curves, pretrain };
}
