/**
 * The movie recommender app as a library (the CLI and tests use these).
 *
 * @packageDocumentation
 */
export {
  APP_DEFAULTS,
  DEFAULT_COMPARISON,
  RATING_PREDICTORS,
  canFoldIn,
  createAlgorithm,
  listAlgorithms,
} from './algorithms.js';
export {
  findMovie,
  generateDataset,
  loadDataset,
  toMovieLensCsv,
  type GenerateOptions,
  type Movie,
  type MovieDataset,
} from './data.js';
export {
  ML_LATEST_SMALL_MD5,
  ML_LATEST_SMALL_URL,
  downloadMovieLens,
  type DownloadMovieLensOptions,
  type DownloadResult,
} from './download.js';
export { compareAlgorithms, formatTable, subsetUsers, type AlgorithmScore, type CompareOptions } from './evaluate.js';
export { precisionAt } from './metrics.js';
export {
  AppError,
  MovieService,
  parseK,
  type AlgorithmInfo,
  type MovieResult,
  type ServiceOptions,
} from './service.js';
export { createServer, type ServerOptions } from './server.js';
export { defaultCacheDir, main, parseMd5Sums, resolveDataset, type CliIO } from './cli.js';
