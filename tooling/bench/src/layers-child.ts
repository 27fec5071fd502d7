/**
 * One training step (forward, backward, Adam update) of an MLP 784-256-128-10 (batch 128) and of
 * a small CNN (two conv layers + dense, batch 64) and of an LSTM (64 units, 20 steps, batch 32), ours vs @tensorflow/tfjs-layers on the same
 * backend, in one process. tfjs-layers is also timed on the stock tfjs-backend-wasm kernels where our
 * plugin replaces working ones (matMul with transposes, Identity, Conv2DBackpropInput); the kernels
 * stock wasm lacks (Conv2DBackpropFilter) or gets wrong (MaxPoolGrad) stay ours, so that column is a
 * lower bound of the stock time. Prints JSON on stdout.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import {
  setExplicitTransposeMatMul,
  setSharedIdentity,
  setStockConv2DBackpropInput,
  wasmBackend,
} from '@plasticity/backend-wasm';
import { Conv2D, Dense, Flatten, LSTM, MaxPooling2D, Sequential } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';

export interface StepRow {
  model: string;
  oursMs: number;
  tfjsLayersMs: number;
  tfjsLayersStockWasmMs: number;
}

registerBackendPlugin(wasmBackend);
await useBackend('wasm');

/** Stock tfjs-backend-wasm kernels (true) or the plugin's replacements (false). */
function stockKernels(stock: boolean): void {
  setExplicitTransposeMatMul(!stock);
  setSharedIdentity(!stock);
  setStockConv2DBackpropInput(stock);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Medians of ours, tfjs-layers and tfjs-layers on the stock kernels, one step of each in turn per
 * repetition, so that all three see the same machine conditions (the 2-core machines are noisy).
 */
async function timeInTurn(
  ours: () => unknown | Promise<unknown>,
  theirs: () => unknown | Promise<unknown>,
  reps: number,
): Promise<{ oursMs: number; tfjsLayersMs: number; tfjsLayersStockWasmMs: number }> {
  const time = async (step: () => unknown | Promise<unknown>): Promise<number> => {
    const start = performance.now();
    await step();
    return performance.now() - start;
  };
  const stock = async (): Promise<number> => {
    stockKernels(true);
    try {
      return await time(theirs);
    } finally {
      stockKernels(false);
    }
  };
  for (let i = 0; i < 3; i++) {
    await time(ours);
    await time(theirs);
    await stock();
  }
  const o: number[] = [];
  const t: number[] = [];
  const st: number[] = [];
  for (let i = 0; i < reps; i++) {
    o.push(await time(ours));
    t.push(await time(theirs));
    st.push(await stock());
  }
  return { oursMs: median(o), tfjsLayersMs: median(t), tfjsLayersStockWasmMs: median(st) };
}

const rng = createRng(9);
const onehot = (n: number): tf.Tensor =>
  tf.oneHot(
    tf.tensor1d(
      Array.from({ length: n }, () => rng.int(10)),
      'int32',
    ),
    10,
  );

async function mlp(): Promise<StepRow> {
  const x = randomTensor([128, 784], rng);
  const y = onehot(128);
  const ours = new Sequential({
    layers: [
      new Dense({ units: 256, activation: 'relu', inputShape: [784] }),
      new Dense({ units: 128, activation: 'relu' }),
      new Dense({ units: 10, activation: 'softmax' }),
    ],
  });
  ours.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy' });
  const theirs = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 256, activation: 'relu', inputShape: [784] }),
      tfl.layers.dense({ units: 128, activation: 'relu' }),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  theirs.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return {
    model: 'MLP 784-256-128-10, batch 128',
    ...(await timeInTurn(
      () => ours.trainOnBatch(x, y),
      () => theirs.trainOnBatch(x, y),
      21,
    )),
  };
}

async function cnn(): Promise<StepRow> {
  const x = randomTensor([64, 28, 28, 1], rng);
  const y = onehot(64);
  const ours = new Sequential({
    layers: [
      new Conv2D({ filters: 16, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      new MaxPooling2D({ poolSize: 2 }),
      new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu' }),
      new MaxPooling2D({ poolSize: 2 }),
      new Flatten(),
      new Dense({ units: 10, activation: 'softmax' }),
    ],
  });
  ours.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy' });
  const theirs = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  theirs.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return {
    model: 'CNN conv16-pool-conv32-pool-dense10, batch 64',
    ...(await timeInTurn(
      () => ours.trainOnBatch(x, y),
      () => theirs.trainOnBatch(x, y),
      11,
    )),
  };
}

async function lstm(): Promise<StepRow> {
  const x = randomTensor([32, 20, 16], rng);
  const y = onehot(32);
  const ours = new Sequential({
    layers: [
      new LSTM({ units: 64, recurrentActivation: 'sigmoid', inputShape: [20, 16] }),
      new Dense({ units: 10, activation: 'softmax' }),
    ],
  });
  ours.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy' });
  const theirs = tfl.sequential({
    layers: [
      tfl.layers.lstm({ units: 64, recurrentActivation: 'sigmoid', inputShape: [20, 16] }),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  theirs.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return {
    model: 'LSTM 64 units, 20 steps × 16 features, batch 32',
    ...(await timeInTurn(
      () => ours.trainOnBatch(x, y),
      () => theirs.trainOnBatch(x, y),
      11,
    )),
  };
}

process.stdout.write(JSON.stringify({ rows: [await mlp(), await cnn(), await lstm()] }));
