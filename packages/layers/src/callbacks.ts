/**
 * Training callbacks (kind `callback`). A callback sees the model and the logs of every batch and
 * epoch; `model.stopTraining = true` ends `fit` after the current epoch.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ProgressEmitter,
  ValueError,
  describeValue,
  registerCallback,
  type ConfigDict,
  type Serializable,
  type TrainingListener,
} from '@plasticity/core';
import { PlateauTracker } from '@plasticity/optimizers';
import type { Model } from './model.js';

/** Named numbers: `{ loss, acc, val_loss, val_acc }`. */
export type Logs = Record<string, number>;

/** What a callback's {@link Callback.params} holds: the run's plan, each field only when known. */
export interface CallbackParams {
  /** Epochs the run goes up to (`fit`'s `epochs`). */
  epochs?: number;
  /** Batches per epoch (from the tensor data's size and `batchSize`, or `stepsPerEpoch`). */
  steps?: number;
}

/** Base class of callbacks: override the hooks you need. */
export class Callback implements Serializable {
  /** The registered name this callback saves under. */
  static readonly className: string = 'Callback';
  /** Set by `fit` (or a custom loop) before `onTrainBegin`. */
  model: Model | undefined;
  /** The run's planned epochs and steps per epoch when known (set with the model). */
  params: CallbackParams = {};
  /** Attaches the model being trained; `fit` calls it before `onTrainBegin`. */
  setModel(model: Model): void {
    this.model = model;
  }
  /** Called once before the first epoch. */
  onTrainBegin(_logs?: Logs): void | Promise<void> {}
  /** Called once after the last epoch (or after training stopped), with the last epoch's logs. */
  onTrainEnd(_logs?: Logs): void | Promise<void> {}
  /** Called at the start of epoch `epoch` (from 0). */
  onEpochBegin(_epoch: number, _logs?: Logs): void | Promise<void> {}
  /** Called at the end of epoch `epoch` with its logs (`loss`, metrics, `val_*`). */
  onEpochEnd(_epoch: number, _logs?: Logs): void | Promise<void> {}
  /** Called before batch `batch` (from 0 in each epoch). */
  onBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  /** Called after batch `batch` with its logs (`loss`, metrics). */
  onBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
  /** The options that rebuild this callback (JSON-safe). */
  getConfig(): ConfigDict {
    return {};
  }
}

/**
 * Runs a list of callbacks and emits core training events, for `fit` and for custom training
 * loops alike.
 *
 * @example
 * ```ts
 * const callbacks = new CallbackList([new History(), new EarlyStopping({ patience: 3 })], { model, epochs: 10, steps: 100 });
 * await callbacks.trainBegin();
 * for (let epoch = 0; epoch < 10 && !model.stopTraining; epoch++) {
 *   await callbacks.epochBegin(epoch);
 *   for (let b = 0; b < 100; b++) { … ; await callbacks.batchEnd(epoch, b, { loss }); }
 *   await callbacks.epochEnd(epoch, { loss });
 * }
 * await callbacks.trainEnd();
 * ```
 */
export class CallbackList {
  /** The callbacks, called in order. */
  readonly callbacks: Callback[];
  /** Emits core training events (`trainBegin`, `epoch`, `batch`, …) to progress listeners. */
  readonly progress: ProgressEmitter;
  private readonly epochs: number | undefined;
  private readonly steps: number | undefined;
  private stopped = false;
  private lastLogs: Logs = {};

  constructor(
    callbacks: readonly Callback[],
    options: {
      model: Model;
      epochs?: number;
      steps?: number;
      progress?: ProgressEmitter | TrainingListener;
      label?: string;
    },
  ) {
    this.callbacks = [...callbacks];
    for (const cb of this.callbacks) {
      cb.setModel(options.model);
      cb.params = {
        ...(options.epochs === undefined ? {} : { epochs: options.epochs }),
        ...(options.steps === undefined ? {} : { steps: options.steps }),
      };
    }
    if (options.progress instanceof ProgressEmitter) this.progress = options.progress;
    else {
      this.progress = new ProgressEmitter();
      if (options.progress !== undefined) this.progress.on(options.progress);
    }
    this.epochs = options.epochs;
    this.steps = options.steps;
    this.label = options.label;
  }
  private readonly label: string | undefined;

