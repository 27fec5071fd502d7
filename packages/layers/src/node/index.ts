/**
 * `@plasticity/layers/node`: the callbacks that need Node (files, terminals). The main entry stays
 * browser-safe.
 *
 * @example
 * ```ts
 * import { CSVLogger, ProgressBar } from '@plasticity/layers/node';
 * await model.fit(x, y, { epochs: 10, callbacks: [new ProgressBar(), new CSVLogger({ filename: 'log.csv' })] });
 * ```
 *
 * @packageDocumentation
 */
import { registerCallback } from '@plasticity/core';
import { CSVLogger } from './csv-logger.js';

export { CSVLogger, csvField, type CSVLoggerConfig } from './csv-logger.js';
export { ProgressBar, type ProgressBarOptions } from './progress-bar.js';

/** Registers the Node callbacks that can be serialized (CSVLogger). Idempotent. */
export function registerNodeCallbacks(): void {
  registerCallback(CSVLogger);
}
