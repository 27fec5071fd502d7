import * as tf from '@tensorflow/tfjs-core';
import { ValueError, registerBackendPlugin, useBackend, type TrainingEvent } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { expectNoTensorLeaks } from '@plasticity/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeMoons } from './data.js';
import { DEFAULT_TRAIN_OPTIONS, buildModel, train, type EpochReport } from './train.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

const SHORT = { ...DEFAULT_TRAIN_OPTIONS, samples: 200, batchSize: 50, epochs: 8, learningRate: 0.05, resolution: 8 };

/** Binary cross-entropy, computed here from the model's probabilities. */
async function bceByHand(options: typeof SHORT): Promise<number> {
  const data = makeMoons({ samples: options.samples, noise: options.noise, seed: options.seed });
  const model = buildModel(options.hidden, options.seed);
  const x = tf.tensor2d(data.x, [options.samples, 2]);
  const out = model.predict(x) as tf.Tensor;
  const p = await out.data();
  tf.dispose([x, out]);
  model.dispose();
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(Math.max(p[i]!, 1e-7), 1 - 1e-7);
    sum += data.labels[i] === 1 ? -Math.log(q) : -Math.log(1 - q);
  }
  return sum / p.length;
}

describe('train', () => {
  it('learns the moons: the loss ends far below chance (ln 2) and below half its start', async () => {
    const reports: EpochReport[] = [];
    const events: TrainingEvent['type'][] = [];
    const result = await train({
      ...SHORT,
      onEpoch: (r) => {
        reports.push(r);
      },
      onEvent: (e) => events.push(e.type),
    });
    // The initial loss is the binary cross-entropy of the untrained (seeded) model.
    expect(result.initialLoss).toBeCloseTo(await bceByHand(SHORT), 4);
    expect(result.finalLoss).toBeLessThan(0.5 * result.initialLoss);
    expect(result.finalLoss).toBeLessThan(0.5 * Math.LN2);
    expect(result.finalAccuracy).toBeGreaterThan(0.8);
    expect(result).toMatchObject({ epochsRun: 8, stopped: false });
    expect(reports.map((r) => r.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const r of reports) {
      expect(r.epochs).toBe(8);
      expect(r.probabilities).toHaveLength(64);
      expect(r.stepMs).toBeGreaterThan(0);
      for (const p of r.probabilities) expect(p >= 0 && p <= 1).toBe(true);
    }
    expect(events[0]).toBe('begin');
    expect(events.filter((t) => t === 'batch')).toHaveLength(8 * 4);
    expect(events.at(-1)).toBe('end');
  });

  it('is reproducible: the same options give the same losses', async () => {
    const a = await train({ ...SHORT, epochs: 2 });
    const b = await train({ ...SHORT, epochs: 2 });
    expect(b.finalLoss).toBe(a.finalLoss);
    expect(b.initialLoss).toBe(a.initialLoss);
  });

  it('stops after the current batch when aborted, and reports the epochs run', async () => {
    const controller = new AbortController();
    const result = await train({
      ...SHORT,
      epochs: 1000,
      signal: controller.signal,
      onEpoch: (r) => {
        if (r.epoch === 3) controller.abort();
      },
    });
    expect(result).toMatchObject({ epochsRun: 3, stopped: true });
  });

  it('leaks no tensors, whether it finishes or fails', async () => {
    await train({ ...SHORT, epochs: 1 }); // first use of each kernel
    await expectNoTensorLeaks(async () => {
      await train({ ...SHORT, epochs: 2 });
      await expect(
        train({
          ...SHORT,
          onEpoch: () => {
            throw new Error('the page failed to draw');
          },
        }),
      ).rejects.toThrow('the page failed to draw');
    });
  });

  it('rejects bad options with the value and the fix', async () => {
    await expect(train({ ...SHORT, epochs: 0 })).rejects.toThrow(/epochs must be an integer >= 1; got 0/);
    await expect(train({ ...SHORT, batchSize: 2.5 })).rejects.toThrow(ValueError);
    await expect(train({ ...SHORT, hidden: -1 })).rejects.toThrow(/hidden must be an integer >= 1/);
    await expect(train({ ...SHORT, learningRate: 0 })).rejects.toThrow(/learningRate must be a number > 0; got 0/);
    await expect(train({ ...SHORT, resolution: -2 })).rejects.toThrow(/resolution must be an integer >= 0/);
    await expect(train({ ...SHORT, samples: 1 })).rejects.toThrow(/samples must be an integer >= 2/);
  });
});
