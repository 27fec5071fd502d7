import { cpuBackend } from '@plasticity/backend-cpu';
import {
  ArtifactError,
  ValueError,
  createRng,
  randomTensor,
  registerBackendPlugin,
  useBackend,
} from '@plasticity/core';
import { Dense, Sequential } from '@plasticity/layers';
import { expectTensorsClose } from '@plasticity/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryFeatureCache, extractFeatures, featureKey } from './index.js';
import { DiskFeatureCache } from './node.js';

let dir: string;
beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'plasticity-features-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function base(): Sequential {
  return new Sequential({ layers: [new Dense({ units: 5, activation: 'tanh', inputShape: [3] })] });
}

describe('extractFeatures', () => {
  it('returns the base output, computed once and then read from a memory cache', async () => {
    const model = base();
    const x = randomTensor([40, 3], createRng(2));
    const cache = new MemoryFeatureCache();
    const first = await extractFeatures(model, x, { cache, batchSize: 16 });
    expect(first.cached).toBe(false);
    expectTensorsClose(first.features, model.predict(x) as tf.Tensor);
    const before = tf.memory().numTensors;
    const second = await extractFeatures(model, x, { cache });
    expect(second.cached).toBe(true);
    expect(second.features.dataSync()).toEqual(first.features.dataSync());
    second.features.dispose();
    expect(tf.memory().numTensors).toBe(before);
    cache.dispose();
  });

  it('keys on the weights and the data: a changed weight or input misses the cache', () => {
    const model = base();
    const x = randomTensor([10, 3], createRng(2));
    const key = featureKey(model, x);
    expect(featureKey(model, x)).toBe(key);
    const x2 = x.clone();
    expect(featureKey(model, x2)).toBe(key);
    const changed = tf.tidy(() => tf.add(x, tf.oneHot([0], 30).reshape([10, 3])));
    expect(featureKey(model, changed)).not.toBe(key);
    const kernel = (model.layers[0] as Dense).kernel!;
    kernel.assign(tf.add(kernel, 1e-3));
    expect(featureKey(model, x)).not.toBe(key);
  });

  it('stores features on disk and reads them back identical', async () => {
    const model = base();
    const x = randomTensor([12, 3], createRng(4));
    const cache = new DiskFeatureCache(join(dir, 'cache'));
    const first = await extractFeatures(model, x, { cache });
    const second = await extractFeatures(model, x, { cache: new DiskFeatureCache(join(dir, 'cache')) });
    expect(second.cached).toBe(true);
    expect(second.features.shape).toEqual([12, 5]);
    expect(second.features.dataSync()).toEqual(first.features.dataSync());
  });

  it('rejects a truncated disk entry, a bad key and a bad batch size', async () => {
    const cache = new DiskFeatureCache(join(dir, 'bad'));
    await cache.set('k1', tf.ones([2, 2]));
    await writeFile(join(dir, 'bad', 'k1.bin'), new Uint8Array(4));
    await expect(cache.get('k1')).rejects.toThrow(ArtifactError);
    await expect(cache.get('../escape')).rejects.toThrow(/must be letters, digits/);
    expect(await cache.get('absent')).toBeUndefined();
    await expect(extractFeatures(base(), tf.ones([2, 3]), { batchSize: 0 })).rejects.toThrow(ValueError);
  });
});
