import { cpuBackend } from '@plasticity/backend-cpu';
import { ValueError, ShapeError, registerBackendPlugin, useBackend } from '@plasticity/core';
import { Embedding, Model, input } from '@plasticity/layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { transferEmbeddings } from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

function built(rows: number, dim: number, name?: string): Embedding {
  const e = new Embedding({ inputDim: rows, outputDim: dim, ...(name === undefined ? {} : { name }) });
  e.build();
  return e;
}

describe('transferEmbeddings', () => {
  it('copies rows matched by id between differently indexed tables; unmapped rows take the mean', () => {
    const source = tf.tensor2d([
      [1, 1],
      [2, 4],
      [3, 9],
    ]);
    const to = built(4, 2);
    // source rows are items a, b, c; target rows are items c, x, a, y
    const result = transferEmbeddings(source, to, {
      mapping: { from: ['a', 'b', 'c'], to: ['c', 'x', 'a', 'y'] },
      unmapped: 'mean',
    });
    expect(result).toEqual({ copied: 2, unmapped: 2 });
    // mean of the copied rows (c and a) = [2, 5]
    expect(to.embeddings!.arraySync()).toEqual([
      [3, 9],
      [2, 5],
      [1, 1],
      [2, 5],
    ]);
  });

  it('keeps or zeroes unmapped rows, and takes row pairs or a Map', () => {
    const from = built(3, 2);
    from.embeddings!.assign(tf.tensor2d([0, 1, 2, 3, 4, 5], [3, 2]));
    const to = built(3, 2);
    const kept = Array.from(to.embeddings!.dataSync());
    transferEmbeddings(from, to, { mapping: [[2, 0]] });
    expect(Array.from(to.embeddings!.dataSync())).toEqual([4, 5, ...kept.slice(2)]);
    transferEmbeddings(from, to, { mapping: new Map([[0, 1]]), unmapped: 'zeros' });
    expect(Array.from(to.embeddings!.dataSync())).toEqual([0, 0, 0, 1, 0, 0]);
  });

  it('finds layers by name in models and copies everything row for row by default', () => {
    const a = input({ shape: [1], name: 'ids_a' });
    const ma = new Model({
      inputs: a,
      outputs: new Embedding({ inputDim: 3, outputDim: 2, name: 'items_a' }).apply(a),
    });
    const b = input({ shape: [1], name: 'ids_b' });
    const mb = new Model({
      inputs: b,
      outputs: new Embedding({ inputDim: 3, outputDim: 2, name: 'items_b' }).apply(b),
    });
    transferEmbeddings({ model: ma, layer: 'items_a' }, { model: mb, layer: 'items_b' });
    expect(mb.getLayer('items_b').weights[0]!.dataSync()).toEqual(ma.getLayer('items_a').weights[0]!.dataSync());
  });

  it('rejects mismatched dimensions, row counts, out-of-range and duplicate pairs', () => {
    const from = built(3, 2);
    expect(() => transferEmbeddings(from, built(3, 4))).toThrow(ShapeError);
    expect(() => transferEmbeddings(from, built(4, 2))).toThrow(/pass a mapping/);
    expect(() => transferEmbeddings(from, built(3, 2), { mapping: [[5, 0]] })).toThrow(/out of range/);
    expect(() =>
      transferEmbeddings(from, built(3, 2), {
        mapping: [
          [0, 1],
          [2, 1],
        ],
      }),
    ).toThrow(/mapped twice/);
    expect(() => transferEmbeddings(from, built(3, 2), { mapping: { from: ['a'], to: ['a', 'b', 'c'] } })).toThrow(
      /one id per row/,
    );
    expect(() => transferEmbeddings(from, built(3, 2), { unmapped: 'drop' as never })).toThrow(ValueError);
  });
});
