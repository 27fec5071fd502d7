/**
 * Renders training events as progress bars in a terminal (with `cli-progress`), or as one plain
 * line per epoch when the output is not a terminal (CI logs, pipes).
 */
import cliProgress from 'cli-progress';
import { formatMetrics, type TrainingEvent, type TrainingListener } from '../events.js';

/** Options of `renderProgress(options)`. */
export interface RenderProgressOptions {
  /** Where to write; defaults to `process.stderr`. */
  stream?: NodeJS.WritableStream & {
    /** Whether it is a terminal (bars), or not (plain lines). */
    isTTY?: boolean;
  };
  /** Force bars (`true`) or plain lines (`false`); defaults to whether `stream` is a TTY. */
  bars?: boolean;
}

/** A listener that renders events; call `stop()` to clear the bar early (e.g. on Ctrl-C). */
export interface ProgressRenderer extends TrainingListener {
  /** Ends the current bar and clears it. */
  stop(): void;
}

/**
 * Creates a progress renderer to attach to a `ProgressEmitter`.
 *
 * @example
 * ```ts
 * const progress = new ProgressEmitter();
 * progress.on(renderProgress());
 * await fit(model, data, { progress });
 * ```
 */
export function renderProgress(options: RenderProgressOptions = {}): ProgressRenderer {
  const stream = options.stream ?? process.stderr;
  const bars = options.bars ?? stream.isTTY === true;
  let label = '';
  let epochs: number | undefined;
  let bar: cliProgress.SingleBar | undefined;

  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  const epochLabel = (epoch: number): string => `${label}epoch ${epoch + 1}${epochs === undefined ? '' : `/${epochs}`}`;

  const listener = (event: TrainingEvent): void => {
    switch (event.type) {
      case 'begin':
        stop();
        label = event.label === undefined ? '' : `${event.label} `;
        epochs = event.epochs;
        return;
      case 'batch': {
        if (!bars || event.steps === undefined) return;
        const payload = { prefix: epochLabel(event.epoch), metrics: formatMetrics(event.metrics) };
        if (bar === undefined) {
          // One bar per epoch, cleared when the epoch's summary line is printed.
          bar = new cliProgress.SingleBar(
            {
              stream: stream as NodeJS.WritableStream,
              format: '{prefix} |{bar}| {value}/{total} {metrics}',
              hideCursor: true,
              clearOnComplete: true,
              barsize: 30,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(event.steps, 0, payload);
        }
        bar.setTotal(event.steps);
        bar.update(event.batch + 1, payload);
        return;
      }
      case 'epoch':
        epochs = event.epochs ?? epochs;
        stop();
        stream.write(`${`${epochLabel(event.epoch)} ${formatMetrics(event.metrics)}`.trimEnd()}\n`);
        return;
      case 'end': {
        stop();
        const status = event.error !== undefined ? `failed: ${event.error}` : event.stopped ? 'stopped early' : 'done';
        stream.write(`${label}${status}${event.metrics === undefined ? '' : ` ${formatMetrics(event.metrics)}`}\n`);
        return;
      }
    }
  };
  return Object.assign(listener, { stop });
}
