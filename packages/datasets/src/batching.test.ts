import * as tf from '@tensorflow/tfjs-core';
import { createRng, registerBackendPlugin, useBackend, ValueError } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { expectNoTensorLeaks } from '@plasticity/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { batches, batchesAsync, shuffle, type Sample } from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

const sorted = (a: ArrayLike<number>): number[] => Array.from(a).sort((p, q) => p - q);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('shuffle', () => {
  it('is a seeded permutation: same seed same order, other seed other order', () => {
    const a = shuffle(1000, 7);
    expect(sorted(a)).toEqual(range(1000));
    expect(Array.from(shuffle(1000, 7))).toEqual(Array.from(a));
    expect(Array.from(shuffle(1000, 8))).not.toEqual(Array.from(a));
    // the same Fisher–Yates over core's PCG32 as Rng.permutation
    expect(Array.from(shuffle(50, createRng(3)))).toEqual(Array.from(createRng(3).permutation(50)));
    expect(() => shuffle(-1, 0)).toThrow(ValueError);
  });

  it('draws uniformly: each position holds each element about equally often', () => {
    const n = 5;
    const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const rng = createRng(11);
    const trials = 20000;
    for (let t = 0; t < trials; t++) shuffle(n, rng).forEach((v, pos) => counts[pos]![v]!++);
    // expected trials / n = 4000 per cell; 5 standard deviations ≈ 280
    for (const row of counts) for (const c of row) expect(Math.abs(c - trials / n)).toBeLessThan(280);
  });
});

/** x[i] = [i, -i], y[i] = 2i: every value identifies its sample and pairs x with y. */
function data(n: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  return {
    x: tf.tensor2d(
      range(n).flatMap((i) => [i, -i]),
      [n, 2],
    ),
    y: tf.tensor1d(range(n).map((i) => 2 * i)),
  };
}

async function epochIds(ds: Iterable<{ x: tf.Tensor; y: tf.Tensor }>): Promise<number[][]> {
  const out: number[][] = [];
  for (const b of ds) {
    const x = (await b.x.array()) as number[][];
    const y = (await b.y.array()) as number[];
    x.forEach((row, k) => {
      expect(row[1]).toBe(-row[0]!);
      expect(y[k]).toBe(2 * row[0]!);
    });
    out.push(x.map((row) => row[0]!));
  }
  return out;
}

describe('batches', () => {
  it('covers every sample exactly once per epoch, in a new seeded order each epoch', async () => {
    const { x, y } = data(103);
    const ds = batches({ x, y, batchSize: 10, shuffle: true, seed: 4 });
    expect(ds.size).toBe(11);
    const e1 = await epochIds(ds);
    const e2 = await epochIds(ds);
    expect(e1.map((b) => b.length)).toEqual([...new Array(10).fill(10), 3]);
    expect(sorted(e1.flat())).toEqual(range(103));
    expect(sorted(e2.flat())).toEqual(range(103));
    expect(e2.flat()).not.toEqual(e1.flat());
    // determinism: a second dataset with the same seed repeats both epochs
    const again = batches({ x, y, batchSize: 10, shuffle: true, seed: 4 });
    expect(await epochIds(again)).toEqual(e1);
    expect(await epochIds(again)).toEqual(e2);
    // the order is the seeded permutation itself
    expect(e1.flat()).toEqual(Array.from(createRng(4).permutation(103)));
    tf.dispose([x, y]);
  });

  it('keeps file order without shuffle and drops the remainder on request', async () => {
    const { x, y } = data(25);
    expect((await epochIds(batches({ x, y, batchSize: 10 }))).flat()).toEqual(range(25));
    const dropped = batches({ x, y, batchSize: 10, dropRemainder: true, shuffle: true, seed: 1 });
    expect([dropped.size, dropped.samples]).toEqual([2, 20]);
    const ids = await epochIds(dropped);
    expect(ids.map((b) => b.length)).toEqual([10, 10]);
    expect(new Set(ids.flat()).size).toBe(20);
    tf.dispose([x, y]);
  });

  it('batches lists and records of tensors alike', async () => {
    const { x, y } = data(6);
    const z = tf.tensor1d(range(6).map((i) => 10 * i));
    const ds = batches({ x: { a: x, b: z }, y: [y], batchSize: 4, shuffle: true, seed: 2 });
    for (const b of ds) {
      const a = (await b.x.a!.array()) as number[][];
      const bz = (await b.x.b!.array()) as number[];
      const yy = (await b.y[0]!.array()) as number[];
      a.forEach((row, k) => {
        expect(bz[k]).toBe(10 * row[0]!);
        expect(yy[k]).toBe(2 * row[0]!);
      });
    }
    tf.dispose([x, y, z]);
  });

  it('disposes each batch when the next is requested, and on break: no tensor leaks', async () => {
    const { x, y } = data(50);
    const ds = batches({ x, y, batchSize: 8, shuffle: true, seed: 9 });
    await expectNoTensorLeaks(() => {
      for (const b of ds) expect(b.x.isDisposed).toBe(false);
      for (const _ of ds) break;
    });
    let previous: tf.Tensor | undefined;
    for (const b of ds) {
      if (previous) expect(previous.isDisposed).toBe(true);
      previous = b.x;
    }
    expect(previous!.isDisposed).toBe(true);
    // keep: the caller owns the batches
    const kept = [...batches({ x, y, batchSize: 20, keep: true })];
    expect(kept.every((b) => !b.x.isDisposed)).toBe(true);
    tf.dispose(kept.flatMap((b) => [b.x, b.y]));
    tf.dispose([x, y]);
  });

  it('rejects mismatched sample counts and a bad batch size', () => {
    const x = tf.zeros([5, 2]);
    const y = tf.zeros([4]);
    expect(() => batches({ x, y, batchSize: 2 })).toThrow(/same number of samples.*\[5,2\], \[4\]/);
    expect(() => batches({ x, y: x, batchSize: 0 })).toThrow(/batchSize must be a positive integer; got 0/);
    expect(() => batches({ x, y: x, batchSize: 1.5 })).toThrow(ValueError);
    tf.dispose([x, y]);
  });
});

