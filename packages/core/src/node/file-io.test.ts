import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
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

describe('fileIO refuses weight shards outside the model directory', () => {
  it('does not follow a shard that is a symbolic link to a file outside the folder', async () => {
    const target = join(dir, 'linked');
    await fileIO(target).save!(await artifacts([1, 2, 3]));
    const shard = (await readdir(target)).find((f) => f.endsWith('.bin'))!;
    const secret = join(dir, 'secret.bin');
    await writeFile(secret, new Uint8Array(12345));
    await rm(join(target, shard));
    await symlink(secret, join(target, shard));
    const error = await fileIO(target).load!().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactError);
    expect((error as Error).message).toMatch(/outside the model directory/);
    expect((error as Error).message).not.toMatch(/12345/); // the outside file's size stays secret
  });

  it('does not follow a symlinked subfolder that leaves the model directory', async () => {
    const target = join(dir, 'sub');
    await fileIO(target).save!(await artifacts([1, 2, 3]));
    const json = JSON.parse(await readFile(join(target, 'model.json'), 'utf8'));
    const shard = json.weightsManifest[0].paths[0] as string;
    const outside = join(dir, 'elsewhere');
    await mkdir(outside);
    await writeFile(join(outside, shard), await readFile(join(target, shard)));
    await symlink(outside, join(target, 'w'));
    json.weightsManifest[0].paths = [`w/${shard}`];
    await writeFile(join(target, 'model.json'), JSON.stringify(json));
    await expect(fileIO(target).load!()).rejects.toThrow(/outside the model directory/);
  });

  it('still reads a shard symlinked to a file inside the folder', async () => {
    const target = join(dir, 'inner');
    await fileIO(target).save!(await artifacts([1, 2, 3]));
    const json = JSON.parse(await readFile(join(target, 'model.json'), 'utf8'));
    const shard = json.weightsManifest[0].paths[0] as string;
    await symlink(join(target, shard), join(target, 'alias.bin'));
    json.weightsManifest[0].paths = ['alias.bin'];
    await writeFile(join(target, 'model.json'), JSON.stringify(json));
    expect(decoded(await fileIO(target).load!())).toEqual([1, 2, 3, 0.5]);
  });

  it('refuses a shard that is much larger than the manifest before reading it', async () => {
    const target = join(dir, 'big');
    await fileIO(target).save!(await artifacts([1, 2, 3]));
    const shard = (await readdir(target)).find((f) => f.endsWith('.bin'))!;
    await truncate(join(target, shard), 64 * 1024 * 1024); // sparse: costs no disk
    const before = process.memoryUsage().arrayBuffers;
    await expect(fileIO(target).load!()).rejects.toThrow(/67108864 bytes found, 16 described/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });
});

describe('fileIO removes what interrupted saves left behind', () => {
  const DEAD_PID = 2 ** 22 + 12345; // above Linux's pid_max default: no such process

  it('removes stale temporaries and orphan shards of dead writers on the next save', async () => {
    const target = join(dir, 'm');
    await fileIO(target).save!(await artifacts([1, 2]));
    const host = (await readdir(target))
      .find((f) => f.endsWith('.bin'))!
      .split('.')[1]!
      .split('-')[2]!;
    const stale = [
      `.model.json.${DEAD_PID}.${host}.0123456789ab.tmp`,
      `.group1-shard1of1.deadbeef-${DEAD_PID}-${host}.bin.${DEAD_PID}.${host}.0123456789ab.tmp`,
      `group1-shard1of1.deadbeef-${DEAD_PID}-${host}.bin`,
    ];
    for (const name of stale) await writeFile(join(target, name), 'x');
    await writeFile(join(target, 'notes.txt'), 'mine');
    await fileIO(target).save!(await artifacts([3, 4, 5]));
    const after = await readdir(target);
    expect(after.filter((f) => stale.includes(f))).toEqual([]);
    expect(after).toContain('notes.txt');
    expect(after.filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    expect(decoded(await fileIO(target).load!())).toEqual([3, 4, 5, 0.5]);
  });

  it('removes leftovers of the older naming (no writer id) only once they are a day old', async () => {
    const target = join(dir, 'old');
    await fileIO(target).save!(await artifacts([1, 2]));
    const old = ['.model.json.999.0123456789ab.tmp', 'group1-shard1of1.0badf00d.bin'];
    const fresh = ['.model.json.998.0123456789ab.tmp', 'group1-shard1of1.0badcafe.bin'];
    for (const name of [...old, ...fresh]) await writeFile(join(target, name), 'x');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    for (const name of old) await utimes(join(target, name), twoDaysAgo, twoDaysAgo);
    await fileIO(target).save!(await artifacts([3, 4, 5]));
    const after = await readdir(target);
    expect(after.filter((f) => old.includes(f))).toEqual([]);
    expect(after.filter((f) => fresh.includes(f)).sort()).toEqual([...fresh].sort());
  });

  it('keeps files of a live writer and shards another model.json in the folder references', async () => {
    const target = join(dir, 'shared');
    await fileIO(join(target, 'a.json')).save!(await artifacts([1, 2]));
    await fileIO(join(target, 'b.json')).save!(await artifacts([7, 8]));
    const host = (await readdir(target))
      .find((f) => f.endsWith('.bin'))!
      .split('.')[1]!
      .split('-')[2]!;
    const parent = process.ppid; // alive for the whole test
    const live = [
      `.a.json.${parent}.${host}.0123456789ab.tmp`,
      `group1-shard1of1.feedface-${parent}-${host}.bin`,
      `.model.json.${DEAD_PID}.${host}.0123456789ab.tmp`, // another artifact's temp name
    ];
    for (const name of live) await writeFile(join(target, name), 'x');
    await fileIO(join(target, 'a.json')).save!(await artifacts([3, 4, 5]));
    const after = await readdir(target);
    expect(after.filter((f) => live.includes(f)).sort()).toEqual([...live].sort());
    expect(decoded(await fileIO(join(target, 'b.json')).load!())).toEqual([7, 8, 0.5]);
    expect(decoded(await fileIO(join(target, 'a.json')).load!())).toEqual([3, 4, 5, 0.5]);
  });

  it('keeps the shards of a concurrent save in the same process', async () => {
    const target = join(dir, 'race');
    await Promise.all([1, 2, 3, 4].map((k) => fileIO(target, { shardBytes: 8 }).save!(artifactsSync(k))));
    const loaded = decoded(await fileIO(target).load!());
    expect([1, 2, 3, 4].map((k) => [k, k + 1, 0.5].join())).toContain(loaded.join());
  });
});

function artifactsSync(k: number): tf.io.ModelArtifacts {
  const w = new Float32Array([k, k + 1, 0.5]);
  return {
    modelTopology: { k },
    weightSpecs: [
      { name: 'w', shape: [2], dtype: 'float32' },
      { name: 'b', shape: [1], dtype: 'float32' },
    ],
    weightData: w.buffer,
  };
}

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
