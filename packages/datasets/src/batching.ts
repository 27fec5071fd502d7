/**
 * Seeded shuffling and batching into the `{ x, y }` batches that `@plasticity/layers`'
 * `model.fit(dataset)` consumes.
 *
 * Batch tensors are owned by the iterator: each batch is disposed when the next one is requested
 * and when the loop ends (also on `break`), so a training loop leaks nothing. Pass `keep: true` to
 * own them instead (then dispose them yourself).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, createRng, describeValue, type Rng } from '@plasticity/core';

/** One or several tensors, as `@plasticity/layers` accepts them: a tensor, a list (by input order) or a record (by name). */
export type TensorTree = tf.Tensor | tf.Tensor[] | { [name: string]: tf.Tensor };

/** A training batch: the shape of `@plasticity/layers`' `Batch`. */
export interface TensorBatch<X extends TensorTree = TensorTree, Y extends TensorTree = TensorTree> {
  /** The inputs of the batch, `[batch, …]`. */
  x: X;
  /** The targets of the batch, `[batch, …]`. */
  y: Y;
}

/**
 * A random permutation of `0 … n-1` from core's seeded PCG32 generator (Fisher–Yates): the same
 * seed gives the same order on every platform.
 */
export function shuffle(n: number, seed: number | Rng): Uint32Array {
  const rng = typeof seed === 'number' ? createRng(seed) : seed;
  return rng.permutation(n);
}

function checkPositiveInt(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ValueError(`${field} must be a positive integer; got ${describeValue(value)}.`, { field, value });
  }
  return value;
}

function leaves(tree: TensorTree): tf.Tensor[] {
  if (tree instanceof tf.Tensor) return [tree];
  return Array.isArray(tree) ? tree : Object.values(tree);
}

function mapTree<T extends TensorTree>(tree: T, f: (t: tf.Tensor) => tf.Tensor): T {
  if (tree instanceof tf.Tensor) return f(tree) as T;
  if (Array.isArray(tree)) return tree.map(f) as T;
  return Object.fromEntries(Object.entries(tree).map(([k, t]) => [k, f(t)])) as T;
}

/** Options of {@link batches}. */
export interface BatchesOptions<X extends TensorTree, Y extends TensorTree> {
  /** Inputs: tensors whose first dimension is the sample index. */
  x: X;
  /** Targets, with the same number of samples as `x`. */
  y: Y;
  /** Samples per batch (a positive integer). */
  batchSize: number;
  /** Shuffle the samples each epoch. Default false. */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0). Epoch k of two datasets with the same seed has the same order. */
  seed?: number;
  /** Drop a last batch smaller than `batchSize`. Default false. */
  dropRemainder?: boolean;
  /** Let the caller own (and dispose) each batch instead of disposing it when the next is requested. */
  keep?: boolean;
}

/** A re-iterable dataset: each `for … of` is one epoch. */
export interface BatchDataset<X extends TensorTree, Y extends TensorTree> extends Iterable<TensorBatch<X, Y>> {
  /** Batches per epoch. */
  readonly size: number;
  /** Samples per epoch (after `dropRemainder`). */
  readonly samples: number;
}

/**
 * Batches in-memory tensors. Every iteration is one epoch; with `shuffle`, each epoch draws a new
 * permutation from a generator seeded once with `seed`, so a run is reproducible end to end.
 *
 * @example
 * ```ts
 * const train = batches({ x, y, batchSize: 128, shuffle: true, seed: 1 });
 * await model.fit(train, { epochs: 5 });
 * ```
 */
export function batches<X extends TensorTree, Y extends TensorTree>(options: BatchesOptions<X, Y>): BatchDataset<X, Y> {
  const batchSize = checkPositiveInt(options.batchSize, 'batchSize');
  const all = [...leaves(options.x), ...leaves(options.y)];
  if (all.length === 0) throw new ValueError('batches needs at least one x and one y tensor.', { field: 'x' });
  const n = all[0]!.shape[0];
  for (const t of all) {
    if (t.rank === 0 || t.shape[0] !== n) {
      throw new ValueError(
        `every x and y tensor needs the same number of samples in dimension 0; got shapes ` +
          `${all.map((a) => `[${a.shape.join(',')}]`).join(', ')}.`,
        { field: 'x', value: all.map((a) => a.shape) },
      );
    }
  }
  const count = n ?? 0;
  const steps = options.dropRemainder === true ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
  const rng = createRng(options.seed ?? 0);
  const keep = options.keep === true;
  return {
    size: steps,
    samples: options.dropRemainder === true ? steps * batchSize : count,
    *[Symbol.iterator](): Iterator<TensorBatch<X, Y>> {
      const order =
        options.shuffle === true ? tf.tensor1d(Int32Array.from(rng.permutation(count)), 'int32') : undefined;
      let current: tf.Tensor[] = [];
      try {
        for (let b = 0; b < steps; b++) {
          const start = b * batchSize;
          const size = Math.min(batchSize, count - start);
          const pick = (t: tf.Tensor): tf.Tensor =>
            order === undefined ? tf.slice(t, start, size) : tf.tidy(() => tf.gather(t, tf.slice(order, start, size)));
          const batch = { x: mapTree(options.x, pick), y: mapTree(options.y, pick) };
          current = keep ? [] : [...leaves(batch.x), ...leaves(batch.y)];
          yield batch;
          tf.dispose(current);
          current = [];
        }
      } finally {
        tf.dispose(current);
        order?.dispose();
      }
    },
  };
}

