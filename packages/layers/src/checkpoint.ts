/**
 * `ModelCheckpoint`: save the model, or only its weights, during training. It calls the model's
 * own `save` / `saveWeights` (as Keras' `ModelCheckpoint` calls `self.model.save`), so it imports
 * nothing from saving. Browser-safe: saving goes through IO URLs (`file://` in Node after
 * `registerFileRouter()`, `memory://`, `indexeddb://`, …), and the `file://` handler of
 * `@plasticity/core/node` writes atomically, so a crash or a failed save leaves the previous
 * checkpoint loadable.
 */
import { ValueError, describeValue, type ConfigDict } from '@plasticity/core';
import { Callback, monitorMode, readMonitor, type Logs } from './callbacks.js';

const PLACEHOLDER = /\{([A-Za-z_][\w]*)(?::([^}]*))?\}/g;

function formatValue(value: number, spec: string | undefined, template: string): string {
  if (spec === undefined || spec === '') return String(value);
  const m = /^(0)?(\d+)?(?:\.(\d+))?([dfe])$/.exec(spec);
  if (m === null) {
    throw new ValueError(
      `ModelCheckpoint: unsupported format spec ":${spec}" in filepath "${template}"; use d, f or e, e.g. ` +
        '{epoch:02d}, {val_loss:.4f}, {loss:.2e}.',
      { field: 'filepath', value: template },
    );
  }
  const [, zero, width, precision, type] = m;
  let text: string;
  if (type === 'd') text = String(Math.round(value));
  else if (type === 'f') text = value.toFixed(precision === undefined ? 6 : Number(precision));
  // Python writes at least two exponent digits (1.50e-03); JavaScript writes 1.50e-3.
  else text = value.toExponential(precision === undefined ? 6 : Number(precision)).replace(/e([+-])(\d)$/, 'e$10$2');
  const w = width === undefined ? 0 : Number(width);
  if (text.length >= w) return text;
  if (zero === undefined) return text.padStart(w, ' ');
  return text.startsWith('-') ? `-${text.slice(1).padStart(w - 1, '0')}` : text.padStart(w, '0');
}

/**
 * Fills a Keras-style checkpoint path: `{epoch}` (counting from 1), `{batch}` (within the epoch,
 * from 1, when saving every N batches) and any log key (`{val_loss:.4f}`), with Python format
 * specs `d`, `f` and `e` (`{epoch:03d}`, `{loss:.2e}`).
 */
export function formatCheckpointPath(template: string, values: Logs): string {
  return template.replace(PLACEHOLDER, (_match, key: string, spec: string | undefined) => {
    const value = values[key];
    if (value === undefined) {
      throw new ValueError(
        `ModelCheckpoint: filepath "${template}" uses {${key}}, which is not in the logs ` +
          `(${Object.keys(values).join(', ')}).`,
        { field: 'filepath', value: key },
      );
    }
    return formatValue(value, spec, template);
  });
}

/** Options of {@link ModelCheckpoint} (Keras names). */
export interface ModelCheckpointConfig {
  /** Where to save: an IO URL, with optional placeholders: `'file://./ckpt/epoch-{epoch:02d}-{val_loss:.3f}'`. */
  filepath: string;
  /** The log value that decides "best" (default `'val_loss'`). */
  monitor?: string;
  /** Whether lower or higher `monitor` is better; `'auto'` picks max for accuracy-like names. */
  mode?: 'auto' | 'min' | 'max';
  /** Save only when `monitor` improves on the best value so far (default false: save every time). */
  saveBestOnly?: boolean;
  /** Save only the weights (`model.saveWeights`) instead of the whole model with its optimizer state. */
  saveWeightsOnly?: boolean;
  /** `'epoch'` (default) or a number of batches between saves. */
  saveFreq?: 'epoch' | number;
}