  /** Emits the begin event and calls every `onTrainBegin`. */
  async trainBegin(): Promise<void> {
    this.progress.emit({
      type: 'begin',
      ...(this.label === undefined ? {} : { label: this.label }),
      ...(this.epochs === undefined ? {} : { epochs: this.epochs }),
      ...(this.steps === undefined ? {} : { steps: this.steps }),
    });
    for (const cb of this.callbacks) await cb.onTrainBegin();
  }
  /** Calls every `onEpochBegin`. */
  async epochBegin(epoch: number): Promise<void> {
    for (const cb of this.callbacks) await cb.onEpochBegin(epoch);
  }
  /** Calls every `onBatchBegin`. */
  async batchBegin(batch: number): Promise<void> {
    for (const cb of this.callbacks) await cb.onBatchBegin(batch);
  }
  /** Calls every `onBatchEnd` and emits a batch event with `logs`. */
  async batchEnd(epoch: number, batch: number, logs: Logs): Promise<void> {
    this.progress.emit({
      type: 'batch',
      epoch,
      batch,
      ...(this.steps === undefined ? {} : { steps: this.steps }),
      metrics: logs,
    });
    for (const cb of this.callbacks) await cb.onBatchEnd(batch, logs);
  }
  /** Calls every `onEpochEnd` and emits an epoch event with `logs`. */
  async epochEnd(epoch: number, logs: Logs): Promise<void> {
    this.lastLogs = logs;
    for (const cb of this.callbacks) await cb.onEpochEnd(epoch, logs);
    this.progress.emit({
      type: 'epoch',
      epoch,
      ...(this.epochs === undefined ? {} : { epochs: this.epochs }),
      metrics: logs,
    });
  }
  /** Marks that training stopped before the planned number of epochs. */
  markStopped(): void {
    this.stopped = true;
  }
  /** Calls every `onTrainEnd` and emits the end event (with `error` when training failed). */
  async trainEnd(error?: unknown): Promise<void> {
    for (const cb of this.callbacks) await cb.onTrainEnd(this.lastLogs);
    this.progress.emit({
      type: 'end',
      metrics: this.lastLogs,
      ...(this.stopped ? { stopped: true } : {}),
      ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
    });
  }
}

/** Records every epoch's logs: `history.history.loss[epoch]`. */
export class History extends Callback {
  /** Registered name: `History`. */
  static override readonly className = 'History';
  /** The epochs seen, from 0. */
  readonly epoch: number[] = [];
  /** Every log key's values, one per epoch: `history.loss[epoch]`. */
  readonly history: Record<string, number[]> = {};
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

type Mode = 'min' | 'max' | 'auto';

/** `'auto'` → `'max'` for accuracy-like metrics, else `'min'`. */
export function monitorMode(monitor: string, mode: Mode): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /acc|auc|precision|recall|r2/.test(monitor) ? 'max' : 'min';
}

/**
 * The value of `monitor` in `logs`; undefined (with a console warning naming `owner`) when it is missing.
 */
export function readMonitor(owner: string, monitor: string, logs: Logs | undefined): number | undefined {
  const value = logs?.[monitor];
  if (value === undefined) {
    console.warn(`${owner}: metric "${monitor}" is not in the logs (${Object.keys(logs ?? {}).join(', ')}); skipping.`);
  }
  return value;
}