/** One sample from an async source: numbers for x (and y), flattened row-major. */
export interface Sample {
  /** The input features, flattened (`xShape` gives the shape). */
  x: ArrayLike<number>;
  /** The target: numbers (`yShape`) or one number (e.g. a class id). */
  y: ArrayLike<number> | number;
}

/** Options of {@link batchesAsync}. */
export interface AsyncBatchesOptions {
  /** Samples per batch (a positive integer). */
  batchSize: number;
  /** Shape of one sample's x (without the batch dimension), e.g. `[784]` or `[28, 28, 1]`. */
  xShape: number[];
  /** Shape of one sample's y, e.g. `[10]`; `[]` for a scalar target (`y: number`). */
  yShape: number[];
  /** dtype of y; default float32 (int32 for sparse class labels). */
  yDtype?: 'float32' | 'int32';
  /**
   * Shuffle with a buffer of this many samples (like `tf.data`'s `shuffle(bufferSize)`): a buffer
   * at least as large as the source gives a uniform shuffle. Default 0 (no shuffle).
   */
  shuffleBuffer?: number;
  /** Seed of the shuffle buffer. Default 0. */
  seed?: number;
  /** Drop the last batch when it is smaller than `batchSize`. Default false. */
  dropRemainder?: boolean;
  /**
   * Hand the batch tensors to the caller instead of disposing each when the next is requested. Default false.
   */
  keep?: boolean;
}

/**
 * Batches samples from an async source (a file reader, a network stream). `source` is called
 * once per epoch and must return a fresh iterable of samples.
 *
 * @example
 * ```ts
 * const data = batchesAsync(() => readSamples(path), { batchSize: 64, xShape: [4], yShape: [1], shuffleBuffer: 10_000, seed: 3 });
 * await model.fit(data, { epochs: 3 });
 * ```
 */
export function batchesAsync(
  source: () => AsyncIterable<Sample> | Iterable<Sample>,
  options: AsyncBatchesOptions,
): AsyncIterable<TensorBatch<tf.Tensor, tf.Tensor>> {
  if (typeof source !== 'function') {
    throw new ValueError('batchesAsync needs a function that returns a fresh iterable of samples per epoch.', {
      field: 'source',
      value: source,
    });
  }
  const batchSize = checkPositiveInt(options.batchSize, 'batchSize');
  const bufferSize = options.shuffleBuffer ?? 0;
  if (!Number.isInteger(bufferSize) || bufferSize < 0) {
    throw new ValueError(`shuffleBuffer must be a non-negative integer; got ${describeValue(bufferSize)}.`, {
      field: 'shuffleBuffer',
      value: bufferSize,
    });
  }
  const xSize = options.xShape.reduce((a, b) => a * b, 1);
  const ySize = options.yShape.reduce((a, b) => a * b, 1);
  const rng = createRng(options.seed ?? 0);
  const keep = options.keep === true;

  async function* shuffled(): AsyncGenerator<Sample> {
    if (bufferSize <= 1) {
      yield* source();
      return;
    }
    const buffer: Sample[] = [];
    for await (const s of source()) {
      if (buffer.length < bufferSize) {
        buffer.push(s);
        continue;
      }
      const j = rng.int(bufferSize);
      yield buffer[j]!;
      buffer[j] = s;
    }
    rng.shuffle(buffer);
    yield* buffer;
  }

  return {
    async *[Symbol.asyncIterator](): AsyncIterator<TensorBatch<tf.Tensor, tf.Tensor>> {
      let xs = new Float32Array(batchSize * xSize);
      let ys = options.yDtype === 'int32' ? new Int32Array(batchSize * ySize) : new Float32Array(batchSize * ySize);
      let filled = 0;
      let line = 0;
      let current: tf.Tensor[] = [];
      const make = (size: number): TensorBatch<tf.Tensor, tf.Tensor> => {
        const x = tf.tensor(xs.subarray(0, size * xSize), [size, ...options.xShape], 'float32');
        const y = tf.tensor(ys.subarray(0, size * ySize), [size, ...options.yShape], options.yDtype ?? 'float32');
        xs = new Float32Array(batchSize * xSize);
        ys = options.yDtype === 'int32' ? new Int32Array(batchSize * ySize) : new Float32Array(batchSize * ySize);
        return { x, y };
      };
      try {
        for await (const s of shuffled()) {
          const yv = typeof s.y === 'number' ? [s.y] : s.y;
          if (s.x.length !== xSize || yv.length !== ySize) {
            throw new ValueError(
              `sample ${line} has ${s.x.length} x values and ${yv.length} y values; xShape [${options.xShape.join(',')}] ` +
                `and yShape [${options.yShape.join(',')}] need ${xSize} and ${ySize}.`,
              { field: 'xShape', value: options.xShape },
            );
          }
          xs.set(s.x, filled * xSize);
          ys.set(yv, filled * ySize);
          filled++;
          line++;
          if (filled === batchSize) {
            filled = 0;
            const batch = make(batchSize);
            current = keep ? [] : [batch.x, batch.y];
            yield batch;
            tf.dispose(current);
            current = [];
          }
        }
        if (filled > 0 && options.dropRemainder !== true) {
          const batch = make(filled);
          current = keep ? [] : [batch.x, batch.y];
          yield batch;
        }
      } finally {
        tf.dispose(current);
      }
    },
  };
}
