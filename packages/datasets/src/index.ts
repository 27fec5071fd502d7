/**
 * `@plasticity/datasets`: dataset readers, seeded shuffling and batching. This entry is
 * browser-safe; file system, CSV, MovieLens and download helpers are in `@plasticity/datasets/node`.
 *
 * @example
 * ```ts
 * import { batches, imageTensors, readIdx } from '@plasticity/datasets';
 *
 * const labels = await readIdx(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 * const train = batches({ x, y, batchSize: 64, shuffle: true, seed: 1 });
 * await model.fit(train, { epochs: 3 });
 * ```
 *
 * @packageDocumentation
 */
export {
  ChecksumError,
  CsvParseError,
  DatasetMismatchError,
  DatasetNotFoundError,
  DownloadError,
  IdxFormatError,
  type IdxProblem,
} from './errors.js';
export {
  encodeIdx,
  gunzip,
  isGzip,
  parseIdx,
  parseIdxHeader,
  readIdx,
  type IdxArray,
  type IdxDataByType,
  type IdxDtype,
  type IdxHeader,
} from './idx.js';
export {
  FASHION_MNIST_CLASSES,
  imageSetFromIdx,
  imageTensors,
  type ImageSet,
  type ImageSetOptions,
  type ImageTensorOptions,
} from './mnist.js';
export {
  batches,
  batchesAsync,
  shuffle,
  type AsyncBatchesOptions,
  type BatchDataset,
  type BatchesOptions,
  type Sample,
  type TensorBatch,
  type TensorTree,
} from './batching.js';