async function* samples(n: number): AsyncGenerator<Sample> {
  for (let i = 0; i < n; i++) {
    await Promise.resolve();
    yield { x: [i, -i], y: 2 * i };
  }
}

async function asyncEpoch(ds: AsyncIterable<{ x: tf.Tensor; y: tf.Tensor }>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of ds) {
    const x = (await b.x.array()) as number[][];
    const y = (await b.y.array()) as number[];
    x.forEach((row, k) => expect(y[k]).toBe(2 * row[0]!));
    out.push(x.map((row) => row[0]!));
  }
  return out;
}

describe('batchesAsync', () => {
  it('batches an async source with shapes, every sample once per epoch', async () => {
    const ds = batchesAsync(() => samples(23), { batchSize: 5, xShape: [2], yShape: [] });
    const ids = await asyncEpoch(ds);
    expect(ids).toEqual([range(5), range(10).slice(5), range(15).slice(10), range(20).slice(15), [20, 21, 22]]);
    const image = batchesAsync(() => samples(4), { batchSize: 4, xShape: [1, 2, 1], yShape: [1], yDtype: 'int32' });
    for await (const b of image) {
      expect(b.x.shape).toEqual([4, 1, 2, 1]);
      expect(b.y.shape).toEqual([4, 1]);
      expect(b.y.dtype).toBe('int32');
    }
  });

  it('shuffles through a seeded buffer: deterministic, each sample exactly once, bounded displacement; a full buffer moves the last item anywhere', async () => {
    const make = (seed: number, buffer: number) =>
      batchesAsync(() => samples(200), { batchSize: 16, xShape: [2], yShape: [], shuffleBuffer: buffer, seed });
    const ds = make(5, 50);
    const e1 = (await asyncEpoch(ds)).flat();
    const e2 = (await asyncEpoch(ds)).flat();
    expect(sorted(e1)).toEqual(range(200));
    expect(sorted(e2)).toEqual(range(200));
    expect(e1).not.toEqual(range(200));
    expect(e2).not.toEqual(e1);
    expect((await asyncEpoch(make(5, 50))).flat()).toEqual(e1);
    expect((await asyncEpoch(make(6, 50))).flat()).not.toEqual(e1);
    // a buffer of 50: no sample moves earlier than 49 places before its position in the source
    e1.forEach((id, pos) => expect(pos).toBeGreaterThanOrEqual(id - 49));
    // a buffer as large as the source: the last source item lands anywhere (not only at the end)
    const lastPositions = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      lastPositions.add((await asyncEpoch(make(seed, 200))).flat().indexOf(199));
    }
    expect(lastPositions.size).toBeGreaterThan(10);
  });

  it('drops the remainder on request and leaks no tensors (also on break)', async () => {
    const ds = batchesAsync(() => samples(23), { batchSize: 5, xShape: [2], yShape: [], dropRemainder: true });
    await expectNoTensorLeaks(async () => {
      expect((await asyncEpoch(ds)).map((b) => b.length)).toEqual([5, 5, 5, 5]);
      for await (const _ of ds) break;
    });
  });

  it('names a sample of the wrong size and rejects a bad source or buffer', async () => {
    const ds = batchesAsync(() => samples(3), { batchSize: 2, xShape: [3], yShape: [] });
    await expect(asyncEpoch(ds)).rejects.toThrow(/sample 0 has 2 x values.*need 3/);
    expect(() => batchesAsync(samples(3) as never, { batchSize: 2, xShape: [2], yShape: [] })).toThrow(
      /function that returns a fresh iterable/,
    );
    expect(() => batchesAsync(() => samples(3), { batchSize: 2, xShape: [2], yShape: [], shuffleBuffer: -1 })).toThrow(
      ValueError,
    );
  });
});
