import { ValueError } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import { indicesOf, selectIndices } from './data.js';

// 10 classes × 6 images: label of image i is i % 10.
const labels = Array.from({ length: 60 }, (_, i) => i % 10);
const source = [0, 1, 2, 3, 4];
const target = [5, 6, 7, 8, 9];

describe('selectIndices', () => {
  it('takes exactly `shots` images of each target class, disjoint validation, source-only pretraining', () => {
    const idx = selectIndices(labels, { source, target, shots: 2, validation: 10, pretrain: 7, seed: 3 });
    for (const c of target) expect(idx.fewShot.filter((i) => labels[i] === c)).toHaveLength(2);
    expect(idx.fewShot).toHaveLength(10);
    expect(idx.validation).toHaveLength(10);
    expect(idx.validation.every((i) => target.includes(labels[i]!))).toBe(true);
    expect(idx.validation.filter((i) => idx.fewShot.includes(i))).toEqual([]);
    expect(idx.pretrain).toHaveLength(7);
    expect(idx.pretrain.every((i) => source.includes(labels[i]!))).toBe(true);
  });

  it('is a function of the seed', () => {
    const options = { source, target, shots: 3, validation: 5, pretrain: 10 };
    expect(selectIndices(labels, { ...options, seed: 1 })).toEqual(selectIndices(labels, { ...options, seed: 1 }));
    expect(selectIndices(labels, { ...options, seed: 1 }).fewShot).not.toEqual(
      selectIndices(labels, { ...options, seed: 2 }).fewShot,
    );
  });

  it('caps validation at what is left (6 per class − shots)', () => {
    const idx = selectIndices(labels, { source, target, shots: 4, validation: 1000, pretrain: 0, seed: 1 });
    expect(idx.validation).toHaveLength(5 * (6 - 4));
  });

  it('rejects more shots than a class has, and non-positive shots', () => {
    expect(() => selectIndices(labels, { source, target, shots: 7, validation: 0, pretrain: 0, seed: 1 })).toThrow(
      /class 5 has only 6 training images; shots=7/,
    );
    expect(() => selectIndices(labels, { source, target, shots: 0, validation: 0, pretrain: 0, seed: 1 })).toThrow(
      ValueError,
    );
  });
});

describe('indicesOf', () => {
  it('lists matching indices in file order up to the limit', () => {
    expect(indicesOf([3, 5, 3, 1, 5], [5, 1])).toEqual([1, 3, 4]);
    expect(indicesOf([3, 5, 3, 1, 5], [5, 1], 2)).toEqual([1, 3]);
  });
});
