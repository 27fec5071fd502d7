/**
 * Property-based tests of the IDX readers: random valid files, then truncations, appended bytes,
 * byte flips, shape/dtype lies and giant declared sizes, plain and gzipped. The property: a
 * typed `IdxFormatError`, or a result that re-encodes to exactly the input; never another error,
 * a hang, or an allocation out of proportion to the input. `FUZZ_RUNS` sets the number of cases
 * (`pnpm fuzz` runs 10,000 per property). `readIdxFile` (Node, zlib) is covered here too.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdxFormatError, encodeIdx, parseIdx, readIdx, type IdxArray, type IdxDtype } from './index.js';
import { readIdxFile } from './node/index.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 150);
/** Generous: a regression to "allocate what the header says, then check" allocates gigabytes. */
const MEMORY_BOUND = 64 * 1024 * 1024;
const options = { numRuns: RUNS, timeout: 5_000, markInterruptAsFailure: true };

const DTYPES: IdxDtype[] = ['ubyte', 'byte', 'short', 'int', 'float', 'double'];

const validIdx: fc.Arbitrary<IdxArray> = fc
  .record({
    dtype: fc.constantFrom(...DTYPES),
    shape: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }),
  })
  .chain(({ dtype, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const value =
      dtype === 'ubyte'
        ? fc.integer({ min: 0, max: 255 })
        : dtype === 'byte'
          ? fc.integer({ min: -128, max: 127 })
          : dtype === 'short'
            ? fc.integer({ min: -32768, max: 32767 })
            : dtype === 'int'
              ? fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
              : fc.double({ noNaN: true }).map((v) => (dtype === 'float' ? Math.fround(v) : v));
    return fc.array(value, { minLength: n, maxLength: n }).map((values): IdxArray => {
      const make: Record<IdxDtype, (v: number[]) => IdxArray['data']> = {
        ubyte: (v) => Uint8Array.from(v),
        byte: (v) => Int8Array.from(v),
        short: (v) => Int16Array.from(v),
        int: (v) => Int32Array.from(v),
        float: (v) => Float32Array.from(v),
        double: (v) => Float64Array.from(v),
      };
      return { dtype, shape, data: make[dtype](values) } as IdxArray;
    });
  });

type Mutation =
  | { kind: 'none' }
  | { kind: 'truncate'; at: number }
  | { kind: 'append'; bytes: number[] }
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'dim'; index: number; value: number }
  | { kind: 'header'; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant('dim' as const),
    index: fc.nat(3),
    value: fc.oneof(fc.constantFrom(2 ** 31, 2 ** 32 - 1, 2 ** 16, 0, 1), fc.nat()),
  }),
  fc.record({ kind: fc.constant('header' as const), at: fc.nat(3), value: fc.nat(255) }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const out = Uint8Array.from(bytes);
  switch (m.kind) {
    case 'none':
      return out;
    case 'truncate':
      return out.subarray(0, m.at % (bytes.length + 1));
    case 'append':
      return Uint8Array.from([...bytes, ...m.bytes]);
    case 'flip':
      if (out.length > 0) out[m.at % out.length]! ^= m.mask;
      return out;
    case 'dim': {
      const rank = out[3]!;
      if (rank > 0) new DataView(out.buffer).setUint32(4 + 4 * (m.index % rank), m.value, false);
      return out;
    }
    case 'header':
      out[m.at] = m.value;
      return out;
  }
}

/** The property's oracle: a result must re-encode to exactly `input` (NaN payloads aside). */
function checkResult(result: IdxArray, input: Uint8Array): void {
  const again = encodeIdx(result);
  expect(again.length).toBe(input.length);
  const floats = result.dtype === 'float' || result.dtype === 'double';
  if (!floats) expect(again).toEqual(input);
  else expect(parseIdx(again)).toEqual(result);
  expect(result.data.length).toBe(result.shape.reduce((a, b) => a * b, 1));
}

function expectTyped(error: unknown): void {
  if (!(error instanceof IdxFormatError)) throw error;
}

describe('IDX readers (property-based)', () => {
  it('parseIdx: a typed error or a lossless result, with bounded memory', () => {
    fc.assert(
      fc.property(validIdx, mutation, (array, m) => {
        const input = mutate(encodeIdx(array), m);
        const before = process.memoryUsage().arrayBuffers;
        try {
          const result = parseIdx(input, 'fuzz.idx');
          checkResult(result, input);
          if (m.kind === 'none') expect(result).toEqual(array);
        } catch (error) {
          expectTyped(error);
        }
        expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(MEMORY_BOUND);
      }),
      options,
    );
  });

  it('readIdx on gzipped bytes: mutated data or a mutated gzip stream', async () => {
    await fc.assert(
      fc.asyncProperty(validIdx, mutation, mutation, async (array, inner, outer) => {
        const plain = mutate(encodeIdx(array), inner);
        const gz = gzipSync(plain);
        // Keep the gzip magic: without it the bytes are (correctly) parsed as plain IDX.
        const bytes = outer.kind === 'truncate' || outer.kind === 'append' ? mutate(gz, outer) : gz;
        if (outer.kind === 'flip' && bytes.length > 2) bytes[2 + (outer.at % (bytes.length - 2))]! ^= outer.mask;
        const before = process.memoryUsage().arrayBuffers;
        try {
          const result = await readIdx(bytes, 'fuzz.idx.gz');
          checkResult(result, plain);
        } catch (error) {
          expectTyped(error);
        }
        expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(MEMORY_BOUND);
      }),
      options,
    );
  });

  it('readIdxFile: the same, from disk, plain or gzipped', async () => {
    await fc.assert(
      fc.asyncProperty(validIdx, mutation, fc.boolean(), fc.nat(), async (array, m, gzipped, cut) => {
        const plain = mutate(encodeIdx(array), m);
        let bytes: Uint8Array = gzipped ? gzipSync(plain) : plain;
        if (gzipped && cut % 4 === 0) bytes = bytes.subarray(0, 2 + (cut % (bytes.length - 1)));
        const path = join(dir, `case-${n++}${gzipped ? '.gz' : ''}`);
        await writeFile(path, bytes);
        const before = process.memoryUsage().arrayBuffers;
        try {
          checkResult(await readIdxFile(path), plain);
        } catch (error) {
          expectTyped(error);
        } finally {
          await rm(path, { force: true });
        }
        expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(MEMORY_BOUND);
      }),
      options,
    );
  });
});

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plasticity-idx-fuzz-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
