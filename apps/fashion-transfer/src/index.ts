/**
 * Fashion-MNIST transfer-learning app: the experiment, its tables and its learning-curve chart,
 * importable by other apps (the root showcase runs it with a small budget).
 *
 * @packageDocumentation
 */
export { FIXTURE_DIR, indicesOf, loadFashion, resolveFashionDir, selectIndices, toTensors } from './data.js';
export type { FashionSplits, TransferIndices } from './data.js';
export {
  METHODS,
  METHOD_LABELS,
  SOURCE,
  TARGET,
  accuracy,
  cnn,
  runTransfer,
  type Method,
  type TransferOptions,
  type TransferResult,
  type TransferRow,
} from './experiment.js';
export { learningCurveSpec, learningCurveSvg } from './chart.js';
export { formatTable, meanStd, transferTable } from './table.js';
export { parseCli, type CliOptions } from './cli.js';
