/**
 * Optimizer step time on a 1M-parameter model (a 1000×1000 kernel and a 1000 bias), ours vs the
 * matching `tf.train` optimizer on the same backend, in one process. Prints JSON on stdout.
 *
 * Usage: node dist/optimizers-child.js <backend>
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { wasmBackend } from '@plasticity/backend-wasm';
import {
  Adadelta,
  Adagrad,
  Adam,
  AdamW,
  Adamax,
  Lamb,
  Lion,
  Nadam,
  RMSprop,
  SGD,
  type Optimizer,
  type OptimizerConfig,
} from '@plasticity/optimizers';

export interface OptimizerRow {
  name: string;
  /** Default configuration: gradients checked for NaN/Infinity every step. */
  oursMs: number;
  /** With `nonFinite: 'ignore'`, which does what tf.train does (no check). */
  oursUncheckedMs: number;
  tfjsMs: number | null;
}

const backend = process.argv[2] ?? 'wasm';
registerBackendPlugin(wasmBackend);
registerBackendPlugin(cpuBackend);
await useBackend(backend);

const rng = createRng(5);
const kernel = tf.variable(
  randomTensor([1000, 1000], rng, { distribution: 'normal', std: 0.01 }),
  true,
  'bench/kernel',
);
// The bias variable is looked up by name when its gradient is applied.
tf.variable(tf.zeros([1000]), true, 'bench/bias');
const gradients = {
  'bench/kernel': randomTensor([1000, 1000], rng, { distribution: 'normal', std: 0.01 }),
  'bench/bias': randomTensor([1000], rng, { distribution: 'normal', std: 0.01 }),
};
const reps = backend === 'cpu' ? 5 : 20;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function sync(): void {
  kernel.dataSync(); // wait for the update (a no-op cost on synchronous backends)
}

function timeSteps(step: () => void): number {
  for (let i = 0; i < 3; i++) step();
  sync();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    step();
    sync();
    times.push(performance.now() - start);
  }
  return median(times);
}

function ours(make: () => Optimizer): number {
  const optimizer = make();
  const ms = timeSteps(() => optimizer.applyGradients(gradients));
  optimizer.dispose();
  return ms;
}

function theirs(make: () => tf.Optimizer): number {
  const optimizer = make();
  const list = [
    { name: 'bench/kernel', tensor: gradients['bench/kernel'] },
    { name: 'bench/bias', tensor: gradients['bench/bias'] },
  ];
  const ms = timeSteps(() => optimizer.applyGradients(list));
  optimizer.dispose();
  return ms;
}

const rows: OptimizerRow[] = [];
const pairs: [string, (config: OptimizerConfig) => Optimizer, (() => tf.Optimizer) | null][] = [
  ['SGD', (c) => new SGD({ ...c, learningRate: 0.01 }), () => tf.train.sgd(0.01)],
  ['SGD momentum', (c) => new SGD({ ...c, learningRate: 0.01, momentum: 0.9 }), () => tf.train.momentum(0.01, 0.9)],
  ['Adam', (c) => new Adam({ ...c, learningRate: 0.001 }), () => tf.train.adam(0.001)],
  ['Adamax', (c) => new Adamax({ ...c, learningRate: 0.002 }), () => tf.train.adamax(0.002)],
  ['RMSprop', (c) => new RMSprop({ ...c, learningRate: 0.001 }), () => tf.train.rmsprop(0.001, 0.9)],
  [
    'RMSprop centered + momentum',
    (c) => new RMSprop({ ...c, learningRate: 0.001, centered: true, momentum: 0.9 }),
    () => tf.train.rmsprop(0.001, 0.9, 0.9, 1e-8, true),
  ],
  ['Adagrad', (c) => new Adagrad({ ...c, learningRate: 0.01 }), () => tf.train.adagrad(0.01)],
  ['Adadelta', (c) => new Adadelta({ ...c, learningRate: 1 }), () => tf.train.adadelta(1)],
  ['AdamW', (c) => new AdamW({ ...c, learningRate: 0.001 }), null],
  ['Nadam', (c) => new Nadam({ ...c, learningRate: 0.002 }), null],
  ['Lion', (c) => new Lion({ ...c, learningRate: 1e-4 }), null],
  ['Lamb', (c) => new Lamb({ ...c, learningRate: 0.001 }), null],
];
for (const [name, make, reference] of pairs) {
  rows.push({
    name,
    oursMs: ours(() => make({})),
    oursUncheckedMs: ours(() => make({ nonFinite: 'ignore' })),
    tfjsMs: reference === null ? null : theirs(reference),
  });
}
process.stdout.write(JSON.stringify({ backend, rows }));
