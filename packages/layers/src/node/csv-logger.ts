/**
 * `CSVLogger`: one CSV row per epoch (Node; writes a file).
 */
import { appendFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ValueError, describeValue, type ConfigDict } from '@plasticity/core';
import { Callback, type Logs } from '../callbacks.js';

/** Quotes a CSV field when it holds the separator, a quote or a line break (RFC 4180). */
export function csvField(value: string, separator: string): string {
  return value.includes(separator) || /["\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Options of {@link CSVLogger}. */
export interface CSVLoggerConfig {
  /** The file to write. */
  filename: string;
  /** Field separator (default `','`). */
  separator?: string;
  /** Append to an existing file (its header is kept) instead of replacing it (default false). */
  append?: boolean;
}

/**
 * Writes the logs of every epoch to a CSV file, as Keras' `CSVLogger`: a header `epoch` + the log
 * keys of the first epoch (sorted), then one row per epoch (`epoch` counts from 0; a key missing
 * in a later epoch is written `NA`). With `append`, rows are added to an existing file and the
 * header is written only if the file is new or empty.
 *
 * @example
 * ```ts
 * import { CSVLogger } from '@plasticity/layers/node';
 * await model.fit(x, y, { epochs: 10, callbacks: [new CSVLogger({ filename: 'train.csv' })] });
 * ```
 */
export class CSVLogger extends Callback {
  static override readonly className = 'CSVLogger';
  /** Path of the CSV file. */
  readonly filename: string;
  /** Field separator. Default `','`. */
  readonly separator: string;
  /** Whether rows are appended to an existing file. Default false. */
  readonly append: boolean;
  private keys: string[] | undefined;
  private needsHeader = true;

  constructor(config: CSVLoggerConfig) {
    super();
    if (typeof config?.filename !== 'string' || config.filename === '') {
      throw new ValueError(`CSVLogger: filename must be a file path; got ${describeValue(config?.filename)}.`, {
        field: 'filename',
        value: config?.filename,
      });
    }
    const separator = config.separator ?? ',';
    if (typeof separator !== 'string' || separator.length !== 1 || /["\r\n]/.test(separator)) {
      throw new ValueError(
        `CSVLogger: separator must be one character other than a quote or a line break; got ${describeValue(separator)}.`,
        { field: 'separator', value: separator },
      );
    }
    this.filename = config.filename;
    this.separator = separator;
    this.append = config.append ?? false;
  }

  override async onTrainBegin(): Promise<void> {
    this.keys = undefined;
    await mkdir(dirname(this.filename), { recursive: true });
    if (this.append) {
      const size = await stat(this.filename).then(
        (s) => s.size,
        () => 0,
      );
      this.needsHeader = size === 0;
    } else {
      await writeFile(this.filename, '');
      this.needsHeader = true;
    }
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    let text = '';
    if (this.keys === undefined) {
      this.keys = Object.keys(logs).sort();
      if (this.needsHeader) text += this.row(['epoch', ...this.keys]);
    }
    text += this.row([String(epoch), ...this.keys.map((k) => (logs[k] === undefined ? 'NA' : String(logs[k])))]);
    await appendFile(this.filename, text);
  }

  private row(fields: string[]): string {
    return `${fields.map((f) => csvField(f, this.separator)).join(this.separator)}\n`;
  }

  override getConfig(): ConfigDict {
    return { filename: this.filename, separator: this.separator, append: this.append };
  }
}
