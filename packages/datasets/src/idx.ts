/**
 * The IDX format of the MNIST family (MNIST, Fashion-MNIST, KMNIST, EMNIST): a 4-byte magic
 * `0x00 0x00 <dtype> <rank>`, `rank` big-endian uint32 dimensions, then the values big-endian,
 * row-major. Files are usually gzipped (`*.gz`); {@link readIdx} gunzips them transparently.
 */
import { IdxFormatError } from './errors.js';

/** IDX value types, by their name in the format description. */
export type IdxDtype = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';

/** The typed array each IDX dtype decodes to. */
export interface IdxDataByType {
  /** Type code 0x08. */
  ubyte: Uint8Array;
  /** Type code 0x09. */
  byte: Int8Array;
  /** Type code 0x0b. */
  short: Int16Array;
  /** Type code 0x0c. */
  int: Int32Array;
  /** Type code 0x0d. */
  float: Float32Array;
  /** Type code 0x0e. */
  double: Float64Array;
}

/** A decoded IDX file: `data` holds `shape.reduce(×)` values, row-major, in the platform's byte order. */
export interface IdxArray<D extends IdxDtype = IdxDtype> {
  /** Element type from the header. */
  dtype: D;
  /** Dimensions from the header, e.g. `[60000, 28, 28]`. */
  shape: number[];
  /** The elements in row-major order, in native byte order. */
  data: IdxDataByType[D];
}

interface DtypeInfo {
  name: IdxDtype;
  bytes: number;
}

const DTYPES: Record<number, DtypeInfo> = {
  0x08: { name: 'ubyte', bytes: 1 },
  0x09: { name: 'byte', bytes: 1 },
  0x0b: { name: 'short', bytes: 2 },
  0x0c: { name: 'int', bytes: 4 },
  0x0d: { name: 'float', bytes: 4 },
  0x0e: { name: 'double', bytes: 8 },
};

const DTYPE_CODES: Record<IdxDtype, number> = {
  ubyte: 0x08,
  byte: 0x09,
  short: 0x0b,
  int: 0x0c,
  float: 0x0d,
  double: 0x0e,
};

/** Whether `bytes` start with the gzip magic `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** What an IDX header declares: the value type, the shape and the file size it implies. */
export interface IdxHeader {
  /** The element type named by the header's type byte (`0x08` → `'ubyte'`, `0x0D` → `'float'`, …). */
  dtype: IdxDtype;
  /** The declared dimensions, outermost first (`[60000, 28, 28]` for MNIST images). */
  shape: number[];
  /** Bytes of the header: `4 + 4 * rank`. */
  headerBytes: number;
  /** Bytes the whole file must have: header plus `shape.reduce(×) * bytesPerValue`. */
  fileBytes: number;
}

/**
 * Reads the header of an (uncompressed) IDX file without touching the data.
 *
 * @returns undefined when `bytes` are too short to hold the whole header (the caller decides
 * whether more bytes may come).
 * @throws IdxFormatError for gzip bytes, a wrong magic or an unknown dtype code.
 */
export function parseIdxHeader(bytes: Uint8Array, name = '<idx bytes>'): IdxHeader | undefined {
  if (isGzip(bytes)) {
    throw new IdxFormatError(
      name,
      'gzip',
      'the bytes are gzip-compressed; use `await readIdx(bytes)` (or readIdxFile in Node), which gunzips them.',
    );
  }
  if (bytes.length >= 1 && (bytes[0] !== 0 || (bytes.length >= 2 && bytes[1] !== 0))) throw badMagic(bytes, name);
  if (bytes.length < 4) return undefined;
  const code = bytes[2]!;
  const rank = bytes[3]!;
  const info = DTYPES[code];
  if (info === undefined) {
    throw new IdxFormatError(
      name,
      'dtype',
      `unknown IDX dtype code ${hex(code)}; known codes are 0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, ` +
        '0x0d float, 0x0e double.',
    );
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const dim = view.getUint32(4 + 4 * i, false);
    shape.push(dim);
    count *= dim;
  }
  return { dtype: info.name, shape, headerBytes, fileBytes: headerBytes + count * info.bytes };
}

function badMagic(bytes: Uint8Array, name: string): IdxFormatError {
  const got = Array.from(bytes.subarray(0, 4), hex).join(' ');
  return new IdxFormatError(
    name,
    'magic',
    `not an IDX file: the magic number must start with 0x00 0x00; got [${got}]. Is this the right file?`,
  );
}

/** The error for a file of `actual` bytes (or more, when `atLeast`) whose header implies `header.fileBytes`. */
export function idxSizeError(header: IdxHeader, actual: number, name: string, atLeast = false): IdxFormatError {
  const what = `shape [${header.shape.join(',')}] of ${header.dtype} needs ${header.fileBytes} bytes`;
  if (actual < header.fileBytes) {
    return new IdxFormatError(
      name,
      'truncated',
      `truncated: ${what}, the file has ${actual}. Download the file again.`,
    );
  }
  return new IdxFormatError(
    name,
    'trailing',
    `trailing bytes: ${what}, the file has ${atLeast ? 'more than ' : ''}${actual}${atLeast ? '' : ` (${actual - header.fileBytes} after the data)`}. ` +
      'It is not one IDX array (concatenated files or a corrupt download); download the file again.',
  );
}

