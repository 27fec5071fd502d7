import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '@plasticity/core';
import { Csr, IdMap, Interactions } from './interactions.js';
import { topK } from './topk.js';

describe('IdMap', () => {
  it('maps ids to indices in first-seen order and back', () => {
    const map = new IdMap(['b', 7, 'b', 'a']);
    expect(map.size).toBe(3);
    expect([map.index('b'), map.index(7), map.index('a'), map.index('zzz')]).toEqual([0, 1, 2, undefined]);
    expect(map.id(1)).toBe(7);
    expect(() => map.id(3)).toThrow(ValueError);
  });
});

describe('Interactions', () => {
  const data = Interactions.fromArrays({
    users: ['ann', 'bob', 'ann', 'cy'],
    items: [10, 10, 20, 30],
    values: [4, 3, 5, 1],
    timestamps: [1, 2, 3, 4],
  });

  it('builds dense indices, CSR views by user and item, and the global mean', () => {
    expect([data.numUsers, data.numItems, data.size]).toEqual([3, 3, 4]);
    const ann = data.byUser().row(data.userIndex('ann')!);
    expect(Array.from(ann.indices)).toEqual([0, 1]);
    expect(Array.from(ann.values)).toEqual([4, 5]);
    const item10 = data.byItem().row(data.itemIndex(10)!);
    expect(Array.from(item10.indices)).toEqual([0, 1]);
    expect(Array.from(item10.values)).toEqual([4, 3]);
    expect(data.globalMean).toBeCloseTo(13 / 4, 6);
  });

  it('sorts CSR rows by column whatever the input order', () => {
    const csr = Csr.fromCoo(
      Int32Array.from([1, 0, 1, 1]),
      Int32Array.from([3, 2, 0, 2]),
      Float32Array.from([1, 2, 3, 4]),
      2,
      4,
    );
    expect(Array.from(csr.indptr)).toEqual([0, 1, 4]);
    expect(Array.from(csr.row(1).indices)).toEqual([0, 2, 3]);
    expect(Array.from(csr.row(1).values)).toEqual([3, 4, 1]);
  });

  it('merges duplicate pairs by the chosen policy', () => {
    const rows = { users: [1, 1, 1], items: [5, 5, 5], values: [2, 4, 3], timestamps: [10, 30, 20] };
    const value = (policy: 'last' | 'first' | 'mean' | 'sum') =>
      Interactions.fromArrays(rows, { duplicates: policy }).values[0];
    expect(value('last')).toBe(3);
    expect(value('first')).toBe(2);
    expect(value('mean')).toBeCloseTo(3, 6);
    expect(value('sum')).toBe(9);
    expect(Interactions.fromArrays(rows).timestamps![0]).toBe(30);
    expect(() => Interactions.fromArrays(rows, { duplicates: 'error' })).toThrow(/repeats the pair \(user 1, item 5\)/);
  });

  it('rejects empty data, NaN, out-of-scale ratings, bad ids and mismatched lengths', () => {
    expect(() => Interactions.fromArrays({ users: [], items: [] })).toThrow(ValueError);
    expect(() => Interactions.fromArrays({ users: [1], items: [2], values: [Number.NaN] })).toThrow(/NaN/);
    expect(() =>
      Interactions.fromArrays({ users: [1, 2], items: [2, 3], values: [3, 6] }, { ratingScale: [1, 5] }),
    ).toThrow(/Interaction 1 .*rating 6, outside ratingScale \[1, 5\]/);
    expect(() => Interactions.fromArrays({ users: [1, ''], items: [2, 3] })).toThrow(/user id ""/);
    expect(() => Interactions.fromArrays({ users: [1, 2], items: [2] })).toThrow(ShapeError);
  });

  it('subsets share id maps', () => {
    const part = data.subset([3, 0]);
    expect(part.userIds).toBe(data.userIds);
    expect(Array.from(part.values)).toEqual([1, 4]);
    expect([...part.records()]).toEqual([
      { user: 'cy', item: 30, value: 1, timestamp: 4 },
      { user: 'ann', item: 10, value: 4, timestamp: 1 },
    ]);
    expect(() => data.subset([4])).toThrow(ValueError);
  });
});

describe('topK', () => {
  it('matches a full sort on random scores, with ties to the lower index and exclusions', () => {
    let seed = 1;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + trial;
      const scores = Float32Array.from({ length: n }, () => Math.round(next() * 10) / 10);
      const banned = Uint8Array.from({ length: n }, () => (next() < 0.2 ? 1 : 0));
      const k = 1 + (trial % 12);
      const expected = Array.from(scores, (s, i) => [i, s] as [number, number])
        .filter(([i]) => !banned[i])
        .sort((a, b) => b[1] - a[1] || a[0] - b[0])
        .slice(0, k);
      expect(topK(scores, k, banned).map(([i, s]) => [i, Math.fround(s)])).toEqual(expected);
    }
  });

  it('skips NaN and returns fewer than k when few remain', () => {
    expect(topK([Number.NaN, 1, 2], 5)).toEqual([
      [2, 2],
      [1, 1],
    ]);
  });
});
