import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { IdxFormatError, DatasetNotFoundError } from '../errors.js';
import { isGzip, parseIdx, type IdxArray } from '../idx.js';

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
 * Reads an IDX file (gzipped or not) from disk.
 *
 * @example
 * ```ts
 * const labels = await readIdxFile('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
 * labels.shape; // [10000]
 * ```
 */
export async function readIdxFile(path: string): Promise<IdxArray> {
  const bytes = await readBytes(path);
  return parseIdx(isGzip(bytes) ? gunzipBytes(bytes, path) : bytes, path);
}
