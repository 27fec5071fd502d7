/**
 * `download`: MovieLens ml-latest-small from GroupLens into a cache folder, unzipped with fflate,
 * every file checked against the MD5 digests GroupLens lists for the release.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { ValueError } from '@plasticity/core';
import { ChecksumError } from '@plasticity/datasets';
import { download } from '@plasticity/datasets/node';

export const ML_LATEST_SMALL_URL = 'https://files.grouplens.org/datasets/movielens/ml-latest-small.zip';

/** MD5 of each file of ml-latest-small (the release's `MD5SUMS`). */
export const ML_LATEST_SMALL_MD5: Readonly<Record<string, string>> = {
  'README.txt': '9bc20a696092024abe52696ee6c5837f',
  'links.csv': 'bc5292d5185e8c5fd8dc9a83fb2198d2',
  'movies.csv': 'b252328d16b085936b56eefad880ef9d',
  'ratings.csv': 'ac0cf1d26aed3a5b6777a295231976ad',
  'tags.csv': '5d095828cb668ec2fae1e2cf0d99c671',
};

export interface DownloadMovieLensOptions {
  cacheDir: string;
  url?: string;
  /** Expected MD5 per file inside the zip's top folder; default {@link ML_LATEST_SMALL_MD5}. */
  files?: Readonly<Record<string, string>>;
  /** Expected MD5 of the zip itself, when known. */
  zipMd5?: string;
  /** The folder name inside the cache (and the zip's top folder); default `ml-latest-small`. */
  name?: string;
  fetch?: typeof fetch;
}

export interface DownloadResult {
  dir: string;
  /** True when the verified folder was already in the cache (no network used). */
  cached: boolean;
}

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

async function verifiedFolder(dir: string, files: Readonly<Record<string, string>>): Promise<boolean> {
  for (const [name, digest] of Object.entries(files)) {
    const path = join(dir, name);
    if (!existsSync(path) || md5(await readFile(path)) !== digest) return false;
  }
  return true;
}

/**
 * Downloads (once) and unpacks a MovieLens zip, verifying each file's MD5. Returns the folder.
 *
 * @throws DownloadError when the server cannot be reached or answers an error; ChecksumError when
 * a file (or the zip, given `zipMd5`) does not match; ValueError when the zip lacks a listed file.
 */
export async function downloadMovieLens(options: DownloadMovieLensOptions): Promise<DownloadResult> {
  const { cacheDir, url = ML_LATEST_SMALL_URL, files = ML_LATEST_SMALL_MD5, name = 'ml-latest-small' } = options;
  const dir = join(cacheDir, name);
  if (await verifiedFolder(dir, files)) return { dir, cached: true };
  const zipPath = await download(url, {
    cacheDir,
    fileName: `${name}.zip`,
    ...(options.zipMd5 === undefined ? {} : { md5: options.zipMd5 }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const zip = await readFile(zipPath);
  let entries: Record<string, Uint8Array>;
  try {
    // Only the listed files are inflated: entry names never become paths.
    entries = unzipSync(zip, {
      filter: (f) => f.name.startsWith(`${name}/`) && f.name.slice(name.length + 1) in files,
    });
  } catch (error) {
    await rm(zipPath, { force: true });
    throw new ValueError(`${zipPath} is not a readable zip (${String(error)}); run download again.`, {
      field: 'zip',
      value: zipPath,
    });
  }
  const temp = `${dir}.partial-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  try {
    for (const [file, digest] of Object.entries(files)) {
      const bytes = entries[`${name}/${file}`];
      if (bytes === undefined) {
        throw new ValueError(`${url} has no ${name}/${file}; check the URL (expected a MovieLens ${name} zip).`, {
          field: 'url',
          value: url,
        });
      }
      const actual = md5(bytes);
      if (actual !== digest) {
        await rm(zipPath, { force: true });
        throw new ChecksumError(`${url} → ${file}`, 'md5', digest, actual);
      }
      await writeFile(join(temp, file), bytes);
    }
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return { dir, cached: false };
}
