import { gzipSync } from 'node:zlib';
import { ArtifactError } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import { IdxFormatError, encodeIdx, isGzip, parseIdx, readIdx, type IdxArray } from './index.js';

/** Builds an IDX file by hand: magic, big-endian dims, then payload bytes as given. */
function idx(code: number, dims: number[], payload: number[]): Uint8Array {
  const header = [0, 0, code, dims.length];
  for (const d of dims) header.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...header, ...payload]);
}

describe('parseIdx', () => {
  it('decodes every IDX dtype from hand-written big-endian bytes', () => {
    expect(parseIdx(idx(0x08, [2, 2], [0, 1, 128, 255]))).toEqual({
      dtype: 'ubyte',
      shape: [2, 2],
      data: Uint8Array.from([0, 1, 128, 255]),
    });
    expect(Array.from(parseIdx(idx(0x09, [3], [0xff, 0x80, 0x7f])).data)).toEqual([-1, -128, 127]);
    // int16 big-endian: 0x0102 = 258, 0xfffe = -2
    const short = parseIdx(idx(0x0b, [2], [0x01, 0x02, 0xff, 0xfe]));
    expect(short.dtype).toBe('short');
    expect(short.data).toBeInstanceOf(Int16Array);
    expect(Array.from(short.data)).toEqual([258, -2]);
    // int32: 0x00010000 = 65536, 0xffffffff = -1
    const int = parseIdx(idx(0x0c, [2], [0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff]));
    expect(int.data).toBeInstanceOf(Int32Array);
    expect(Array.from(int.data)).toEqual([65536, -1]);
    // float32 1.5 = 0x3fc00000, -2 = 0xc0000000
    const float = parseIdx(idx(0x0d, [1, 2], [0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0]));
    expect(float.data).toBeInstanceOf(Float32Array);
    expect(Array.from(float.data)).toEqual([1.5, -2]);
    // float64 0.1 = 0x3fb999999999999a
    const double = parseIdx(idx(0x0e, [1], [0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]));
    expect(double.data).toBeInstanceOf(Float64Array);
    expect(double.data[0]).toBe(0.1);
  });

  it('reads a rank-0 file as one value', () => {
    expect(parseIdx(idx(0x08, [], [7]))).toEqual({ dtype: 'ubyte', shape: [], data: Uint8Array.from([7]) });
  });

  it('rejects trailing bytes after the data, naming the file and both byte counts', () => {
    const error = (() => {
      try {
        parseIdx(idx(0x08, [], [7, 99]), 'labels.idx');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(IdxFormatError);
    expect((error as IdxFormatError).problem).toBe('trailing');
    expect((error as Error).message).toMatch(
      /^labels\.idx: trailing bytes: shape \[\] of ubyte needs 5 bytes, the file has 6 \(1 after/,
    );
    expect(() => parseIdx(idx(0x0b, [2], [0, 1, 0, 2, 0, 3]))).toThrow(/needs 12 bytes, the file has 14/);
  });

  it('checks a header declaring 2^31 values against the length before allocating', () => {
    const before = process.memoryUsage().arrayBuffers;
    expect(() => parseIdx(idx(0x0d, [2 ** 31 - 1], [1, 2, 3, 4]))).toThrow(/needs 8589934596 bytes, the file has 12/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
  });

  it('round-trips encodeIdx for every dtype', () => {
    const cases: IdxArray[] = [
      { dtype: 'ubyte', shape: [2, 3], data: Uint8Array.from([0, 1, 2, 3, 254, 255]) },
      { dtype: 'byte', shape: [3], data: Int8Array.from([-128, 0, 127]) },
      { dtype: 'short', shape: [2], data: Int16Array.from([-32768, 32767]) },
      { dtype: 'int', shape: [2], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1]) },
      { dtype: 'float', shape: [1, 2], data: Float32Array.from([Math.fround(0.1), -3.25]) },
      { dtype: 'double', shape: [2], data: Float64Array.from([Math.PI, -1e-300]) },
    ];
    for (const c of cases) expect(parseIdx(encodeIdx(c))).toEqual(c);
  });

  it('rejects a wrong magic number, naming the bytes', () => {
    const error = (() => {
      try {
        parseIdx(Uint8Array.from([0x50, 0x4b, 3, 4]), 'archive.zip');
      } catch (e) {
        return e;
      }
    })() as IdxFormatError;
    expect(error).toBeInstanceOf(IdxFormatError);
    expect(error).toBeInstanceOf(ArtifactError);
    expect(error.problem).toBe('magic');
    expect(error.file).toBe('archive.zip');
    expect(error.message).toMatch(/0x50 0x4b/);
    expect(() => parseIdx(new Uint8Array(2))).toThrow(/magic/);
  });

  it('rejects an unknown dtype code, listing the known ones', () => {
    expect(() => parseIdx(idx(0x0a, [1], [0]))).toThrow(IdxFormatError);
    expect(() => parseIdx(idx(0x0a, [1], [0]))).toThrow(/unknown IDX dtype code 0x0a.*0x08 ubyte/);
  });

  it('rejects a file shorter than its header says (header and data)', () => {
    // rank 3 needs 16 header bytes
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2]))).toThrow(/truncated header/);
    const short = idx(0x0b, [2, 2], [0, 1, 0, 2, 0, 3, 0]); // needs 8 payload bytes, has 7
    let error: unknown;
    try {
      parseIdx(short, 'x.idx');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IdxFormatError);
    expect((error as IdxFormatError).problem).toBe('truncated');
    expect((error as Error).message).toBe(
      'x.idx: truncated: shape [2,2] of short needs 20 bytes, the file has 19. Download the file again.',
    );
  });

  it('refuses gzip bytes, pointing at readIdx', () => {
    expect(() => parseIdx(gzipSync(idx(0x08, [1], [1])))).toThrow(/readIdx/);
  });
});

describe('readIdx', () => {
  it('rejects gzipped data longer than its header says, without inflating all of it', async () => {
    const bomb = gzipSync(Buffer.concat([Buffer.from(idx(0x08, [4], [1, 2, 3, 4])), Buffer.alloc(64 * 1024 * 1024)]));
    const before = process.memoryUsage().arrayBuffers;
    await expect(readIdx(bomb, 'bomb.gz')).rejects.toThrow(
      /bomb\.gz: trailing bytes: shape \[4\] of ubyte needs 12 bytes, the file has more than 12/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('gunzips transparently (DecompressionStream) and reads plain bytes too', async () => {
    const plain = idx(0x0c, [3], [0, 0, 0, 1, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xfd]);
    const gz = gzipSync(plain);
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(plain)).toBe(false);
    for (const bytes of [plain, gz]) {
      const out = await readIdx(bytes);
      expect(out.shape).toEqual([3]);
      expect(Array.from(out.data)).toEqual([1, 256, -3]);
    }
  });

  it('throws IdxFormatError for a gzip stream cut short', async () => {
    const gz = gzipSync(
      idx(
        0x08,
        [100],
        Array.from({ length: 100 }, (_, i) => i),
      ),
    );
    await expect(readIdx(gz.subarray(0, gz.length - 10), 'cut.gz')).rejects.toMatchObject({
      name: 'IdxFormatError',
      problem: 'gzip',
      file: 'cut.gz',
    });
  });
});
