/**
 * The quickstart: fit a small multilayer perceptron to a seeded synthetic regression task on the
 * default backend, reporting progress through core's training events.
 *
 * Target: y = sin(2·x₀) + x₁² − 0.5·x₂ + noise, with x uniform on [-1, 1]³.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ProgressEmitter,
  createRng,
  registerBackendPlugin,
  randomTensor,
  useBackend,
  type BackendChoice,
  type BackendSpec,
  type TrainingListener,
} from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { wasmBackend, type WasmBackendOptions } from '@plasticity/backend-wasm';

export interface QuickstartOptions {
  backend?: BackendSpec;
  wasm?: WasmBackendOptions;
  epochs?: number;
  batchSize?: number;
  samples?: number;
  hidden?: number;
  learningRate?: number;
  seed?: number;
  /** Called once the backend is chosen, before training. */
  onBackend?: (choice: BackendChoice) => void;
  /** Receives begin / batch / epoch / end events. */
  onEvent?: TrainingListener;
}

export interface QuickstartResult extends BackendChoice {
  /** Mean training loss of each epoch. */
  losses: number[];
  /** Loss on held-out data before and after training. */
  testLossBefore: number;
  testLossAfter: number;
}

function makeData(n: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const rng = createRng(seed);
  const xs = new Float32Array(n * 3);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.uniform(-1, 1);
    const b = rng.uniform(-1, 1);
    const c = rng.uniform(-1, 1);
    xs.set([a, b, c], i * 3);
    ys[i] = Math.sin(2 * a) + b * b - 0.5 * c + rng.normal(0, 0.05);
  }
  return { x: tf.tensor2d(xs, [n, 3]), y: tf.tensor2d(ys, [n, 1]) };
}

/** Trains the quickstart model; disposes every tensor it made before returning. */
export async function trainQuickstart(options: QuickstartOptions = {}): Promise<QuickstartResult> {
  const epochs = options.epochs ?? 20;
  const batchSize = options.batchSize ?? 64;
  const samples = options.samples ?? 2048;
  const hidden = options.hidden ?? 32;
  const seed = options.seed ?? 42;
  registerBackendPlugin(wasmBackend);
  registerBackendPlugin(cpuBackend);
  const choice = await useBackend(options.backend ?? 'auto', { options: { wasm: options.wasm } });
  options.onBackend?.(choice);

  const progress = new ProgressEmitter();
  if (options.onEvent !== undefined) progress.on(options.onEvent);

  const rng = createRng(seed);
  const train = makeData(samples, seed + 1);
  const test = makeData(512, seed + 2);
  // tf.variable keeps its initial tensor alive; creating it inside tidy disposes that copy.
  const variable = (make: () => tf.Tensor, name: string): tf.Variable => tf.tidy(() => tf.variable(make(), true, name));
  const params = {
    w1: variable(() => randomTensor([3, hidden], rng, { distribution: 'normal', std: Math.sqrt(2 / 3) }), 'w1'),
    b1: variable(() => tf.zeros([hidden]), 'b1'),
    w2: variable(() => randomTensor([hidden, 1], rng, { distribution: 'normal', std: Math.sqrt(1 / hidden) }), 'w2'),
    b2: variable(() => tf.zeros([1]), 'b2'),
  };
  const predict = (x: tf.Tensor2D): tf.Tensor2D =>
    tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, params.w1), params.b1)), params.w2), params.b2);
  const mse = (x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar => tf.mean(tf.squaredDifference(predict(x), y));
  const evaluate = (): number => tf.tidy(() => mse(test.x, test.y).dataSync()[0]!);
  const optimizer = tf.train.adam(options.learningRate ?? 0.01);

  const steps = Math.ceil(samples / batchSize);
  const losses: number[] = [];
  const testLossBefore = evaluate();
  progress.emit({ type: 'begin', label: 'quickstart', epochs, steps });
  const shuffler = rng.fork();
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = tf.tensor1d(Int32Array.from(shuffler.permutation(samples)), 'int32');
    let total = 0;
    for (let step = 0; step < steps; step++) {
      const size = Math.min(batchSize, samples - step * batchSize);
      const loss = tf.tidy(() => {
        const idx = tf.slice(order, step * batchSize, size);
        const xb = tf.gather(train.x, idx) as tf.Tensor2D;
        const yb = tf.gather(train.y, idx) as tf.Tensor2D;
        return optimizer.minimize(() => mse(xb, yb), true)!;
      });
      const value = (await loss.data())[0]!;
      loss.dispose();
      total += value * size;
      progress.emit({ type: 'batch', epoch, batch: step, steps, metrics: { loss: value } });
    }
    order.dispose();
    losses.push(total / samples);
    progress.emit({ type: 'epoch', epoch, epochs, metrics: { loss: total / samples } });
  }
  const testLossAfter = evaluate();
  progress.emit({ type: 'end', metrics: { loss: losses.at(-1)!, test_loss: testLossAfter } });

  optimizer.dispose();
  tf.dispose([train.x, train.y, test.x, test.y, ...Object.values(params)]);
  return { ...choice, losses, testLossBefore, testLossAfter };
}