/**
 * Stops training when `monitor` has not improved by `minDelta` for `patience` epochs; with
 * `restoreBestWeights`, puts back the weights of the best epoch (TF.js throws "not implemented")
 * and says so: `restoredEpoch` holds that epoch and `log` gets a line (as Keras's
 * "Restoring model weights from the end of the best epoch: 3.").
 *
 * Args (config):
 * - `monitor`: the log to watch (default `'val_loss'`; any name a step returns, e.g. `'g_loss'`).
 * - `minDelta`: the least change that counts as an improvement (default 0).
 * - `patience`: epochs without improvement before stopping (default 0).
 * - `mode`: `'min'`, `'max'` or `'auto'` (default: `'max'` for accuracy-like names).
 * - `baseline`: stop unless the monitor beats this value.
 * - `restoreBestWeights`: when it stops, restore the weights of the best epoch (default false).
 * - `log`: where the restore line goes (default `console.info`; `false` for silence).
 *
 * @example
 * ```ts
 * const stop = new EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true });
 * await model.fit(x, y, { epochs: 100, validationSplit: 0.2, callbacks: [stop] });
 * stop.restoredEpoch; // e.g. 7 (counting from 0), undefined when nothing was restored
 * ```
 */
export class EarlyStopping extends Callback {
  /** Registered name: `EarlyStopping`. */
  static override readonly className = 'EarlyStopping';
  /** The log key watched. Default `'val_loss'`. */
  readonly monitor: string;
  /** Smallest change that counts as an improvement. Default 0. */
  readonly minDelta: number;
  /** Epochs without improvement before stopping. Default 0. */
  readonly patience: number;
  /** Whether lower (`'min'`) or higher (`'max'`) is better; `'auto'` picks from the key's name. */
  readonly mode: 'min' | 'max';
  /** Training stops unless `monitor` beats this value within `patience` epochs. Default none. */
  readonly baseline: number | undefined;
  /** Whether the best epoch's weights are put back at the end. Default false. */
  readonly restoreBestWeights: boolean;
  /** The epoch training stopped at, or 0. */
  stoppedEpoch = 0;
  /** The epoch (from 0) with the best monitored value so far. */
  bestEpoch = 0;
  /** The epoch (from 0) whose weights were restored at the end of the last run, if any. */
  restoredEpoch: number | undefined;
  private readonly log: ((line: string) => void) | false;
  private best = Infinity;
  private wait = 0;
  private bestWeights: tf.Tensor[] | undefined;

  constructor(
    config: {
      monitor?: string;
      minDelta?: number;
      patience?: number;
      mode?: Mode;
      baseline?: number;
      restoreBestWeights?: boolean;
      log?: ((line: string) => void) | false;
    } = {},
  ) {
    super();
    this.log = config.log ?? ((line: string) => console.info(line));
    this.monitor = config.monitor ?? 'val_loss';
    this.minDelta = Math.abs(config.minDelta ?? 0);
    this.patience = config.patience ?? 0;
    this.mode = monitorMode(this.monitor, config.mode ?? 'auto');
    this.baseline = config.baseline;
    this.restoreBestWeights = config.restoreBestWeights ?? false;
    if (!Number.isInteger(this.patience) || this.patience < 0) {
      throw new ValueError(`EarlyStopping: patience must be an integer >= 0; got ${describeValue(this.patience)}.`, {
        field: 'patience',
        value: this.patience,
      });
    }
  }

  private improved(value: number, reference: number): boolean {
    return this.mode === 'min' ? value < reference - this.minDelta : value > reference + this.minDelta;
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.bestEpoch = 0;
    this.restoredEpoch = undefined;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.disposeBest();
  }

  override onEpochEnd(epoch: number, logs?: Logs): void {
    const value = readMonitor('EarlyStopping', this.monitor, logs);
    if (value === undefined) return;
    if (this.restoreBestWeights && this.bestWeights === undefined) this.bestWeights = this.model!.getWeights();
    this.wait++;
    if (this.improved(value, this.best)) {
      this.best = value;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) {
        this.disposeBest();
        this.bestWeights = this.model!.getWeights();
      }
      if (this.baseline === undefined || this.improved(value, this.baseline)) this.wait = 0;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
    }
  }

  override onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights !== undefined && this.stoppedEpoch > 0) {
      this.model!.setWeights(this.bestWeights);
      this.restoredEpoch = this.bestEpoch;
      if (this.log !== false) {
        this.log(
          `EarlyStopping: restored the weights of the best epoch, ${this.bestEpoch + 1} ` +
            `(${this.monitor} = ${this.best}); training stopped at epoch ${this.stoppedEpoch + 1}.`,
        );
      }
    }
    this.disposeBest();
  }

  private disposeBest(): void {
    if (this.bestWeights !== undefined) tf.dispose(this.bestWeights);
    this.bestWeights = undefined;
  }

  override getConfig(): ConfigDict {
    return {
      monitor: this.monitor,
      minDelta: this.minDelta,
      patience: this.patience,
      mode: this.mode,
      restoreBestWeights: this.restoreBestWeights,
      ...(this.baseline === undefined ? {} : { baseline: this.baseline }),
    };
  }
}

