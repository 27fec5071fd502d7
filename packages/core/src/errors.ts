/**
 * Typed errors shared by every Plasticity package.
 *
 * Every error carries a stable `code` (part of the public API: match on it, not on the message)
 * and a message that names the offending value and what to do instead.
 *
 * @example
 * ```ts
 * try {
 *   getPlugin('layer', 'MyDense');
 * } catch (e) {
 *   if (e instanceof PlasticityError && e.code === 'E_UNKNOWN_PLUGIN') registerLayer(MyDense);
 * }
 * ```
 */

/** Stable error codes. Adding one is a minor change; renaming one is breaking. */
export type ErrorCode =
  'E_SHAPE' | 'E_VALUE' | 'E_UNKNOWN_PLUGIN' | 'E_DUPLICATE_PLUGIN' | 'E_BACKEND_UNAVAILABLE' | 'E_ARTIFACT';

/** Options of a {@link PlasticityError}. */
export interface PlasticityErrorOptions {
  /** The underlying error, if this one wraps another. */
  cause?: unknown;
}

/** Base class of every error thrown on purpose by a Plasticity package. */
export class PlasticityError extends Error {
  /** Stable machine-readable code (`'E_SHAPE'`, `'E_VALUE'`, …): branch on this, not on the message. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: PlasticityErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** A tensor or array had the wrong rank or dimensions. */
export class ShapeError extends PlasticityError {
  /** The shape that was received. */
  readonly actual: readonly number[] | undefined;
  /** The shape (or pattern, `-1` for any) that was expected. */
  readonly expected: readonly number[] | undefined;

  constructor(
    message: string,
    shapes: { actual?: readonly number[]; expected?: readonly number[] } = {},
    options?: PlasticityErrorOptions,
  ) {
    super('E_SHAPE', message, options);
    this.actual = shapes.actual;
    this.expected = shapes.expected;
  }
}

/** A value was out of range, NaN/Infinity, empty, or otherwise unusable. */
export class ValueError extends PlasticityError {
  /** The option or argument that was wrong, e.g. `'learningRate'`. */
  readonly field: string | undefined;
  /** The offending value. */
  readonly value: unknown;

  constructor(message: string, detail: { field?: string; value?: unknown } = {}, options?: PlasticityErrorOptions) {
    super('E_VALUE', message, options);
    this.field = detail.field;
    this.value = detail.value;
  }
}

/** A plugin (layer, optimizer, …) was looked up by a name nobody registered. */
export class UnknownPluginError extends PlasticityError {
  /** The plugin kind looked up (`'layer'`, `'optimizer'`, …). */
  readonly kind: string;
  /** The class name nobody registered. */
  readonly pluginName: string;

  constructor(kind: string, pluginName: string, message: string) {
    super('E_UNKNOWN_PLUGIN', message);
    this.kind = kind;
    this.pluginName = pluginName;
  }
}

/** A plugin name was registered twice for the same kind. */
export class DuplicatePluginError extends PlasticityError {
  /** The plugin kind. */
  readonly kind: string;
  /** The class name registered twice. */
  readonly pluginName: string;

  constructor(kind: string, pluginName: string, message: string) {
    super('E_DUPLICATE_PLUGIN', message);
    this.kind = kind;
    this.pluginName = pluginName;
  }
}

/** Why one backend was not used. */
export interface BackendSkip {
  /** The backend plugin name. */
  name: string;
  /** Why it was not used (what to install or enable). */
  reason: string;
}

/** No requested backend could be used. `skipped` says why for each one. */
export class BackendUnavailableError extends PlasticityError {
  /** Every backend tried, with why it was skipped. */
  readonly skipped: readonly BackendSkip[];

  constructor(message: string, skipped: readonly BackendSkip[], options?: PlasticityErrorOptions) {
    super('E_BACKEND_UNAVAILABLE', message, options);
    this.skipped = skipped;
  }
}

/** A saved artifact (model.json, weight shard, state file) is missing, corrupt or inconsistent. */
export class ArtifactError extends PlasticityError {
  /** The file (or memory key) at fault. */
  readonly file: string;

  constructor(file: string, problem: string, options?: PlasticityErrorOptions) {
    super('E_ARTIFACT', `${file}: ${problem}`, options);
    this.file = file;
  }
}

/** Formats a value for an error message: short, unambiguous (`NaN`, `"abc"`, `[2,3]`). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) {
    const shown = value.slice(0, 8).map(describeValue).join(',');
    return `[${shown}${value.length > 8 ? ',…' : ''}]`;
  }
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}…` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
