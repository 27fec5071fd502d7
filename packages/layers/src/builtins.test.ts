// Runs in its own module registry (vitest isolates test files), so the first assertions see the
// package as a fresh import does.
import { cpuBackend } from '@plasticity/backend-cpu';
import { hasPlugin, listPlugins, memoryIO, registerBackendPlugin, useBackend } from '@plasticity/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Bidirectional,
  Dense,
  LAYER_CLASSES,
  LSTM,
  Model,
  Sequential,
  listArtifactReaders,
  loadModel,
  registerBuiltinLayers,
} from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

describe('the composition root', () => {
  it('registers nothing on import', () => {
    expect(listPlugins('layer')).toEqual([]);
    expect(listPlugins('loss')).toEqual([]);
    expect(listArtifactReaders()).toEqual([]);
    expect((Model as { fromConfig?: unknown }).fromConfig).toBeUndefined();
  });

  it('lets model.save write a wrapped layer with nothing registered first', async () => {
    const model = new Sequential({
      layers: [new Bidirectional({ layer: new LSTM({ units: 2 }), inputShape: [3, 2] }), new Dense({ units: 1 })],
    });
    await model.save(memoryIO('fresh-save'));
    // Saving registered what it needed (the plugins and the model classes), not the readers.
    expect(hasPlugin('layer', 'LSTM')).toBe(true);
    expect(hasPlugin('layer', 'Sequential')).toBe(true);
    expect(listArtifactReaders()).toEqual([]);
    const loaded = await loadModel(memoryIO('fresh-save'));
    const x = tf.randomNormal([2, 3, 2]);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('registers every built-in layer class and the native reader, idempotently', () => {
    registerBuiltinLayers();
    registerBuiltinLayers();
    expect(listPlugins('layer')).toEqual(
      LAYER_CLASSES.map((c) => (c as unknown as { className: string }).className).sort(),
    );
    expect(listArtifactReaders()).toEqual(['plasticity-model']);
    expect(typeof (Sequential as { fromConfig?: unknown }).fromConfig).toBe('function');
  });
});
