/**
 * Streaming CSV with `csv-parse`: records arrive one at a time (constant memory), with header
 * handling, typed column conversion and errors that carry the line number.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { CsvError, parse, type Options as CsvParseOptions } from 'csv-parse';
import { ValueError, describeValue } from '@plasticity/core';
import { CsvParseError, DatasetNotFoundError } from '../errors.js';

/**
 * How to convert one column: a built-in type, or a function of the raw string (an error it throws
 * becomes a {@link CsvParseError} naming the file, line and column, with the error as `cause`).
 */
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

/** A field for an error message, abbreviated when long (a 2-million-digit field must not fill the log). */
export function describeField(raw: string): string {
  return raw.length <= 40 ? describeValue(raw) : `${describeValue(`${raw.slice(0, 24)}…`)} (${raw.length} characters)`;
}

/**
 * Parses a decimal integer field: optional sign, digits, surrounding spaces ignored, so `"01"`,
 * `"+1"` and `" 1 "` all give 1. Undefined when `raw` is not such an integer.

 */
export function parseDecimalInt(raw: string): number | undefined {
  const t = raw.trim();
  return INT.test(t) ? Number.parseInt(t, 10) : undefined;
}

function convert(raw: string, type: CsvColumnType, file: string, line: number, column: string): unknown {
  if (typeof type === 'function') {
    try {
      return type(raw);
    } catch (error) {
      if (error instanceof CsvParseError) throw error;
      const why = error instanceof Error ? error.message : String(error);
      throw new CsvParseError(file, line, `column ${column}: ${describeField(raw)}: ${why}`, column, { cause: error });
    }
  }
  switch (type) {
    case 'string':
      return raw;
    case 'number': {
      const v = raw.trim() === '' ? NaN : Number(raw);
      if (Number.isNaN(v) && raw.trim().toLowerCase() !== 'nan') {
        throw new CsvParseError(file, line, `column ${column}: ${describeField(raw)} is not a number.`, column);
      }
      if (!Number.isFinite(v)) {
        throw new CsvParseError(
          file,
          line,
          `column ${column}: ${describeField(raw)} is not a finite number. To keep NaN or Infinity, give the ` +
            'column a function type, e.g. (raw) => Number(raw).',
          column,
        );
      }
      return v;
    }
    case 'int': {
      const v = parseDecimalInt(raw);
      if (v === undefined) {
        throw new CsvParseError(file, line, `column ${column}: ${describeField(raw)} is not an integer.`, column);
      }
      if (!Number.isSafeInteger(v)) {
        throw new CsvParseError(
          file,
          line,
          `column ${column}: ${describeField(raw)} is outside the safe integer range ±(2^53 − 1) and would lose ` +
            "digits. Read it as 'string', or with a function type such as (raw) => BigInt(raw).",
          column,
        );
      }
      return v;
    }
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
 * Conversions: `'number'` accepts finite numbers only (`NaN`, `Infinity` and overflowing values
 * such as `1e309` are errors); `'int'` accepts decimal integers within ±(2^53 − 1) (`01`, `+1` and
 * ` 1 ` are all 1; `1.0`, `1e0` and `0x1` are errors); quoting does not change a value (`"1"` and
 * `1` are the same field). With a header, every typed column must be in it, and an empty source is
 * an error (an empty file is not "0 records" of a file that must name its columns).
 *
 * @throws CsvParseError with the file, the 1-based line number and the column for a malformed line
 * (unclosed quote, wrong number of fields), a value that does not convert, or a header that lacks a
 * typed column; DatasetNotFoundError for a missing file.
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

  const typed = Object.entries(types);
  let sawHeader = false;
  // With a header, check the typed columns as soon as it is read: an empty file or a missing
  // column then fails at line 1, even when no record follows.
  const checkHeader = (header: string[]): string[] => {
    sawHeader = true;
    for (const [column] of typed) {
      if (!header.includes(column)) {
        throw new CsvParseError(file, 1, `no column ${describeValue(column)} (columns: ${header.join(', ')}).`, column);
      }
    }
    return header;
  };
  const parseOptions: CsvParseOptions = {
    columns: columns === true ? checkHeader : columns === false ? false : columns,
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
    if (columns === true && typed.length > 0 && !sawHeader) {
      throw new CsvParseError(
        file,
        1,
        `empty: no header line; expected the columns ${typed.map(([c]) => c).join(', ')}. Is this the right file?`,
      );
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
