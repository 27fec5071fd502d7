/**
 * The GAN example trains through `fit` with an overridden `trainStep`: it must learn the target
 * distribution, and its named logs must reach History, callbacks and the progress events.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingEvent } from '@plasticity/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from './setup.js';
import { TARGET_MEAN, TARGET_STD, main as gan } from './gan.js';

beforeAll(async () => {
  await setup({}); // the examples' default backend (wasm)
});

describe('the GAN example (a custom trainStep)', () => {
  it('matches the target mean and spread, with d_loss and g_loss in every log', async () => {
    const events: TrainingEvent[] = [];
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    const r = await gan({ onEvent: (e) => events.push(e), log: (l) => lines.push(l) });
    expect(tf.memory().numTensors).toBe(before);
    // The generator starts near N(0, small); learning moves it to N(4, 1.25²).
    expect(Math.abs(r.mean - TARGET_MEAN)).toBeLessThan(0.3);
    expect(Math.abs(r.std - TARGET_STD)).toBeLessThan(0.4);
    // History: one value per epoch of each named log, and nothing else.
    expect(Object.keys(r.history).sort()).toEqual(['d_loss', 'g_loss']);
    expect(r.history['d_loss']).toHaveLength(15);
    // A discriminator that cannot tell real from fake sits near 2·ln 2 (two BCE terms at p = ½).
    expect(r.dLoss).toBeGreaterThan(0.8);
    expect(r.dLoss).toBeLessThan(2);
    // The callback printed its lines from the same logs; the events carry them too.
    expect(lines.filter((l) => /^epoch \d+: d_loss \d/.test(l))).toHaveLength(15);
    expect(events[0]).toEqual({ type: 'begin', label: 'fit', epochs: 15 });
    const batch = events.find((e) => e.type === 'batch');
    expect(batch?.type === 'batch' && Object.keys(batch.metrics)).toEqual(['d_loss', 'g_loss']);
    expect(events.at(-1)!.type).toBe('end');
  }, 120_000);
});
