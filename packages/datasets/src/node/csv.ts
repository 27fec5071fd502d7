/**
 * Streaming CSV with `csv-parse`: records arrive one at a time (constant memory), with header
 * handling, typed column conversion and errors that carry the line number.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { CsvError, parse, type Options as CsvParseOptions } from 'csv-parse';
import { ValueError, describeValue } from '@plasticity/core';
import { CsvParseError, DatasetNotFoundError } from '../errors.js';

/** How to convert one column: a built-in type, or a function of the raw string. */
export type CsvColumnType = 'string' | 'number' | 'int' | 'boolean' | ((raw: string) => unknown);

/** The value type a {@link CsvColumnType} produces. */
export type CsvValue<T extends CsvColumnType> = T extends 'number' | 'int'
  ? number
  : T extends 'boolean'
    ? boolean
    : T extends (raw: string) => infer R
      ? R
      : string;

/** Options of {@link readCsv}. */
export interface ReadCsvOptions<Types extends Record<string, CsvColumnType> = Record<string, CsvColumnType>> {
  /**
   * `true` (default): the first line names the columns. A list: these are the column names and
   * the file has no header line. `false`: records are string arrays.
   */
  columns?: boolean | string[];
  /** Conversion per column name (columns not listed stay strings). Needs named columns. */
  types?: Types;
  /** Field delimiter; default `','`. */
  delimiter?: string;
  /** Text encoding of a file or byte source; default `'utf8'` (`'latin1'` for old MovieLens files). */
  encoding?: BufferEncoding;
  /** Skip lines that are empty; default true. */
  skipEmptyLines?: boolean;
  /** Name used in error messages when the source is not a path. */
  name?: string;
}

/** A record with the converted types of the listed columns and strings elsewhere. */
export type CsvRecord<Types extends Record<string, CsvColumnType>> = {
  [K in keyof Types]: CsvValue<Types[K]>;
} & Record<string, unknown>;

const INT = /^[+-]?\d+$/;

function convert(raw: string, type: CsvColumnType, file: string, line: number, column: string): unknown {
  if (typeof type === 'function') return type(raw);
  switch (type) {
    case 'string':
      return raw;
    case 'number': {
      const v = raw.trim() === '' ? NaN : Number(raw);
      if (Number.isNaN(v) && raw.trim().toLowerCase() !== 'nan') {
        throw new CsvParseError(file, line, `column ${column}: ${describeValue(raw)} is not a number.`, column);
      }
      return v;
    }
    case 'int':
      if (!INT.test(raw.trim())) {
        throw new CsvParseError(file, line, `column ${column}: ${describeValue(raw)} is not an integer.`, column);
      }
      return Number.parseInt(raw, 10);
    case 'boolean': {
      const t = raw.trim().toLowerCase();
      if (t === 'true' || t === '1') return true;
      if (t === 'false' || t === '0') return false;
      throw new CsvParseError(
        file,
        line,
        `column ${column}: ${describeValue(raw)} is not a boolean (true/false/1/0).`,
        column,
      );
    }
    default:
      throw new ValueError(`unknown CSV column type ${describeValue(type)} for column ${column}.`, {
        field: 'types',
        value: type,
      });
  }
}

/**
 * Streams the records of a CSV file (a path, a Node readable, or any (async) iterable of text or
 * bytes) as an async iterable.
 *
 * @example
 * ```ts
 * for await (const r of readCsv('ratings.csv', { types: { userId: 'int', movieId: 'int', rating: 'number' } })) {
 *   r.rating; // number
 * }
 * ```
 * @throws CsvParseError with the 1-based line number for a malformed line (unclosed quote, wrong
 * number of fields) or a value that does not convert; DatasetNotFoundError for a missing file.
 */
export async function* readCsv<Types extends Record<string, CsvColumnType> = Record<string, never>>(
  source: string | Readable | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  options: ReadCsvOptions<Types> = {},
): AsyncGenerator<CsvRecord<Types>> {
  const file = options.name ?? (typeof source === 'string' ? source : '<csv stream>');
  const columns = options.columns ?? true;
  const types = options.types ?? ({} as Types);
  if (columns === false && Object.keys(types).length > 0) {
    throw new ValueError('readCsv: `types` needs named columns (columns: true or a list of names).', {
      field: 'types',
      value: Object.keys(types),
    });
  }
  let input: Readable;
  if (typeof source === 'string') {
    input = createReadStream(source);
    const opened = new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', reject);
    });
    try {
      await opened;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new DatasetNotFoundError(source, 'no such CSV file.', { cause: error });
      }
      throw error;
    }
  } else input = source instanceof Readable ? source : Readable.from(source, { objectMode: false });

  const parseOptions: CsvParseOptions = {
    columns: columns === true ? true : columns === false ? false : columns,
    delimiter: options.delimiter ?? ',',
    encoding: options.encoding ?? 'utf8',
    skip_empty_lines: options.skipEmptyLines ?? true,
    bom: true,
    // Tolerate files that mix Windows and Unix line ends.
    record_delimiter: ['\r\n', '\n'],
    info: true,
  };
  const parser = input.pipe(parse(parseOptions));
  input.once('error', (error) => parser.destroy(error));
  const typed = Object.entries(types);
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      const { record, info } = item;
      for (const [column, type] of typed) {
        if (!(column in record)) {
          throw new CsvParseError(
            file,
            info.lines,
            `no column ${describeValue(column)} (columns: ${Object.keys(record).join(', ')}).`,
            column,
          );
        }
        record[column] = convert(record[column]!, type as CsvColumnType, file, info.lines, column) as string;
      }
      yield record as CsvRecord<Types>;
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines ?? 0;
      throw new CsvParseError(file, line, error.message, undefined, {
        cause: error,
      });
    }
    throw error;
  } finally {
    input.destroy();
  }
}
