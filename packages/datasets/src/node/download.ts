/**
 * Downloads with a checksum and a cache folder: the first call fetches and verifies, later calls
 * return the cached file without touching the network.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { ValueError, describeValue } from '@plasticity/core';
import { ChecksumError, DownloadError } from '../errors.js';

/** Options of {@link download}. */
export interface DownloadOptions {
  /** Folder of the cache; created if missing. */
  cacheDir: string;
  /** The name of the cached file; default the last segment of the URL's path. */
  fileName?: string;
  /** Expected SHA-256 of the file, hex. Give this or `md5` to verify (and to trust a cached copy). */
  sha256?: string;
  /** Expected MD5 of the file, hex (as many dataset sites publish it). */
  md5?: string;
  /** The fetch to use; default the global `fetch`. */
  fetch?: typeof fetch;
}

/** Hex digest of a file. */
export async function hashFile(path: string, algorithm: 'sha256' | 'md5'): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function expectedChecksum(options: DownloadOptions): { algorithm: 'sha256' | 'md5'; hex: string } | undefined {
  for (const algorithm of ['sha256', 'md5'] as const) {
    const value = options[algorithm];
    if (value === undefined) continue;
    const length = algorithm === 'sha256' ? 64 : 32;
    if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(value)) {
      throw new ValueError(`${algorithm} must be ${length} hex digits; got ${describeValue(value)}.`, {
        field: algorithm,
        value,
      });
    }
    return { algorithm, hex: value.toLowerCase() };
  }
  return undefined;
}

/**
 * Downloads `url` into `cacheDir` and returns the file's path. If the cached file exists (and,
 * when a checksum is given, matches it) it is returned without any network access. The download
 * goes to a temporary file that is renamed into place only after its checksum matched, so the
 * cache never holds a partial or corrupt file.
 *
 * @example
 * ```ts
 * const path = await download('https://files.grouplens.org/datasets/movielens/ml-latest-small.zip', {
 *   cacheDir: join(homedir(), '.cache', 'plasticity'),
 *   md5: '…',
 * });
 * ```
 * @throws ChecksumError naming the expected and actual digests; DownloadError for an HTTP error
 * status (`status` set) or when the server cannot be reached (`status` undefined).
 */
export async function download(url: string, options: DownloadOptions): Promise<string> {
  if (typeof options?.cacheDir !== 'string' || options.cacheDir === '') {
    throw new ValueError('download needs options.cacheDir, the folder to keep downloads in.', {
      field: 'cacheDir',
      value: options?.cacheDir,
    });
  }
  const checksum = expectedChecksum(options);
  const fileName = options.fileName ?? basename(new URL(url).pathname);
  if (fileName === '' || fileName === '.' || fileName === '..' || /[/\\]/.test(fileName)) {
    throw new ValueError(`cannot name the cached file after ${describeValue(url)}; pass options.fileName.`, {
      field: 'fileName',
      value: fileName,
    });
  }
  const path = join(options.cacheDir, fileName);
  if (existsSync(path)) {
    if (checksum === undefined || (await hashFile(path, checksum.algorithm)) === checksum.hex) return path;
  }
  await mkdir(options.cacheDir, { recursive: true });
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(url);
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new DownloadError(
      url,
      `could not reach the server (${cause}). Check the network connection, or put the file at ${path} ` +
        'yourself and call download again.',
      undefined,
      { cause: error },
    );
  }
  if (!response.ok || response.body === null) {
    throw new DownloadError(
      url,
      `the server answered HTTP ${response.status} ${response.statusText}.`,
      response.status,
    );
  }
  const temp = join(dirname(path), `.${fileName}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const hash = checksum === undefined ? undefined : createHash(checksum.algorithm);
  try {
    const out = createWriteStream(temp, { flags: 'wx' });
    const finished = new Promise<void>((resolve, reject) => {
      out.once('finish', resolve);
      out.once('error', reject);
    });
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        hash?.update(chunk);
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
    } catch (error) {
      out.destroy();
      throw new DownloadError(url, `the download broke off (${String(error)}); try again.`, undefined, {
        cause: error,
      });
    }
    out.end();
    await finished;
    if (hash !== undefined && checksum !== undefined) {
      const actual = hash.digest('hex');
      if (actual !== checksum.hex) throw new ChecksumError(url, checksum.algorithm, checksum.hex, actual);
    }
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
  return path;
}
