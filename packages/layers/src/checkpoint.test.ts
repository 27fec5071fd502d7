import { cpuBackend } from '@plasticity/backend-cpu';
import {
  ArtifactError,
  ShapeError,
  ValueError,
  memoryIO,
  registerBackendPlugin,
  registerMemoryRouter,
  useBackend,
} from '@plasticity/core';
import { registerFileRouter } from '@plasticity/core/node';
import { SGD } from '@plasticity/optimizers';
import { expectTensorsClose } from '@plasticity/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  Dense,
  ModelCheckpoint,
  Sequential,
  formatCheckpointPath,
  loadModel,
  loadWeights,
  saveWeights,
  type Model,
} from './index.js';

let dir: string;
beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
  registerMemoryRouter();
  registerFileRouter();
  dir = await mkdtemp(join(tmpdir(), 'plasticity-ckpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function tiny(): Sequential {
  return new Sequential({
    layers: [new Dense({ units: 2, inputShape: [3], name: 'hidden' }), new Dense({ units: 1, name: 'out' })],
  });
}

/** Sets every weight of the model to `value`, so a checkpoint's contents tell which epoch wrote it. */
function fill(model: Model, value: number): void {
  model.setWeights(model.weights.map((w) => tf.fill([...w.shape], value)));
}

async function savedValue(url: string): Promise<number> {
  const model = await loadModel(url);
  const value = model.weights[0]!.dataSync()[0]!;
  model.dispose();
  return value;
}

describe('formatCheckpointPath', () => {
  it('fills placeholders with Python format specs', () => {
    const logs = { epoch: 7, batch: 3, val_loss: 0.123456, loss: 0.0015, acc: -2.5 };
    expect(formatCheckpointPath('ckpt-{epoch}', logs)).toBe('ckpt-7');
    expect(formatCheckpointPath('ckpt-{epoch:03d}-{batch:02d}', logs)).toBe('ckpt-007-03');
    expect(formatCheckpointPath('{val_loss:.4f}', logs)).toBe('0.1235');
    expect(formatCheckpointPath('{loss:.2e}', logs)).toBe('1.50e-03');
    expect(formatCheckpointPath('{acc:06.2f}|{epoch:4d}', logs)).toBe('-02.50|   7');
  });

  it('names a placeholder that is not in the logs, and an unsupported spec', () => {
    expect(() => formatCheckpointPath('m-{val_acc}', { loss: 1 })).toThrow(ValueError);
    expect(() => formatCheckpointPath('m-{val_acc}', { loss: 1 })).toThrow(/\{val_acc\}, which is not in the logs/);
    expect(() => formatCheckpointPath('m-{loss:x}', { loss: 1 })).toThrow(/unsupported format spec ":x"/);
  });
});

describe('ModelCheckpoint', () => {
  it('with saveBestOnly saves exactly the epochs where the monitored value improves', async () => {
    const model = tiny();
    const cb = new ModelCheckpoint({ filepath: 'memory://best-{epoch:02d}-{val_loss:.2f}', saveBestOnly: true });
    cb.setModel(model);
    const valLoss = [0.5, 0.4, 0.45, 0.3, 0.3, 0.35, 0.29];
    await cb.onTrainBegin();
    for (let epoch = 0; epoch < valLoss.length; epoch++) {
      fill(model, epoch + 1);
      await cb.onEpochBegin(epoch);
      await cb.onEpochEnd(epoch, { loss: 1, val_loss: valLoss[epoch]! });
    }
    // Improvements (strict, as Keras): 0.5, 0.4, 0.3, 0.29 — not the repeated 0.3.
    expect(cb.saved).toEqual([
      'memory://best-01-0.50',
      'memory://best-02-0.40',
      'memory://best-04-0.30',
      'memory://best-07-0.29',
    ]);
    expect(cb.best).toBe(0.29);
    expect(await savedValue('memory://best-04-0.30')).toBe(4);
    expect(await savedValue('memory://best-07-0.29')).toBe(7);
  });

  it("maximizes accuracy-like metrics in 'auto' mode and obeys an explicit mode", async () => {
    const model = tiny();
    const auto = new ModelCheckpoint({ filepath: 'memory://acc-{epoch}', monitor: 'val_acc', saveBestOnly: true });
    const min = new ModelCheckpoint({
      filepath: 'memory://minacc-{epoch}',
      monitor: 'val_acc',
      mode: 'min',
      saveBestOnly: true,
    });
    const acc = [0.1, 0.3, 0.2, 0.5];
    for (const cb of [auto, min]) {
      cb.setModel(model);
      for (let epoch = 0; epoch < acc.length; epoch++) await cb.onEpochEnd(epoch, { val_acc: acc[epoch]! });
    }
    expect(auto.saved).toEqual(['memory://acc-1', 'memory://acc-2', 'memory://acc-4']);
    expect(min.saved).toEqual(['memory://minacc-1']);
  });

  it('skips with a warning when the monitored value is missing', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const cb = new ModelCheckpoint({ filepath: 'memory://nomon-{epoch}', saveBestOnly: true });
    cb.setModel(tiny());
    await cb.onEpochEnd(0, { loss: 0.1 });
    expect(cb.saved).toEqual([]);
    expect(warn.mock.calls[0]![0]).toContain('metric "val_loss" is not in the logs');
    warn.mockRestore();
  });

  it('saves every epoch of fit to file:// directories that load back as the trained model', async () => {
    const model = tiny();
    model.compile({ optimizer: new SGD({ learningRate: 0.05 }), loss: 'mse' });
    const x = tf.randomNormal([20, 3], 0, 1, 'float32', 1);
    const y = tf.sum(x, 1, true);
    const cb = new ModelCheckpoint({ filepath: `file://${dir}/fit-epoch-{epoch}` });
    await model.fit(x, y, { epochs: 3, batchSize: 5, validationSplit: 0.25, callbacks: [cb] });
    expect(cb.saved).toEqual([1, 2, 3].map((e) => `file://${dir}/fit-epoch-${e}`));
    expect((await readdir(dir)).filter((d) => d.startsWith('fit-epoch-')).sort()).toEqual([
      'fit-epoch-1',
      'fit-epoch-2',
      'fit-epoch-3',
    ]);
    const last = await loadModel(`file://${dir}/fit-epoch-3`);
    expectTensorsClose(last.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, { rtol: 0, atol: 0 });
    expect(last.optimizer?.iterations).toBe(model.optimizer?.iterations);
    const first = await loadModel(`file://${dir}/fit-epoch-1`);
    expect(first.optimizer?.iterations).toBe(3); // 15 training samples / 5 per batch after epoch 1
  });

  it('saves every N batches with {batch} in the path', async () => {
    const model = tiny();
    model.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss: 'mse' });
    const x = tf.randomNormal([10, 3], 0, 1, 'float32', 2);
    const y = tf.sum(x, 1, true);
    const cb = new ModelCheckpoint({ filepath: 'memory://freq-{epoch}-{batch}', saveFreq: 3, monitor: 'loss' });
    await model.fit(x, y, { epochs: 2, batchSize: 2, callbacks: [cb] });
    // 5 batches per epoch: global batches 3, 6 and 9 are epoch 1 batch 3, epoch 2 batch 1, epoch 2 batch 4.
    expect(cb.saved).toEqual(['memory://freq-1-3', 'memory://freq-2-1', 'memory://freq-2-4']);
  });

  it('with saveWeightsOnly writes weights that loadWeights restores into a fresh model', async () => {
    const model = tiny();
    const cb = new ModelCheckpoint({ filepath: 'memory://weights-{epoch}', saveWeightsOnly: true });
    cb.setModel(model);
    await cb.onEpochEnd(0, { loss: 1 });
    const other = tiny();
    const x = tf.randomNormal([4, 3]);
    await loadWeights(other, 'memory://weights-1');
    expectTensorsClose(other.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, { rtol: 0, atol: 0 });
    await expect(loadModel('memory://weights-1')).rejects.toThrow(/loadWeights\(model, source\)/);
  });

  it('rejects bad options with typed errors naming them', () => {
    expect(() => new ModelCheckpoint({ filepath: '' })).toThrow(ValueError);
    expect(() => new ModelCheckpoint({ filepath: 'memory://m', saveFreq: 0 })).toThrow(/saveFreq must be 'epoch'/);
    expect(() => new ModelCheckpoint({ filepath: 'memory://m', mode: 'best' as never })).toThrow(/mode must be/);
  });
});

describe('loadWeights', () => {
  it('names the layer and weight on a missing weight or a shape mismatch, and leaves the model untouched', async () => {
    const model = tiny();
    await saveWeights(model, memoryIO('w-small'));
    const wide = new Sequential({
      layers: [new Dense({ units: 4, inputShape: [3], name: 'hidden' }), new Dense({ units: 1, name: 'out' })],
    });
    const before = wide.getWeights();
    const e = await loadWeights(wide, memoryIO('w-small')).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ShapeError);
    expect((e as Error).message).toContain('Layer "hidden": saved weight "hidden/kernel" has shape [3,2]');
    wide.getWeights().forEach((w, i) => expectTensorsClose(w, before[i]!, { rtol: 0, atol: 0 }));

    const deeper = new Sequential({
      layers: [
        new Dense({ units: 2, inputShape: [3], name: 'hidden' }),
        new Dense({ units: 1, name: 'out' }),
        new Dense({ units: 1, name: 'extra' }),
      ],
    });
    const e2 = await loadWeights(deeper, memoryIO('w-small')).catch((err: unknown) => err);
    expect(e2).toBeInstanceOf(ArtifactError);
    expect((e2 as Error).message).toContain('weight "extra/kernel" of layer "extra" is missing');
  });
});