/**
 * Saves the model during training (Keras' `ModelCheckpoint`), through `model.save` (architecture,
 * weights, optimizer state: training can resume) or, with `saveWeightsOnly`, `model.saveWeights`.
 * A failed save fails the `fit` call; the `file://` handler writes atomically, so the previous
 * checkpoint stays loadable.
 *
 * @example
 * ```ts
 * registerFileRouter(); // from '@plasticity/core/node'
 * await model.fit(x, y, {
 *   epochs: 20,
 *   validationSplit: 0.2,
 *   callbacks: [new ModelCheckpoint({ filepath: 'file://./ckpt/best', saveBestOnly: true })],
 * });
 * const best = await loadModel('file://./ckpt/best');
 * ```
 */
export class ModelCheckpoint extends Callback {
  static override readonly className = 'ModelCheckpoint';
  /** IO URL template of each save, with `{epoch}`, `{batch}` and log-key placeholders. */
  readonly filepath: string;
  /** The log key compared with `saveBestOnly`. Default `'val_loss'`. */
  readonly monitor: string;
  /** Whether lower or higher `monitor` is better (`'auto'` resolved from the key's name). */
  readonly mode: 'min' | 'max';
  /** Whether to save only when `monitor` improves. Default false. */
  readonly saveBestOnly: boolean;
  /** Whether to save weights alone (read back with `loadWeights`). Default false. */
  readonly saveWeightsOnly: boolean;
  /** `'epoch'` (default) or a number of batches between saves. */
  readonly saveFreq: 'epoch' | number;
  /** The best `monitor` value seen so far (kept across `fit` calls, as Keras). */
  best: number;
  /** The paths written, in order. */
  readonly saved: string[] = [];
  private epoch = 0;
  private batchesSeen = 0;

  constructor(config: ModelCheckpointConfig) {
    super();
    if (typeof config?.filepath !== 'string' || config.filepath === '') {
      throw new ValueError(
        `ModelCheckpoint: filepath must be an IO URL such as 'file://./ckpt/epoch-{epoch}'; got ${describeValue(config?.filepath)}.`,
        { field: 'filepath', value: config?.filepath },
      );
    }
    const mode = config.mode ?? 'auto';
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') {
      throw new ValueError(`ModelCheckpoint: mode must be 'auto', 'min' or 'max'; got ${describeValue(mode)}.`, {
        field: 'mode',
        value: mode,
      });
    }
    const saveFreq = config.saveFreq ?? 'epoch';
    if (saveFreq !== 'epoch' && !(Number.isInteger(saveFreq) && saveFreq > 0)) {
      throw new ValueError(
        `ModelCheckpoint: saveFreq must be 'epoch' or a positive number of batches; got ${describeValue(saveFreq)}.`,
        { field: 'saveFreq', value: saveFreq },
      );
    }
    this.filepath = config.filepath;
    this.monitor = config.monitor ?? 'val_loss';
    this.mode = monitorMode(this.monitor, mode);
    this.saveBestOnly = config.saveBestOnly ?? false;
    this.saveWeightsOnly = config.saveWeightsOnly ?? false;
    this.saveFreq = saveFreq;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  override onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  override async onBatchEnd(batch: number, logs: Logs = {}): Promise<void> {
    if (this.saveFreq === 'epoch') return;
    this.batchesSeen++;
    if (this.batchesSeen % this.saveFreq === 0) await this.save({ ...logs, epoch: this.epoch + 1, batch: batch + 1 });
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    this.epoch = epoch;
    if (this.saveFreq === 'epoch') await this.save({ ...logs, epoch: epoch + 1 });
  }

  private async save(values: Logs): Promise<void> {
    if (this.saveBestOnly) {
      const value = readMonitor('ModelCheckpoint', this.monitor, values);
      if (value === undefined) return;
      const better = this.mode === 'min' ? value < this.best : value > this.best;
      if (!better) return;
      this.best = value;
    }
    const path = formatCheckpointPath(this.filepath, values);
    const model = this.model!;
    if (this.saveWeightsOnly) await model.saveWeights(path);
    else await model.save(path);
    this.saved.push(path);
  }

  override getConfig(): ConfigDict {
    return {
      filepath: this.filepath,
      monitor: this.monitor,
      mode: this.mode,
      saveBestOnly: this.saveBestOnly,
      saveWeightsOnly: this.saveWeightsOnly,
      saveFreq: this.saveFreq,
    };
  }
}
