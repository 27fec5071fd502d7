/**
 * The training-event contract: what long-running work (fit, cross-validation, grid search,
 * fine-tuning) reports while it runs. Producers emit through a {@link ProgressEmitter}; Node apps
 * render the events as progress bars (`renderProgress` in `@plasticity/core/node`), browser apps as
 * charts.
 *
 * @example
 * ```ts
 * const progress = new ProgressEmitter();
 * progress.on((e) => { if (e.type === 'epoch') console.log(e.epoch, e.metrics.loss); });
 * progress.emit({ type: 'begin', label: 'train', epochs: 3, steps: 10 });
 * ```
 */
import { ValueError, describeValue } from './errors.js';

/** Named scalar values, e.g. `{ loss: 0.31, val_loss: 0.4 }`. */
export type Metrics = Readonly<Record<string, number>>;

/** The run starts. `epochs` and `steps` (per epoch) are totals when known. */
export interface BeginEvent {
  /** Event type. */
  type: 'begin';
  /** What runs, e.g. `'fit'`, `'cross-validation'`. */
  label?: string;
  /** Planned epochs, when known. */
  epochs?: number;
  /** Planned batches per epoch, when known. */
  steps?: number;
}

/** One batch (step) finished. `batch` counts from 0 within the epoch. */
export interface BatchEvent {
  /** Event type. */
  type: 'batch';
  /** Epoch of the batch, from 0. */
  epoch: number;
  /** Batch within the epoch, from 0. */
  batch: number;
  /** Steps in this epoch when known. */
  steps?: number;
  /** The batch's loss and metrics by name. */
  metrics: Metrics;
}

/** One epoch finished. `epoch` counts from 0. */
export interface EpochEvent {
  /** Event type. */
  type: 'epoch';
  /** The epoch that ended, from 0. */
  epoch: number;
  /** Planned epochs, when known. */
  epochs?: number;
  /** The epoch's loss, metrics and `val_*` values by name. */
  metrics: Metrics;
}

/** The run ended: normally, stopped early (`stopped: true`), or with an error. */
export interface EndEvent {
  /** Event type. */
  type: 'end';
  /** The last epoch's metrics. */
  metrics?: Metrics;
  /** Whether training stopped early (a callback set `stopTraining`). */
  stopped?: boolean;
  /** The error message when training failed. */
  error?: string;
}

/** Any training event, discriminated by `type`. */
export type TrainingEvent = BeginEvent | BatchEvent | EpochEvent | EndEvent;

/** A function that receives training events (e.g. `renderProgress()` from `@plasticity/core/node`). */
export type TrainingListener = (event: TrainingEvent) => void;

function checkCount(value: unknown, field: string, allowUndefined: boolean): void {
  if (value === undefined && allowUndefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ValueError(`Training event field ${field} must be a non-negative integer; got ${describeValue(value)}.`, {
      field,
      value,
    });
  }
}

function checkMetrics(metrics: unknown, field: string): void {
  if (metrics === null || typeof metrics !== 'object') {
    throw new ValueError(`Training event ${field} must be an object of numbers; got ${describeValue(metrics)}.`, {
      field,
      value: metrics,
    });
  }
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== 'number') {
      throw new ValueError(`Metric ${name} must be a number; got ${describeValue(value)}.`, {
        field: `${field}.${name}`,
        value,
      });
    }
  }
}

/** Throws a {@link ValueError} if `event` breaks the contract (wrong type, negative counts, …). */
export function validateTrainingEvent(event: TrainingEvent): void {
  switch (event?.type) {
    case 'begin':
      checkCount(event.epochs, 'epochs', true);
      checkCount(event.steps, 'steps', true);
      return;
    case 'batch':
      checkCount(event.epoch, 'epoch', false);
      checkCount(event.batch, 'batch', false);
      checkCount(event.steps, 'steps', true);
      checkMetrics(event.metrics, 'metrics');
      return;
    case 'epoch':
      checkCount(event.epoch, 'epoch', false);
      checkCount(event.epochs, 'epochs', true);
      checkMetrics(event.metrics, 'metrics');
      return;
    case 'end':
      if (event.metrics !== undefined) checkMetrics(event.metrics, 'metrics');
      return;
    default:
      throw new ValueError(
        `Unknown training event type ${describeValue((event as { type?: unknown })?.type)}; ` +
          `expected begin, batch, epoch or end.`,
        { field: 'type', value: (event as { type?: unknown })?.type },
      );
  }
}

/**
 * Delivers training events to listeners, in registration order. A listener that throws does not
 * stop the others or the training; its error is rethrown after every listener ran.
 */
export class ProgressEmitter {
  private readonly listeners = new Set<TrainingListener>();

  /** Adds a listener; returns the function that removes it. */
  on(listener: TrainingListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** How many listeners are attached. */
  get size(): number {
    return this.listeners.size;
  }

  /** Validates `event` and delivers it to every listener. */
  emit(event: TrainingEvent): void {
    validateTrainingEvent(event);
    let firstError: unknown;
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        firstError ??= error;
      }
    }
    if (firstError !== undefined) throw firstError;
  }
}

/** Formats metrics as `loss=0.3100 acc=0.9000` (4 significant decimals, sorted as given). */
export function formatMetrics(metrics: Metrics | undefined): string {
  if (metrics === undefined) return '';
  return Object.entries(metrics)
    .map(([name, value]) => `${name}=${Number.isFinite(value) ? value.toFixed(4) : String(value)}`)
    .join(' ');
}
