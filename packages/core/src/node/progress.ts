/**
 * Renders training events as progress bars in a terminal (with `cli-progress`), or as one plain
 * line per epoch when the output is not a terminal (CI logs, pipes).
 */
import cliProgress from 'cli-progress';
import { formatMetrics, type TrainingEvent, type TrainingListener } from '../events.js';

export interface RenderProgressOptions {
  /** Where to write; defaults to `process.stderr`. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Force bars (`true`) or plain lines (`false`); defaults to whether `stream` is a TTY. */
  bars?: boolean;
}

/** A listener that renders events; call `stop()` to clear the bar early (e.g. on Ctrl-C). */
export interface ProgressRenderer extends TrainingListener {
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
  let steps: number | undefined;
  let multibar: cliProgress.MultiBar | undefined;
  let bar: cliProgress.SingleBar | undefined;

  const line = (text: string): void => {
    if (multibar !== undefined) multibar.log(`${text}\n`);
    else stream.write(`${text}\n`);
  };
  const stop = (): void => {
    multibar?.stop();
    multibar = undefined;
    bar = undefined;
  };
  const epochLabel = (epoch: number): string =>
    `${label}epoch ${epoch + 1}${epochs === undefined ? '' : `/${epochs}`}`;

  const listener = (event: TrainingEvent): void => {
    switch (event.type) {
      case 'begin': {
        label = event.label === undefined ? '' : `${event.label} `;
        epochs = event.epochs;
        steps = event.steps;
        if (bars && (steps !== undefined || epochs !== undefined)) {
          multibar = new cliProgress.MultiBar(
            {
              stream: stream as NodeJS.WritableStream,
              format: '{prefix} |{bar}| {value}/{total} {metrics}',
              hideCursor: true,
              clearOnComplete: true,
              etaBuffer: 20,
            },
            cliProgress.Presets.shades_classic,
          );
          bar = multibar.create(steps ?? epochs ?? 0, 0, { prefix: epochLabel(0), metrics: '' });
        }
        return;
      }
      case 'batch':
        steps = event.steps ?? steps;
        if (bar !== undefined && steps !== undefined) {
          bar.setTotal(steps);
          bar.update(event.batch + 1, { prefix: epochLabel(event.epoch), metrics: formatMetrics(event.metrics) });
        }
        return;
      case 'epoch':
        epochs = event.epochs ?? epochs;
        line(`${epochLabel(event.epoch)} ${formatMetrics(event.metrics)}`.trimEnd());
        if (bar !== undefined) {
          if (steps === undefined) bar.update(event.epoch + 1, { metrics: formatMetrics(event.metrics) });
          else bar.update(0, { prefix: epochLabel(event.epoch + 1), metrics: '' });
        }
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
