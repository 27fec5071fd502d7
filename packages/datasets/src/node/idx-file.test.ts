import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdxFormatError } from '../index.js';
import { readIdxFile } from './index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plasticity-idx-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `0 0 0x08 1 <n big-endian>` then `payload`. */
function ubytes(n: number, payload: number[]): Buffer {
  const header = Buffer.alloc(8);
  header[2] = 0x08;
  header[3] = 1;
  header.writeUInt32BE(n, 4);
  return Buffer.concat([header, Buffer.from(payload)]);
}

async function problemOf(promise: Promise<unknown>): Promise<[string | undefined, string]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IdxFormatError);
  return [(error as IdxFormatError).problem, (error as Error).message];
}

describe('readIdxFile', () => {
  it('rejects trailing bytes in a plain file, naming the file and both byte counts', async () => {
    const path = join(dir, 'labels-idx1-ubyte');
    await writeFile(path, ubytes(3, [1, 2, 3, 4, 5]));
    const [problem, message] = await problemOf(readIdxFile(path));
    expect(problem).toBe('trailing');
    expect(message).toContain(`${path}: trailing bytes: shape [3] of ubyte needs 11 bytes, the file has 13 (2 after`);
  });

  it('rejects trailing bytes in a gzipped file', async () => {
    const path = join(dir, 'labels-idx1-ubyte.gz');
    await writeFile(path, gzipSync(ubytes(3, [1, 2, 3, 4])));
    const [problem, message] = await problemOf(readIdxFile(path));
    expect(problem).toBe('trailing');
    expect(message).toMatch(/needs 11 bytes, the file has 12 \(1 after the data\)/);
  });

  it('checks the length of a huge plain file against its header before reading it', async () => {
    const path = join(dir, 'huge-idx1-ubyte');
    await writeFile(path, ubytes(3, [1, 2, 3]));
    await truncate(path, 256 * 1024 * 1024); // sparse
    const before = process.memoryUsage().arrayBuffers;
    const [problem] = await problemOf(readIdxFile(path));
    expect(problem).toBe('trailing');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('does not inflate a gzip bomb beyond what its header declares', async () => {
    const path = join(dir, 'bomb-idx1-ubyte.gz');
    await writeFile(path, gzipSync(Buffer.concat([ubytes(3, [1, 2, 3]), Buffer.alloc(128 * 1024 * 1024)])));
    const before = process.memoryUsage().arrayBuffers;
    const [problem] = await problemOf(readIdxFile(path));
    expect(problem).toBe('trailing');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('reports a header declaring 2^31 values in a small file as truncated', async () => {
    const path = join(dir, 'lies-idx1-ubyte');
    await writeFile(path, ubytes(2 ** 31, [1, 2, 3]));
    const [problem, message] = await problemOf(readIdxFile(path));
    expect(problem).toBe('truncated');
    expect(message).toMatch(/needs 2147483656 bytes, the file has 11/);
  });
});

describe('readIdxFile values', () => {
  it('decodes signed bytes from disk without the header (a Buffer slice is a view, not a copy)', async () => {
    const path = join(dir, 'signed-idx1-byte');
    const bytes = ubytes(3, [0xff, 0x80, 0x7f]);
    bytes[2] = 0x09;
    await writeFile(path, bytes);
    const result = await readIdxFile(path);
    expect(result.data).toBeInstanceOf(Int8Array);
    expect(Array.from(result.data)).toEqual([-1, -128, 127]);
    const labels = await readIdxFile(await write('u-idx1-ubyte', ubytes(2, [7, 9])));
    expect(Object.getPrototypeOf(labels.data)).toBe(Uint8Array.prototype);
    expect(labels.data.buffer.byteLength).toBe(2);
  });
});

async function write(name: string, bytes: Uint8Array): Promise<string> {
  await writeFile(join(dir, name), bytes);
  return join(dir, name);
}
