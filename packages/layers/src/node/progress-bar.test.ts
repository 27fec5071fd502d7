import { cpuBackend } from '@plasticity/backend-cpu';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import { SGD } from '@plasticity/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { Callback, Dense, Sequential, type History } from '../index.js';
import { ProgressBar } from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

function capture(tty: boolean): { stream: PassThrough & { isTTY?: boolean }; text: () => string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  let out = '';
  stream.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  if (tty) {
    Object.assign(stream, {
      isTTY: true,
      columns: 120,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      clearScreenDown: () => true,
    });
  }
  return { stream, text: () => out };
}

async function train(bar: ProgressBar, epochs = 2): Promise<History> {
  const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [2] })] });
  model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });
  const x = tf.randomNormal([12, 2], 0, 1, 'float32', 5);
  const y = tf.sum(x, 1, true);
  return model.fit(x, y, { epochs, batchSize: 4, callbacks: [bar] });
}

class StopAfterSecondEpoch extends Callback {
  override onEpochEnd(epoch: number): void {
    if (epoch === 1) this.model!.stopTraining = true;
  }
}

describe('ProgressBar', () => {
  it('prints each epoch with its loss and metrics to a stream that is not a terminal', async () => {
    const { stream, text } = capture(false);
    const history = await train(new ProgressBar({ stream }));
    const lines = text().trimEnd().split('\n');
    const f = (v: number): string => v.toFixed(4);
    expect(lines).toEqual([
      `fit epoch 1/2 loss=${f(history.history['loss']![0]!)} mae=${f(history.history['mae']![0]!)}`,
      `fit epoch 2/2 loss=${f(history.history['loss']![1]!)} mae=${f(history.history['mae']![1]!)}`,
      `fit done loss=${f(history.history['loss']![1]!)} mae=${f(history.history['mae']![1]!)}`,
    ]);
  });

  it('draws a bar with the batch count of each epoch on a terminal, and says when training stopped early', async () => {
    const { stream, text } = capture(true);
    const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [2] })] });
    model.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'mse' });
    const x = tf.randomNormal([12, 2], 0, 1, 'float32', 6);
    await model.fit(x, tf.sum(x, 1, true), {
      epochs: 5,
      batchSize: 4,
      callbacks: [new StopAfterSecondEpoch(), new ProgressBar({ stream, label: 'train' })],
    });
    const out = text();
    expect(out).toMatch(/train epoch 1\/5 \|[█░]+\| \d\/3 loss=\d+\.\d{4}/);
    expect(out).toContain('train epoch 2/5 loss=');
    expect(out).not.toContain('train epoch 3/5 loss=');
    expect(out).toContain('train stopped early');
  });
});
