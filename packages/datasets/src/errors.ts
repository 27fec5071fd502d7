/**
 * Typed errors of `@plasticity/datasets`. They all extend core's {@link ArtifactError} (code
 * `E_ARTIFACT`, `file` names the file, URL or source at fault), so one `catch` on `ArtifactError`
 * covers every data problem; the subclasses carry the details.
 */
import { ArtifactError, type PlasticityErrorOptions } from '@plasticity/core';

/**
 * What was wrong with an IDX file: `'magic'` not an IDX file; `'dtype'` unknown value type;
 * `'truncated'` shorter than its header says; `'trailing'` longer than its header says (bytes after
 * the data); `'gzip'` a corrupt gzip stream.
 */
export type IdxProblem = 'magic' | 'dtype' | 'truncated' | 'trailing' | 'gzip';

/** An IDX file (MNIST family) is malformed: wrong magic, unknown dtype code, or shorter or longer than its header says. */
export class IdxFormatError extends ArtifactError {
  /** What is wrong: `'magic'` (not IDX), `'dtype'` (unknown type code), `'truncated'` or `'gzip'`. */
  readonly problem: IdxProblem;

  constructor(file: string, problem: IdxProblem, message: string, options?: PlasticityErrorOptions) {
    super(file, message, options);
    this.problem = problem;
  }
}

/** Two files of one dataset disagree (e.g. 60000 images but 59999 labels). */
export class DatasetMismatchError extends ArtifactError {
  constructor(file: string, message: string) {
    super(file, message);
  }
}

/** A dataset folder or file does not exist. The message says how to get it. */
export class DatasetNotFoundError extends ArtifactError {
  constructor(file: string, message: string, options?: PlasticityErrorOptions) {
    super(file, message, options);
  }
}

/** A CSV (or other text) record could not be parsed or converted. `line` is 1-based. */
export class CsvParseError extends ArtifactError {
  /** 1-based line of the file where parsing failed. */
  readonly line: number;
  /** The column at fault, when the record parsed but a value could not be converted. */
  readonly column: string | undefined;

  constructor(file: string, line: number, message: string, column?: string, options?: PlasticityErrorOptions) {
    super(file, `line ${line}: ${message}`, options);
    this.line = line;
    this.column = column;
  }
}

/** A downloaded or cached file does not have the checksum it should. */
export class ChecksumError extends ArtifactError {
  /** The hash algorithm checked. */
  readonly algorithm: 'sha256' | 'md5';
  /** The expected digest (hex). */
  readonly expected: string;
  /** The file's digest (hex). */
  readonly actual: string;

  constructor(file: string, algorithm: 'sha256' | 'md5', expected: string, actual: string) {
    super(
      file,
      `${algorithm} mismatch: expected ${expected}, got ${actual}. The file is corrupt or the checksum is wrong; ` +
        'the download was discarded.',
    );
    this.algorithm = algorithm;
    this.expected = expected;
    this.actual = actual;
  }
}

/** A download failed: the server answered with an error status, or could not be reached (`status` undefined). */
export class DownloadError extends ArtifactError {
  /** The HTTP status, or undefined when the network request itself failed (offline, DNS, refused). */
  readonly status: number | undefined;

  constructor(url: string, message: string, status?: number, options?: PlasticityErrorOptions) {
    super(url, message, options);
    this.status = status;
  }
}
