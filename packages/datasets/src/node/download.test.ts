import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValueError } from '@plasticity/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChecksumError, DownloadError } from '../index.js';
import { download, hashFile } from './index.js';

const body = Buffer.from('userId,movieId,rating\n1,2,3.5\n'.repeat(5000));
// Digests of `body` computed by node:crypto directly (independent of download/hashFile).
const sha256 = createHash('sha256').update(body).digest('hex');
const md5 = createHash('md5').update(body).digest('hex');

let server: Server;
let base: string;
let requests = 0;
let tmp: string;

function start(): Promise<void> {
  server = createServer((req, res) => {
    requests++;
    if (req.url === '/data/ratings.csv') {
      res.writeHead(200, { 'content-type': 'text/csv' });
      // two chunks, so the stream is written in pieces
      res.write(body.subarray(0, 1000));
      res.end(body.subarray(1000));
    } else {
      res.writeHead(404, 'Not Found');
      res.end('no such file');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

beforeAll(async () => {
  await start();
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())));
afterEach(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function cache(): Promise<string> {
  tmp = await mkdtemp(join(tmpdir(), 'plasticity-dl-'));
  return join(tmp, 'cache'); // not created yet: download creates it
}

describe('download', () => {
  it('fetches, verifies sha256 and caches; a second call uses the cache without a request', async () => {
    const cacheDir = await cache();
    requests = 0;
    const path = await download(`${base}/data/ratings.csv`, { cacheDir, sha256 });
    expect(path).toBe(join(cacheDir, 'ratings.csv'));
    expect((await readFile(path)).equals(body)).toBe(true);
    expect(requests).toBe(1);
    expect(await download(`${base}/data/ratings.csv`, { cacheDir, sha256 })).toBe(path);
    expect(requests).toBe(1);
    expect(await readdir(cacheDir)).toEqual(['ratings.csv']); // no temporary files left
    expect(await hashFile(path, 'md5')).toBe(md5);
  });

  it('a checksum mismatch throws ChecksumError (expected vs actual, the file) and caches nothing', async () => {
    const cacheDir = await cache();
    const wrong = '0'.repeat(64);
    const error = await download(`${base}/data/ratings.csv`, { cacheDir, sha256: wrong }).then(
      () => expect.unreachable() as never,
      (e: ChecksumError) => e,
    );
    expect(error).toBeInstanceOf(ChecksumError);
    expect(error.expected).toBe(wrong);
    expect(error.actual).toBe(sha256);
    expect(error.file).toBe(`${base}/data/ratings.csv`);
    expect(error.message).toContain(`expected ${wrong}, got ${sha256}`);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('verifies md5 and re-downloads a corrupt cached file', async () => {
    const cacheDir = await cache();
    await download(`${base}/data/ratings.csv`, { cacheDir, md5, fileName: 'r.csv' });
    await writeFile(join(cacheDir, 'r.csv'), 'corrupt');
    requests = 0;
    const path = await download(`${base}/data/ratings.csv`, { cacheDir, md5, fileName: 'r.csv' });
    expect(requests).toBe(1);
    expect((await readFile(path)).equals(body)).toBe(true);
  });

  it('an HTTP 404 is a DownloadError with the status', async () => {
    const cacheDir = await cache();
    const error = await download(`${base}/missing.zip`, { cacheDir }).then(
      () => expect.unreachable() as never,
      (e: DownloadError) => e,
    );
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.status).toBe(404);
    expect(error.message).toMatch(/missing\.zip: the server answered HTTP 404/);
    expect(existsSync(join(cacheDir, 'missing.zip'))).toBe(false);
  });

  it('rejects bad options: no cacheDir, a malformed checksum, a URL without a file name', async () => {
    await expect(download(`${base}/x`, {} as never)).rejects.toThrow(/cacheDir/);
    const cacheDir = await cache();
    await expect(download(`${base}/x`, { cacheDir, sha256: 'abc' })).rejects.toThrow(/sha256 must be 64 hex digits/);
    await expect(download(`${base}/`, { cacheDir })).rejects.toThrow(ValueError);
  });

  it('with the server stopped: serves a valid cache, and otherwise says it could not reach the server', async () => {
    const cacheDir = await cache();
    const path = await download(`${base}/data/ratings.csv`, { cacheDir, sha256 });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await download(`${base}/data/ratings.csv`, { cacheDir, sha256 })).toBe(path);
    const error = await download(`${base}/data/other.csv`, { cacheDir }).then(
      () => expect.unreachable() as never,
      (e: DownloadError) => e,
    );
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.status).toBeUndefined();
    expect(error.message).toMatch(/could not reach the server \(.*ECONNREFUSED.*\)/);
    expect(error.message).toContain(join(cacheDir, 'other.csv'));
  });
});
