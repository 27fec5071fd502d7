import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { registerBackendPlugin, useBackend, ValueError } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetMismatchError, DatasetNotFoundError, IdxFormatError, imageTensors } from '../index.js';
import { FASHION_MNIST_SUBSET_DIR, loadFashionMnist, loadFashionMnistSubset, readIdxFile } from './index.js';

let tmp: string;
beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
  tmp = await mkdtemp(join(tmpdir(), 'plasticity-fmnist-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** The error a promise rejects with (fails the test if it resolves). */
async function failure<E = Error>(promise: Promise<unknown>): Promise<E> {
  return promise.then(
    () => expect.unreachable('expected a rejection') as never,
    (e: unknown) => e as E,
  );
}

/** The subset's raw IDX bytes, read with zlib and fixed offsets (independent of readIdx). */
async function rawFixture(name: string): Promise<Buffer> {
  return gunzipSync(await readFile(join(FASHION_MNIST_SUBSET_DIR, name)));
}

describe('Fashion-MNIST subset fixture', () => {
  it('holds the first 200 train / 100 test samples, whose labels start as published', async () => {
    const train = await loadFashionMnistSubset();
    const test = await loadFashionMnistSubset({ split: 'test' });
    expect([train.count, train.rows, train.cols, train.images.length]).toEqual([200, 28, 28, 200 * 784]);
    expect([test.count, test.images.length]).toEqual([100, 100 * 784]);
    // The first labels of Fashion-MNIST's train and test files (zalandoresearch/fashion-mnist).
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  });

  it('scales pixels to [0, 1] as byte / 255, or returns the raw bytes', async () => {
    const raw = await rawFixture('train-images-idx3-ubyte.gz');
    const pixels = raw.subarray(16); // 4-byte magic + 3 dims
    const scaled = await loadFashionMnistSubset({ limit: 3 });
    const bytes = await loadFashionMnistSubset({ limit: 3, raw: true });
    expect(scaled.count).toBe(3);
    expect(bytes.images).toBeInstanceOf(Uint8Array);
    expect(Array.from(bytes.images)).toEqual(Array.from(pixels.subarray(0, 3 * 784)));
    for (const i of [0, 100, 417, 784 + 300, 3 * 784 - 1]) expect(scaled.images[i]).toBeCloseTo(pixels[i]! / 255, 7);
    expect(Math.max(...scaled.images)).toBeLessThanOrEqual(1);
  });

  it('reads gzipped and plain IDX files alike (readIdxFile)', async () => {
    const plainPath = join(tmp, 'labels.idx');
    await writeFile(plainPath, await rawFixture('t10k-labels-idx1-ubyte.gz'));
    const plain = await readIdxFile(plainPath);
    const gz = await readIdxFile(join(FASHION_MNIST_SUBSET_DIR, 't10k-labels-idx1-ubyte.gz'));
    expect(plain).toEqual(gz);
    expect(gz.shape).toEqual([100]);
  });

  it('makes flat or image tensors with one-hot or int labels', async () => {
    const set = await loadFashionMnistSubset({ limit: 5 });
    const before = tf.memory().numTensors;
    const flat = imageTensors(set);
    expect(flat.x.shape).toEqual([5, 784]);
    expect(flat.y.shape).toEqual([5, 10]);
    const y = (await flat.y.array()) as number[][];
    y.forEach((row, i) => row.forEach((v, c) => expect(v).toBe(c === set.labels[i] ? 1 : 0)));
    const image = imageTensors(await loadFashionMnistSubset({ limit: 5, raw: true }), {
      layout: 'image',
      labels: 'int',
    });
    expect(image.x.shape).toEqual([5, 28, 28, 1]);
    expect(image.y.dtype).toBe('int32');
    expect(Array.from(await image.y.data())).toEqual(Array.from(set.labels));
    // raw bytes are scaled like the float images
    expect(Array.from(await image.x.data())).toEqual(Array.from(await flat.x.data()));
    tf.dispose([flat.x, flat.y, image.x, image.y]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => imageTensors(set, { numClasses: 5 })).toThrow(ValueError);
  });
});

describe('loadFashionMnist errors', () => {
  it('a missing folder names the Debian package and the dir option', async () => {
    await expect(loadFashionMnist({ dir: join(tmp, 'nope') })).rejects.toThrow(DatasetNotFoundError);
    await expect(loadFashionMnist({ dir: join(tmp, 'nope') })).rejects.toThrow(
      /apt-get install dataset-fashion-mnist.*|Pass `dir`/,
    );
    const error = await failure<Error>(loadFashionMnist({ dir: join(tmp, 'nope') }));
    expect(error.message).toContain('apt-get install dataset-fashion-mnist');
    expect(error.message).toContain('`dir`');
  });

  it('a folder without the label file names the missing file', async () => {
    const dir = join(tmp, 'half');
    await mkdir(dir);
    await writeFile(
      join(dir, 'train-images-idx3-ubyte.gz'),
      await readFile(join(FASHION_MNIST_SUBSET_DIR, 'train-images-idx3-ubyte.gz')),
    );
    const error = await failure<DatasetNotFoundError>(loadFashionMnist({ dir }));
    expect(error).toBeInstanceOf(DatasetNotFoundError);
    expect(error.file).toBe(join(dir, 'train-labels-idx1-ubyte.gz'));
  });

  it('image and label counts that differ throw DatasetMismatchError', async () => {
    const dir = join(tmp, 'mismatch');
    await mkdir(dir);
    await writeFile(
      join(dir, 't10k-images-idx3-ubyte.gz'),
      await readFile(join(FASHION_MNIST_SUBSET_DIR, 't10k-images-idx3-ubyte.gz')),
    );
    // the training labels: 200 of them, for 100 test images
    await writeFile(
      join(dir, 't10k-labels-idx1-ubyte.gz'),
      await readFile(join(FASHION_MNIST_SUBSET_DIR, 'train-labels-idx1-ubyte.gz')),
    );
    await expect(loadFashionMnist({ dir, split: 'test' })).rejects.toThrow(DatasetMismatchError);
    await expect(loadFashionMnist({ dir, split: 'test' })).rejects.toThrow(/200 labels for 100 images/);
  });

  it('a truncated images file throws IdxFormatError (truncated)', async () => {
    const dir = join(tmp, 'truncated');
    await mkdir(dir);
    const images = await rawFixture('t10k-images-idx3-ubyte.gz');
    await writeFile(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(images.subarray(0, images.length - 1)));
    await writeFile(
      join(dir, 't10k-labels-idx1-ubyte.gz'),
      await readFile(join(FASHION_MNIST_SUBSET_DIR, 't10k-labels-idx1-ubyte.gz')),
    );
    const error = await failure<IdxFormatError>(loadFashionMnist({ dir, split: 'test' }));
    expect(error).toBeInstanceOf(IdxFormatError);
    expect(error.problem).toBe('truncated');
    expect(error.file).toBe(join(dir, 't10k-images-idx3-ubyte.gz'));
  });

  it('swapped image and label files are named as such', async () => {
    const dir = join(tmp, 'swapped');
    await mkdir(dir);
    await writeFile(
      join(dir, 't10k-images-idx3-ubyte.gz'),
      await readFile(join(FASHION_MNIST_SUBSET_DIR, 't10k-labels-idx1-ubyte.gz')),
    );
    await writeFile(
      join(dir, 't10k-labels-idx1-ubyte.gz'),
      await readFile(join(FASHION_MNIST_SUBSET_DIR, 't10k-images-idx3-ubyte.gz')),
    );
    await expect(loadFashionMnist({ dir, split: 'test' })).rejects.toThrow(/swap/);
  });

  it('rejects a bad split or limit', async () => {
    await expect(loadFashionMnistSubset({ split: 'validation' as 'test' })).rejects.toThrow(ValueError);
    await expect(loadFashionMnistSubset({ limit: 0 })).rejects.toThrow(/limit must be a positive integer/);
  });
});
