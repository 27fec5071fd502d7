import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveIOHandler } from '../artifacts.js';
import { ArtifactError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { fileIO, hasModelJson, registerFileRouter } from './file-io.js';

let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plasticity-io-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function artifacts(values: number[]): Promise<tf.io.ModelArtifacts> {
  const tensors = { w: tf.tensor1d(values), b: tf.tensor1d([0.5], 'float32') };
  const { data, specs } = await tf.io.encodeWeights(tensors);
  tf.dispose(Object.values(tensors));
  return {
    modelTopology: { layers: values.length },
    weightSpecs: specs,
    weightData: data,
    trainingConfig: { loss: 'mse' } as never,
  };
}

function decoded(a: tf.io.ModelArtifacts): number[] {
  const t = tf.io.decodeWeights(a.weightData!, a.weightSpecs!);
  const values = [...Array.from(t['w']!.dataSync()), ...Array.from(t['b']!.dataSync())];
  tf.dispose(Object.values(t));
  return values;
}

describe('fileIO', () => {
  it('round-trips model.json and sharded weights in the TF.js layout', async () => {
    const values = Array.from({ length: 40 }, (_, i) => i / 4);
    await fileIO(join(dir, 'model'), { shardBytes: 64 }).save!(await artifacts(values));
    const files = (await readdir(join(dir, 'model'))).sort();
    expect(files.filter((f) => f.endsWith('.bin'))).toHaveLength(3); // 164 bytes in 64-byte shards
    const json = JSON.parse(await readFile(join(dir, 'model', 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).toHaveLength(3);
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual(['w', 'b']);
    expect(json.trainingConfig).toEqual({ loss: 'mse' });
    const loaded = await fileIO(join(dir, 'model')).load!();
    expect(decoded(loaded)).toEqual([...values, 0.5]);
    expect(loaded.modelTopology).toEqual({ layers: 40 });
    expect(await hasModelJson(join(dir, 'model'))).toBe(true);
  });

  it('replaces a previous save, removing only the shards it referenced', async () => {
    const target = join(dir, 'm');
    await fileIO(target).save!(await artifacts([1, 2]));
    await writeFile(join(target, 'notes.txt'), 'mine');
    const first = (await readdir(target)).filter((f) => f.endsWith('.bin'));
    await fileIO(target).save!(await artifacts([3, 4, 5]));
    const after = await readdir(target);
    expect(after).toContain('notes.txt');
    expect(after.filter((f) => first.includes(f))).toEqual([]);
    expect(after.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(decoded(await fileIO(target).load!())).toEqual([3, 4, 5, 0.5]);
  });

  it('names the shard and the byte counts when a weight file is truncated', async () => {
    const target = join(dir, 'cut');
    await fileIO(target).save!(await artifacts([1, 2, 3]));
    const shard = (await readdir(target)).find((f) => f.endsWith('.bin'))!;
    await truncate(join(target, shard), 7);
    const attempt = fileIO(target).load!();
    await expect(attempt).rejects.toBeInstanceOf(ArtifactError);
    await expect(fileIO(target).load!()).rejects.toThrow(
      new RegExp(
        `${shard.replace(/\./g, '\\.')}: weight data is truncated: the manifest describes 16 bytes but only 7`,
      ),
    );
  });

  it('reports a missing directory, corrupt JSON, missing fields and a missing shard by file', async () => {
    await expect(fileIO(join(dir, 'nothing')).load!()).rejects.toThrow(/nothing\/model.json: not found/);
    const target = join(dir, 'bad');
    await fileIO(target).save!(await artifacts([1]));
    const json = join(target, 'model.json');
    const good = await readFile(json, 'utf8');
    await writeFile(json, good.slice(0, good.length / 2));
    await expect(fileIO(target).load!()).rejects.toThrow(/bad\/model.json: is not valid JSON/);
    await writeFile(json, JSON.stringify({ format: 'layers-model' }));
    await expect(fileIO(target).load!()).rejects.toThrow(/missing fields "modelTopology" and "weightsManifest"/);
    await writeFile(
      json,
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['gone.bin'], weights: [] }] }),
    );
    await expect(fileIO(target).load!()).rejects.toThrow(/gone.bin: weight shard listed in .*model.json is missing/);
    await writeFile(
      json,
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }] }),
    );
    await expect(fileIO(target).load!()).rejects.toThrow(/points outside the model directory/);
  });

  it('serves file:// URLs through the tfjs routers once registered', async () => {
    registerFileRouter();
    registerFileRouter();
    const url = pathToFileURL(join(dir, 'routed')).href;
    await resolveIOHandler(url, 'save').save!(await artifacts([9]));
    expect(decoded(await resolveIOHandler(url, 'load').load!())).toEqual([9, 0.5]);
    expect(tf.io.getLoadHandlers(url)).toHaveLength(1);
  });

  it('prefers its file:// handler when another library (tfjs-node) also routes file://', async () => {
    registerFileRouter();
    const foreign = { save: () => Promise.reject(new Error('foreign handler used')) };
    const router = ((u: string) => (u.startsWith('file://') ? foreign : null)) as never;
    tf.io.registerSaveRouter(router);
    const url = pathToFileURL(join(dir, 'both')).href;
    expect(tf.io.getSaveHandlers(url)).toHaveLength(2);
    await resolveIOHandler(url, 'save').save!(await artifacts([3]));
    expect(await hasModelJson(join(dir, 'both'))).toBe(true);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temporary files', async () => {
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, 'old');
    await writeFileAtomic(path, new Uint8Array([110, 101, 119]));
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('keeps the old file when the write fails', async () => {
    const path = join(dir, 'keep.json');
    await writeFileAtomic(path, 'old');
    const failing = {
      [Symbol.iterator]() {
        throw new Error('disk full');
      },
    };
    await expect(writeFileAtomic(path, failing as unknown as Uint8Array)).rejects.toThrow();
    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['keep.json']);
  });
});