/** Multiplies the learning rate by `factor` when `monitor` plateaus (PyTorch/Keras semantics). */
export class ReduceLROnPlateau extends Callback {
  /** Registered name: `ReduceLROnPlateau`. */
  static override readonly className = 'ReduceLROnPlateau';
  /**
   * The log key watched. Default `'val_loss'`; options also `factor` (0.1), `patience` (10), `minDelta` (1e-4), `cooldown` (0), `minLearningRate` (0), `mode`.
   */
  readonly monitor: string;
  private readonly tracker: PlateauTracker;
  constructor(
    config: {
      monitor?: string;
      factor?: number;
      patience?: number;
      mode?: Mode;
      minDelta?: number;
      cooldown?: number;
      minLearningRate?: number;
    } = {},
  ) {
    super();
    this.monitor = config.monitor ?? 'val_loss';
    this.tracker = new PlateauTracker({
      mode: monitorMode(this.monitor, config.mode ?? 'auto'),
      factor: config.factor ?? 0.1,
      patience: config.patience ?? 10,
      threshold: config.minDelta ?? 1e-4,
      thresholdMode: 'abs',
      cooldown: config.cooldown ?? 0,
      minLearningRate: config.minLearningRate ?? 0,
    });
  }
  override onEpochEnd(_epoch: number, logs?: Logs): void {
    const value = readMonitor('ReduceLROnPlateau', this.monitor, logs);
    const optimizer = this.model?.optimizer;
    if (value === undefined || optimizer === undefined) return;
    const lr = optimizer.currentLearningRate();
    const next = this.tracker.update(value, lr);
    if (next !== lr && lr > 0) optimizer.learningRateScale *= next / lr;
    if (logs !== undefined) logs['lr'] = optimizer.currentLearningRate();
  }
}

/** Sets the learning rate at the start of each epoch from `schedule(epoch, currentLr)`. */
export class LearningRateScheduler extends Callback {
  /** Registered name: `LearningRateScheduler`. */
  static override readonly className = 'LearningRateScheduler';
  constructor(private readonly schedule: (epoch: number, learningRate: number) => number) {
    super();
  }
  override onEpochBegin(epoch: number): void {
    const optimizer = this.model?.optimizer;
    if (optimizer === undefined) return;
    const current = optimizer.currentLearningRate();
    const next = this.schedule(epoch, current);
    if (!(Number.isFinite(next) && next >= 0)) {
      throw new ValueError(`LearningRateScheduler: the schedule returned ${describeValue(next)} for epoch ${epoch}.`, {
        field: 'learningRate',
        value: next,
      });
    }
    const base = optimizer.learningRate.valueAt(optimizer.iterations);
    optimizer.learningRateScale = base === 0 ? 1 : next / base;
  }
}

/** Stops training as soon as the batch loss is NaN or infinite. */
export class TerminateOnNaN extends Callback {
  /** Registered name: `TerminateOnNaN`. */
  static override readonly className = 'TerminateOnNaN';
  override onBatchEnd(batch: number, logs?: Logs): void {
    const loss = logs?.['loss'];
    if (loss !== undefined && !Number.isFinite(loss)) {
      console.warn(`TerminateOnNaN: batch ${batch} has loss ${loss}; stopping.`);
      this.model!.stopTraining = true;
    }
  }
}

/** Registers the built-in callbacks with core (idempotent). */
export function registerBuiltinCallbacks(): void {
  for (const cls of [History, EarlyStopping, ReduceLROnPlateau, TerminateOnNaN]) registerCallback(cls);
}
