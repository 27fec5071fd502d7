/**
 * `@plasticity/datasets/node`: the Node-only parts (file system, CSV streaming, MovieLens,
 * downloads with checksum and cache).
 *
 * @packageDocumentation
 */
export { readIdxFile } from './idx-file.js';
export {
  DEFAULT_FASHION_MNIST_DIR,
  FASHION_MNIST_SUBSET_DIR,
  loadFashionMnist,
  loadFashionMnistSubset,
  type LoadFashionMnistOptions,
} from './fashion-mnist.js';
export { readCsv, type CsvColumnType, type CsvRecord, type CsvValue, type ReadCsvOptions } from './csv.js';
export {
  ML100K_GENRES,
  detectMovieLensFormat,
  loadMovieLens,
  ratingRecords,
  type MovieLensData,
  type MovieLensFormat,
  type MovieLensItem,
  type Rating,
  type RatingsTable,
} from './movielens.js';
export { download, hashFile, type DownloadOptions } from './download.js';
