import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkWeightData,
  deleteMemoryArtifacts,
  memoryIO,
  registerMemoryRouter,
  resolveIOHandler,
  validateModelJson,
  weightByteLength,
} from './artifacts.js';
import { ArtifactError } from './errors.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function sampleArtifacts(): Promise<tf.io.ModelArtifacts> {
  const tensors = {
    'dense/kernel': tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]),
    'dense/bias': tf.tensor1d([7, 8, 9]),
    step: tf.scalar(3, 'int32'),
  };
  const { data, specs } = await tf.io.encodeWeights(tensors);
  tf.dispose(Object.values(tensors));
  return {
    modelTopology: { class_name: 'Test', config: {} },
    weightSpecs: specs,
    weightData: data,
    format: 'plasticity',
  };
}

describe('weight manifests', () => {
  it('computes byte lengths from dtype, shape and quantization', () => {
    expect(weightByteLength({ name: 'a', shape: [2, 3], dtype: 'float32' })).toBe(24);
    expect(weightByteLength({ name: 'b', shape: [5], dtype: 'bool' })).toBe(5);
    expect(
      weightByteLength({ name: 'c', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } }),
    ).toBe(4);
    expect(weightByteLength({ name: 'd', shape: [], dtype: 'int32' })).toBe(4);
    expect(weightByteLength({ name: 'e', shape: [2], dtype: 'string' })).toBeUndefined();
  });

  it('names the file and the byte counts when weight data is truncated or too long', async () => {
    const { weightSpecs, weightData } = await sampleArtifacts();
    const data = weightData as ArrayBuffer;
    expect(() => checkWeightData(weightSpecs!, data.slice(0, 10), 'm/weights.bin')).toThrow(
      /m\/weights.bin: weight data is truncated: the manifest describes 40 bytes but only 10 were found/,
    );
    expect(() => checkWeightData(weightSpecs!, new ArrayBuffer(60), 'x.bin')).toThrow(/60 bytes found, 40 described/);
    expect(() => checkWeightData(weightSpecs!, data, 'ok.bin')).not.toThrow();
  });

  it('rejects model.json contents with missing or malformed fields', () => {
    const bad: [unknown, RegExp][] = [
      [[], /expected a JSON object/],
      [{ format: 'layers-model' }, /missing fields "modelTopology" and "weightsManifest"/],
      [{ modelTopology: {}, weightsManifest: {} }, /"weightsManifest" must be an array/],
      [{ weightsManifest: [{ paths: [], weights: 'x' }] }, /weightsManifest\[0\].weights must be an array/],
      [{ weightsManifest: [{ paths: [''], weights: [] }] }, /paths must be an array of file names/],
      [
        { weightsManifest: [{ paths: ['a.bin'], weights: [{ name: 'k', shape: [2, -1], dtype: 'float32' }] }] },
        /"k"\) has an invalid shape/,
      ],
      [
        { weightsManifest: [{ paths: ['a.bin'], weights: [{ name: 'k', shape: [2], dtype: 'float64' }] }] },
        /unknown dtype "float64"/,
      ],
    ];
    for (const [json, message] of bad) {
      expect(() => validateModelJson(json, 'dir/model.json')).toThrow(ArtifactError);
      expect(() => validateModelJson(json, 'dir/model.json')).toThrow(message);
    }
  });
});

describe('memoryIO', () => {
  it('round-trips artifacts and isolates the stored copy from the caller', async () => {
    const artifacts = await sampleArtifacts();
    const info = await memoryIO('round-trip').save!(artifacts);
    expect(info.modelArtifactsInfo.weightDataBytes).toBe(6 * 4 + 3 * 4 + 4);
    new Uint8Array(artifacts.weightData as ArrayBuffer).fill(0); // mutate the caller's buffer
    const loaded = await memoryIO('memory://round-trip').load!();
    const tensors = tf.io.decodeWeights(loaded.weightData!, loaded.weightSpecs!);
    expect(Array.from(tensors['dense/kernel']!.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(tensors['step']!.dataSync())).toEqual([3]);
    expect(tensors['step']!.dtype).toBe('int32');
    tf.dispose(Object.values(tensors));
    expect(deleteMemoryArtifacts('round-trip')).toBe(true);
  });

  it('refuses to store inconsistent artifacts and to load a missing key', async () => {
    const artifacts = await sampleArtifacts();
    await expect(memoryIO('bad').save!({ ...artifacts, weightData: new ArrayBuffer(8) })).rejects.toThrow(/truncated/);
    await expect(memoryIO('never-saved').load!()).rejects.toThrow(
      /memory:\/\/never-saved: nothing was saved under this key/,
    );
  });

  it('is reachable through the tfjs routers as memory://', async () => {
    registerMemoryRouter();
    registerMemoryRouter(); // idempotent: still exactly one handler
    const artifacts = await sampleArtifacts();
    await resolveIOHandler('memory://routed', 'save').save!(artifacts);
    const loaded = await resolveIOHandler('memory://routed', 'load').load!();
    expect(loaded.modelTopology).toEqual({ class_name: 'Test', config: {} });
    expect(() => resolveIOHandler('nowhere://x', 'load')).toThrow(
      /no load handler accepts this URL.*registerFileRouter/,
    );
  });
});
