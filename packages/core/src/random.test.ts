import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ValueError } from './errors.js';
import { randomTensor } from './random.js';
import { createRng } from './rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('randomTensor', () => {
  it('holds exactly the generator draws, rounded to float32', () => {
    const t = randomTensor([3, 4], createRng(11), { distribution: 'normal', mean: 1, std: 0.5 });
    const rng = createRng(11);
    const expected = Float32Array.from({ length: 12 }, () => rng.normal(1, 0.5));
    expect(t.shape).toEqual([3, 4]);
    expect(t.dtype).toBe('float32');
    expect(t.dataSync()).toEqual(expected);
    t.dispose();
  });

  it('draws uniforms within [min, max) and truncated normals within two std', () => {
    tf.tidy(() => {
      const u = randomTensor([1000], createRng(12), { min: -2, max: 3 });
      expect(tf.min(u).dataSync()[0]).toBeGreaterThanOrEqual(-2);
      expect(tf.max(u).dataSync()[0]).toBeLessThan(3);
      const z = randomTensor([1000], createRng(13), { distribution: 'truncatedNormal', std: 0.1 });
      expect(tf.max(tf.abs(z)).dataSync()[0]).toBeLessThanOrEqual(0.2 + 1e-7);
    });
  });

  it('rejects bad shapes and parameters', () => {
    const rng = createRng(1);
    expect(() => randomTensor([2, -1], rng)).toThrow(ValueError);
    expect(() => randomTensor([2], rng, { min: 1, max: 1 })).toThrow(/max > min/);
    expect(() => randomTensor([2], rng, { distribution: 'normal', std: Number.NaN })).toThrow(/std must be finite/);
    expect(() => randomTensor([2], rng, { distribution: 'gamma' as never })).toThrow(/Unknown distribution "gamma"/);
  });
});