/**
 * Decodes an uncompressed IDX file. Synchronous; for gzipped bytes use {@link readIdx}. The
 * header's declared size is checked against the length of `bytes` before anything is allocated.
 *
 * @param bytes the whole file.
 * @param name the file name, used in error messages.
 * @throws IdxFormatError when the magic is wrong, the dtype code unknown, or the data shorter
 * (`'truncated'`) or longer (`'trailing'`) than the header says.
 */
export function parseIdx(bytes: Uint8Array, name = '<idx bytes>'): IdxArray {
  if (bytes.length < 4 && !isGzip(bytes)) throw badMagic(bytes, name);
  const header = parseIdxHeader(bytes, name);
  if (header === undefined) {
    const headerBytes = 4 + 4 * bytes[3]!;
    throw new IdxFormatError(
      name,
      'truncated',
      `truncated header: rank ${bytes[3]} needs ${headerBytes} header bytes, the file has ${bytes.length}.`,
    );
  }
  if (bytes.length !== header.fileBytes) throw idxSizeError(header, bytes.length, name);
  const { headerBytes, shape } = header;
  const info = DTYPES[DTYPE_CODES[header.dtype]]!;
  const count = (header.fileBytes - headerBytes) / info.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = headerBytes;
  let data: IdxDataByType[IdxDtype];
  // A fresh copy: a Node Buffer's `slice` is a view of the file's (or the pool's) memory, so its
  // `.buffer` would hold the header and more, and `data` would be a Buffer.
  const payload = (): Uint8Array => new Uint8Array(bytes.subarray(start, start + count));
  switch (info.name) {
    case 'ubyte':
      data = payload();
      break;
    case 'byte':
      data = new Int8Array(payload().buffer);
      break;
    case 'short': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(start + 2 * i, false);
      data = out;
      break;
    }
    case 'int': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(start + 4 * i, false);
      data = out;
      break;
    }
    case 'float': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(start + 4 * i, false);
      data = out;
      break;
    }
    case 'double': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(start + 8 * i, false);
      data = out;
      break;
    }
  }
  return { dtype: info.name, shape, data };
}

/**
 * Gunzips `bytes` with the web-standard `DecompressionStream` (browsers; Node ≥ 18).
 *
 * @throws IdxFormatError (`problem: 'gzip'`) when the gzip stream is corrupt or cut short.
 */
export async function gunzip(bytes: Uint8Array, name = '<gzip bytes>'): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new IdxFormatError(name, 'gzip', `corrupt or truncated gzip data (${String(error)}). Download it again.`, {
      cause: error,
    });
  }
}

/**
 * Gunzips IDX bytes, stopping as soon as the output is longer than the header declares, so a gzip
 * bomb costs no more memory than the file it claims to be.
 */
async function gunzipIdx(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let header: IdxHeader | undefined;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        throw new IdxFormatError(
          name,
          'gzip',
          `corrupt or truncated gzip data (${String(error)}). Download it again.`,
          {
            cause: error,
          },
        );
      }
      if (next.done) break;
      chunks.push(next.value);
      total += next.value.byteLength;
      header ??= total >= 4 ? parseIdxHeader(concat(chunks, total), name) : undefined;
      if (header !== undefined && total > header.fileBytes) throw idxSizeError(header, header.fileBytes, name, true);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return concat(chunks, total);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  chunks.splice(0, chunks.length, out);
  return out;
}

/**
 * Decodes an IDX file, gunzipping it first if it starts with the gzip magic. Works in the browser
 * and in Node. Decompression stops as soon as the data outgrows what the header declares.
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array(await (await fetch('t10k-labels-idx1-ubyte.gz')).arrayBuffer());
 * const { dtype, shape, data } = await readIdx(bytes); // 'ubyte', [10000], Uint8Array
 * ```
 * @throws IdxFormatError as {@link parseIdx}, and (`'gzip'`) for a corrupt gzip stream.
 */
export async function readIdx(bytes: Uint8Array, name = '<idx bytes>'): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzipIdx(bytes, name) : bytes, name);
}

/** Encodes values as an (uncompressed) IDX file: the inverse of {@link parseIdx}. */
export function encodeIdx<D extends IdxDtype>(array: IdxArray<D>): Uint8Array {
  const { dtype, shape, data } = array;
  const info = DTYPES[DTYPE_CODES[dtype]]!;
  const count = shape.reduce((a, b) => a * b, 1);
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + count * info.bytes);
  const view = new DataView(out.buffer);
  out[2] = DTYPE_CODES[dtype];
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const v = Number(data[i]);
    const at = header + i * info.bytes;
    if (dtype === 'ubyte') view.setUint8(at, v);
    else if (dtype === 'byte') view.setInt8(at, v);
    else if (dtype === 'short') view.setInt16(at, v, false);
    else if (dtype === 'int') view.setInt32(at, v, false);
    else if (dtype === 'float') view.setFloat32(at, v, false);
    else view.setFloat64(at, v, false);
  }
  return out;
}
