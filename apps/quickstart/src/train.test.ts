import * as tf from '@tensorflow/tfjs-core';
import { expectNoTensorLeaks } from '@plasticity/test-utils';
import { describe, expect, it } from 'vitest';
import { trainQuickstart } from './train.js';

describe('trainQuickstart', () => {
  it('learns the synthetic target on cpu and wasm, leaking no tensors', async () => {
    for (const backend of ['cpu', 'wasm']) {
      const events: string[] = [];
      const result = await trainQuickstart({ backend, epochs: 8, samples: 512, onEvent: (e) => events.push(e.type) });
      expect(result.backend).toBe(backend);
      expect(tf.getBackend()).toBe(backend);
      // The untrained model is far off (the target's variance is about 0.9); trained, it is close.
      expect(result.testLossBefore).toBeGreaterThan(0.3);
      expect(result.testLossAfter).toBeLessThan(result.testLossBefore / 5);
      expect(result.losses.at(-1)!).toBeLessThan(result.losses[0]!);
      expect(events.filter((t) => t === 'epoch')).toHaveLength(8);
      expect(events[0]).toBe('begin');
      expect(events.at(-1)).toBe('end');
    }
    await expectNoTensorLeaks(() => trainQuickstart({ backend: 'wasm', epochs: 2, samples: 256 }));
  });

  it('gives the same losses for the same seed on cpu and wasm', async () => {
    const cpu = await trainQuickstart({ backend: 'cpu', epochs: 3, samples: 256, seed: 7 });
    const wasm = await trainQuickstart({ backend: 'wasm', epochs: 3, samples: 256, seed: 7 });
    // Same seeded data and initial weights; kernels differ only in float32 rounding.
    cpu.losses.forEach((loss, i) => expect(wasm.losses[i]).toBeCloseTo(loss, 4));
  });
});
