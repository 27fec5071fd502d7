// A checkpoint save that fails part-way (simulated by making fs.rename fail, the step that makes a
// written file visible) must leave the previous checkpoint loadable, with the previous weights.
import { cpuBackend } from '@plasticity/backend-cpu';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import { registerFileRouter } from '@plasticity/core/node';
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs/promises';
import type * as FsPromises from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Dense, ModelCheckpoint, Sequential, loadModel } from './index.js';

/** When set, `rename` to a path matching it fails once with ENOSPC. */
const failure: { target: RegExp | undefined } = { target: undefined };

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const rename = async (from: string, to: string): Promise<void> => {
    if (failure.target?.test(String(to))) {
      failure.target = undefined;
      throw Object.assign(new Error(`ENOSPC: no space left on device, rename '${from}' -> '${to}'`), {
        code: 'ENOSPC',
      });
    }
    return real.rename(from, to);
  };
  return { ...real, rename, default: { ...real, rename } };
});

let dir: string;
beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
  registerFileRouter();
  dir = await fs.mkdtemp(join(tmpdir(), 'plasticity-atomic-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function fill(model: Sequential, value: number): void {
  model.setWeights(model.weights.map((w) => tf.fill([...w.shape], value)));
}

describe('ModelCheckpoint with a failing save', () => {
  for (const [what, target] of [
    ['model.json', /model\.json$/],
    ['a weight shard', /\.bin$/],
  ] as const) {
    it(`keeps the previous checkpoint when writing ${what} fails`, async () => {
      const path = join(dir, what.replace(/\W/g, '_'));
      const model = new Sequential({ layers: [new Dense({ units: 3, inputShape: [2] })] });
      const cb = new ModelCheckpoint({ filepath: `file://${path}`, saveBestOnly: true });
      cb.setModel(model);
      fill(model, 1);
      await cb.onEpochEnd(0, { val_loss: 0.5 });

      fill(model, 2);
      failure.target = target;
      await expect(cb.onEpochEnd(1, { val_loss: 0.4 })).rejects.toThrow(/ENOSPC/);
      expect(failure.target).toBeUndefined(); // the failure was hit

      const loaded = await loadModel(`file://${path}`);
      expect(Array.from(loaded.weights[0]!.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
      const files = await fs.readdir(path);
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(cb.saved).toEqual([`file://${path}`]);

      // The next save succeeds and replaces it.
      fill(model, 3);
      await cb.onEpochEnd(2, { val_loss: 0.3 });
      const next = await loadModel(`file://${path}`);
      expect(next.weights[0]!.dataSync()[0]).toBe(3);
    });
  }
});
