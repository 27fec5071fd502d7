/**
 * `ProgressBar`: renders training progress in a terminal (Node).
 */
import { ProgressEmitter, type Metrics } from '@plasticity/core';
import { renderProgress, type ProgressRenderer, type RenderProgressOptions } from '@plasticity/core/node';
import { Callback, type Logs } from '../callbacks.js';

/** Options of {@link ProgressBar}: core's `renderProgress` options (`stream`, `bars`) plus a `label`. */
export interface ProgressBarOptions extends RenderProgressOptions {
  /** Shown before each line (default `'fit'`). */
  label?: string;
}

/**
 * Shows a progress bar per epoch with the batch count and the running loss and metrics, then one
 * line per epoch with its logs — core's training events rendered by `renderProgress`
 * (cli-progress). When the stream is not a terminal (CI logs, pipes) it prints only the epoch lines.
 *
 * @example
 * ```ts
 * import { ProgressBar } from '@plasticity/layers/node';
 * await model.fit(x, y, { epochs: 5, callbacks: [new ProgressBar()] });
 * // fit epoch 1/5 |██████████░░░░░░| 12/20 loss=0.4123 mae=0.5012
 * ```
 */
export class ProgressBar extends Callback {
  static override readonly className = 'ProgressBar';
  private readonly options: ProgressBarOptions;
  private emitter: ProgressEmitter | undefined;
  private renderer: ProgressRenderer | undefined;
  private epoch = 0;

  constructor(options: ProgressBarOptions = {}) {
    super();
    this.options = options;
  }

  override onTrainBegin(): void {
    this.renderer?.stop();
    this.emitter = new ProgressEmitter();
    this.renderer = renderProgress(this.options);
    this.emitter.on(this.renderer);
    this.emitter.emit({
      type: 'begin',
      label: this.options.label ?? 'fit',
      ...(this.params.epochs === undefined ? {} : { epochs: this.params.epochs }),
      ...(this.params.steps === undefined ? {} : { steps: this.params.steps }),
    });
  }

  override onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  override onBatchEnd(batch: number, logs: Logs = {}): void {
    this.emitter?.emit({
      type: 'batch',
      epoch: this.epoch,
      batch,
      ...(this.params.steps === undefined ? {} : { steps: this.params.steps }),
      metrics: logs as Metrics,
    });
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.emitter?.emit({
      type: 'epoch',
      epoch,
      ...(this.params.epochs === undefined ? {} : { epochs: this.params.epochs }),
      metrics: logs as Metrics,
    });
  }

  override onTrainEnd(logs: Logs = {}): void {
    const stopped = this.model?.stopTraining === true;
    this.emitter?.emit({ type: 'end', metrics: logs as Metrics, ...(stopped ? { stopped: true } : {}) });
    this.renderer?.stop();
    this.emitter = undefined;
    this.renderer = undefined;
  }
}
