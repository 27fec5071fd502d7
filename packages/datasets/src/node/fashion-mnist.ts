import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValueError, describeValue } from '@plasticity/core';
import { DatasetNotFoundError } from '../errors.js';
import { imageSetFromIdx, type ImageSet, type ImageSetOptions } from '../mnist.js';
import { readIdxFile } from './idx-file.js';

/** Where Debian's `dataset-fashion-mnist` package installs the IDX files. */
export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * A committed subset of Fashion-MNIST (MIT): the first 200 training and first 100 test samples,
 * in the same IDX `.gz` layout as the full set. For unit tests and examples that must run anywhere.
 */
export const FASHION_MNIST_SUBSET_DIR = fileURLToPath(new URL('../../fixtures/fashion-mnist-subset', import.meta.url));

/** Options of {@link loadFashionMnist}. */
export interface LoadFashionMnistOptions extends ImageSetOptions {
  /** Folder with `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`. Default {@link DEFAULT_FASHION_MNIST_DIR}. */
  dir?: string;
  /** `'train'` (60 000 samples) or `'test'` (10 000). Default `'train'`. */
  split?: 'train' | 'test';
}

function findFile(dir: string, stem: string): string | undefined {
  for (const name of [`${stem}.gz`, stem]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * Loads a Fashion-MNIST (or MNIST: same file names) split from IDX files.
 *
 * @example
 * ```ts
 * const test = await loadFashionMnist({ split: 'test' });
 * test.count;  // 10000
 * test.images; // Float32Array [10000 * 28 * 28] in [0, 1]
 * ```
 * @throws DatasetNotFoundError naming the install command when the folder or a file is missing.
 */
export async function loadFashionMnist(options: LoadFashionMnistOptions = {}): Promise<ImageSet> {
  const dir = options.dir ?? DEFAULT_FASHION_MNIST_DIR;
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new ValueError(`split must be 'train' or 'test'; got ${describeValue(split)}.`, {
      field: 'split',
      value: split,
    });
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const how =
    options.dir === undefined
      ? ' Install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu) or pass `dir` pointing at a folder with the IDX files.'
      : ' Pass `dir` pointing at a folder with the IDX files (on Debian/Ubuntu: `apt-get install dataset-fashion-mnist`).';
  if (!existsSync(dir)) throw new DatasetNotFoundError(dir, `Fashion-MNIST folder not found.${how}`);
  const paths = [`${prefix}-images-idx3-ubyte`, `${prefix}-labels-idx1-ubyte`].map((stem) => {
    const path = findFile(dir, stem);
    if (path === undefined)
      throw new DatasetNotFoundError(join(dir, `${stem}.gz`), `missing Fashion-MNIST file.${how}`);
    return path;
  }) as [string, string];
  const [images, labels] = await Promise.all(paths.map(readIdxFile));
  return imageSetFromIdx(images!, labels!, { ...options, imagesName: paths[0], labelsName: paths[1] });
}

/** Loads a split of the committed subset ({@link FASHION_MNIST_SUBSET_DIR}): 200 train / 100 test samples. */
export function loadFashionMnistSubset(options: Omit<LoadFashionMnistOptions, 'dir'> = {}): Promise<ImageSet> {
  return loadFashionMnist({ ...options, dir: FASHION_MNIST_SUBSET_DIR });
}
