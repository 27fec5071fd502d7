/**
 * Fashion-MNIST for the transfer experiment: where to read it, and the seeded index selections
 * (pretraining pool, few-shot training set, validation set) as pure functions of the labels.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, createRng, describeValue } from '@plasticity/core';
import type { ImageSet } from '@plasticity/datasets';
import { DEFAULT_FASHION_MNIST_DIR, loadFashionMnist } from '@plasticity/datasets/node';

/** The committed subset: the first 3000 training and 1000 test images (see scripts/make-subset.mjs). */
export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/fashion-mnist-3k', import.meta.url));

/** Where the images come from: `dir` when given, else the full set when installed, else the committed subset. */
export function resolveFashionDir(dir?: string): { dir: string; source: 'given' | 'full' | 'subset' } {
  if (dir !== undefined) return { dir, source: 'given' };
  if (existsSync(join(DEFAULT_FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'))) {
    return { dir: DEFAULT_FASHION_MNIST_DIR, source: 'full' };
  }
  return { dir: FIXTURE_DIR, source: 'subset' };
}

export interface FashionSplits {
  train: ImageSet;
  test: ImageSet;
}

export async function loadFashion(dir: string): Promise<FashionSplits> {
  const [train, test] = await Promise.all([
    loadFashionMnist({ dir, split: 'train' }),
    loadFashionMnist({ dir, split: 'test' }),
  ]);
  return { train, test };
}

export interface TransferIndices {
  /** Training images of the source classes, for pretraining. */
  pretrain: number[];
  /** `shots` training images of each target class. */
  fewShot: number[];
  /** Training images of the target classes not in `fewShot`, for validation (never the test split). */
  validation: number[];
}

/**
 * Picks the training-split indices of one run: a seeded order of all images; the first `shots` of
 * each target class are the few-shot set, the next `validation` target images (any class) the
 * validation set, and the first `pretrain` source-class images the pretraining pool.
 *
 * @throws ValueError when a target class has fewer than `shots` images.
 */
export function selectIndices(
  labels: ArrayLike<number>,
  options: {
    source: readonly number[];
    target: readonly number[];
    shots: number;
    validation: number;
    pretrain: number;
    seed: number;
  },
): TransferIndices {
  const { source, target, shots, seed } = options;
  if (!Number.isInteger(shots) || shots < 1) {
    throw new ValueError(`shots must be a positive integer; got ${describeValue(shots)}.`, {
      field: 'shots',
      value: shots,
    });
  }
  const order = Array.from(createRng(seed).permutation(labels.length));
  const taken = new Map<number, number>();
  const fewShot: number[] = [];
  const rest: number[] = [];
  for (const i of order) {
    const c = labels[i]!;
    if (!target.includes(c)) continue;
    const n = taken.get(c) ?? 0;
    if (n < shots) {
      taken.set(c, n + 1);
      fewShot.push(i);
    } else rest.push(i);
  }
  for (const c of target) {
    if ((taken.get(c) ?? 0) < shots) {
      throw new ValueError(
        `class ${c} has only ${taken.get(c) ?? 0} training images; shots=${shots} needs more. Lower --shots or use a larger data set.`,
        { field: 'shots', value: shots },
      );
    }
  }
  const pretrain = order.filter((i) => source.includes(labels[i]!)).slice(0, options.pretrain);
  return { pretrain, fewShot, validation: rest.slice(0, options.validation) };
}

/** Images `indices` of `set` as `[n, 28, 28, 1]` in [0, 1] and labels remapped by `label` (int32). */
export function toTensors(
  set: ImageSet,
  indices: readonly number[],
  label: (c: number) => number,
): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const size = set.rows * set.cols;
  const x = new Float32Array(indices.length * size);
  const scale = set.images instanceof Uint8Array ? 1 / 255 : 1;
  indices.forEach((i, k) => {
    for (let p = 0; p < size; p++) x[k * size + p] = set.images[i * size + p]! * scale;
  });
  return {
    x: tf.tensor4d(x, [indices.length, set.rows, set.cols, 1]),
    y: tf.tensor1d(
      indices.map((i) => label(set.labels[i]!)),
      'int32',
    ),
  };
}

/** Indices of `labels` whose class is in `classes`, the first `limit` of them (file order). */
export function indicesOf(labels: ArrayLike<number>, classes: readonly number[], limit = Infinity): number[] {
  const out: number[] = [];
  for (let i = 0; i < labels.length && out.length < limit; i++) if (classes.includes(labels[i]!)) out.push(i);
  return out;
}
