import { constants as bufferConstants } from 'node:buffer';
import { open, readFile } from 'node:fs/promises';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { IdxFormatError, DatasetNotFoundError } from '../errors.js';
import { idxSizeError, isGzip, parseIdx, parseIdxHeader, type IdxArray } from '../idx.js';

/** Longest IDX header: 4 bytes of magic and 255 dimensions of 4 bytes. */
const MAX_HEADER = 4 + 4 * 255;
/** Compressed bytes inflated to find the header (at most ~1032× as many come out). */
const GZIP_PROBE = 16 * 1024;

/** Reads a file whole; a missing file becomes a {@link DatasetNotFoundError}. */
export async function readBytes(path: string, hint = ''): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatasetNotFoundError(path, `no such file.${hint}`, { cause: error });
    }
    throw error;
  }
}

/** Gunzips with node:zlib (faster than DecompressionStream in Node). */
export function gunzipBytes(bytes: Uint8Array, name: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new IdxFormatError(name, 'gzip', `corrupt or truncated gzip data (${String(error)}). Download it again.`, {
      cause: error,
    });
  }
}

/**
 * Gunzips an IDX file without ever holding more than its header declares: the header is inflated
 * from the first compressed bytes, then the whole stream with that output limit.
 */
function gunzipIdxBytes(bytes: Uint8Array, name: string): Uint8Array {
  let prefix: Uint8Array;
  try {
    prefix = gunzipSync(bytes.subarray(0, GZIP_PROBE), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch {
    return gunzipBytes(bytes, name); // names the gzip problem
  }
  const header = parseIdxHeader(prefix.subarray(0, MAX_HEADER), name);
  const limit = header === undefined ? GZIP_PROBE * 1100 : Math.min(header.fileBytes + 1, bufferConstants.MAX_LENGTH);
  try {
    return gunzipSync(bytes, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' && header !== undefined) {
      throw idxSizeError(header, header.fileBytes, name, true);
    }
    return gunzipBytes(bytes, name);
  }
}

/**
 * Reads an IDX file (gzipped or not) from disk. The size the header declares is checked against
 * the file's length (or, gzipped, against the decompressed length as it grows) before the data is
 * read, so a lying header costs no memory.
 *
 * @example
 * ```ts
 * const labels = await readIdxFile('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
 * labels.shape; // [10000]
 * ```
 * @throws IdxFormatError as `parseIdx`; DatasetNotFoundError for a missing file.
 */
export async function readIdxFile(path: string): Promise<IdxArray> {
  const head = await readHead(path);
  if (!isGzip(head.bytes) && head.bytes.length >= 4) {
    const header = parseIdxHeader(head.bytes, path);
    if (header !== undefined && header.fileBytes !== head.size) throw idxSizeError(header, head.size, path);
  }
  const bytes = await readBytes(path);
  return parseIdx(isGzip(bytes) ? gunzipIdxBytes(bytes, path) : bytes, path);
}

/** The first bytes (enough for any IDX header) and the size of a file. */
async function readHead(path: string): Promise<{ bytes: Uint8Array; size: number }> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatasetNotFoundError(path, 'no such file.', { cause: error });
    }
    throw error;
  }
  try {
    const size = (await handle.stat()).size;
    const bytes = new Uint8Array(Math.min(size, MAX_HEADER));
    await handle.read(bytes, 0, bytes.length, 0);
    return { bytes, size };
  } finally {
    await handle.close();
  }
}
