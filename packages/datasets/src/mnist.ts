/**
 * Image/label pairs of the MNIST family as plain typed arrays, and their conversion to tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue } from '@plasticity/core';
import { DatasetMismatchError, IdxFormatError } from './errors.js';
import type { IdxArray } from './idx.js';

/** `count` images of `rows × cols` pixels with their class labels. */
export interface ImageSet<Images extends Float32Array | Uint8Array = Float32Array | Uint8Array> {
  /** `[count, rows, cols]` row-major: raw bytes 0–255 (`raw: true`) or scaled to [0, 1]. */
  images: Images;
  /** `[count]` class indices. */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
  /** Image height in pixels (28 for MNIST). */
  rows: number;
  /** Image width in pixels (28 for MNIST). */
  cols: number;
}

/** The ten Fashion-MNIST classes, by label index. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Options of the image-set readers. */
export interface ImageSetOptions {
  /** Keep only the first `limit` samples. */
  limit?: number;
  /** Return the raw `Uint8Array` pixels instead of floats scaled to [0, 1]. Default false. */
  raw?: boolean;
}

/**
 * Pairs decoded IDX images (`ubyte [N, rows, cols]`) with labels (`ubyte [N]`).
 *
 * @throws IdxFormatError if either array has the wrong dtype or rank; DatasetMismatchError if the counts differ.
 */
export function imageSetFromIdx(
  images: IdxArray,
  labels: IdxArray,
  options: ImageSetOptions & { imagesName?: string; labelsName?: string } = {},
): ImageSet {
  const imagesName = options.imagesName ?? 'images';
  const labelsName = options.labelsName ?? 'labels';
  if (images.dtype !== 'ubyte' || images.shape.length !== 3) {
    throw new IdxFormatError(
      imagesName,
      'dtype',
      `expected ubyte images of shape [N, rows, cols]; got ${images.dtype} [${images.shape.join(',')}]. ` +
        'Did you swap the image and label files?',
    );
  }
  if (labels.dtype !== 'ubyte' || labels.shape.length !== 1) {
    throw new IdxFormatError(
      labelsName,
      'dtype',
      `expected ubyte labels of shape [N]; got ${labels.dtype} [${labels.shape.join(',')}]. ` +
        'Did you swap the image and label files?',
    );
  }
  const [n, rows, cols] = images.shape as [number, number, number];
  if (labels.shape[0] !== n) {
    throw new DatasetMismatchError(
      labelsName,
      `${labels.shape[0]} labels for ${n} images in ${imagesName}; the two files must come from the same split.`,
    );
  }
  const limit = options.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new ValueError(`limit must be a positive integer; got ${describeValue(limit)}.`, {
      field: 'limit',
      value: limit,
    });
  }
  const count = Math.min(n, limit ?? n);
  const pixels = (images.data as Uint8Array).subarray(0, count * rows * cols);
  let out: Float32Array | Uint8Array;
  if (options.raw === true) out = pixels.slice();
  else {
    out = new Float32Array(pixels.length);
    for (let i = 0; i < pixels.length; i++) out[i] = pixels[i]! / 255;
  }
  return { images: out, labels: (labels.data as Uint8Array).slice(0, count), count, rows, cols };
}

/** Options of {@link imageTensors}. */
export interface ImageTensorOptions {
  /** `'flat'`: x is `[N, rows*cols]`; `'image'`: x is `[N, rows, cols, 1]` (NHWC). Default `'flat'`. */
  layout?: 'flat' | 'image';
  /** `'onehot'`: y is float32 `[N, numClasses]`; `'int'`: y is int32 `[N]`. Default `'onehot'`. */
  labels?: 'onehot' | 'int';
  /** Number of classes for one-hot labels. Default 10. */
  numClasses?: number;
}

/**
 * Makes tensors from an {@link ImageSet}: `x` float32 (raw bytes are scaled to [0, 1]) and `y`.
 * The caller owns (and disposes) both.
 *
 * @example
 * ```ts
 * const { x, y } = imageTensors(set, { layout: 'image' }); // x [N,28,28,1], y [N,10]
 * await model.fit(x, y, { epochs: 5 });
 * tf.dispose([x, y]);
 * ```
 */
export function imageTensors(
  set: ImageSet,
  options: ImageTensorOptions = {},
): {
  /** Images: `[count, rows·cols]` (`layout: 'flat'`) or `[count, rows, cols, 1]` (`'image'`). */
  x: tf.Tensor;
  /** Labels: `[count, numClasses]` one-hot float32, or `[count]` int32 with `labels: 'int'`. */
  y: tf.Tensor;
} {
  const numClasses = options.numClasses ?? 10;
  const layout = options.layout ?? 'flat';
  const labels = options.labels ?? 'onehot';
  for (let i = 0; i < set.count; i++) {
    if (set.labels[i]! >= numClasses) {
      throw new ValueError(
        `label ${set.labels[i]} at sample ${i} is not below numClasses ${numClasses}; pass the right numClasses.`,
        { field: 'numClasses', value: numClasses },
      );
    }
  }
  let pixels: Float32Array;
  if (set.images instanceof Float32Array) pixels = set.images;
  else {
    pixels = new Float32Array(set.images.length);
    for (let i = 0; i < pixels.length; i++) pixels[i] = set.images[i]! / 255;
  }
  const shape = layout === 'flat' ? [set.count, set.rows * set.cols] : [set.count, set.rows, set.cols, 1];
  const x = tf.tensor(pixels, shape, 'float32');
  const y = tf.tidy(() => {
    const ints = tf.tensor1d(Int32Array.from(set.labels), 'int32');
    return labels === 'int' ? ints : tf.oneHot(ints, numClasses).toFloat();
  });
  return { x, y };
}
