import { describe, expect, it } from 'vitest';
import { ValueError } from '@plasticity/core';
import { Interactions } from './interactions.js';
import { kFold, leaveKOut, leaveLastOut, temporalSplit, trainTestSplit, type Split } from './splits.js';

const n = 53;
const data = Interactions.fromArrays({
  users: Array.from({ length: n }, (_, k) => `u${k % 7}`),
  items: Array.from({ length: n }, (_, k) => `i${k}`),
  values: Array.from({ length: n }, (_, k) => 1 + (k % 5)),
  timestamps: Array.from({ length: n }, (_, k) => 1000 + ((k * 37) % n)),
});

function expectPartition(split: Split, size: number): void {
  const rows = [...split.trainRows, ...split.testRows].sort((a, b) => a - b);
  expect(rows).toEqual(Array.from({ length: size }, (_, k) => k));
  expect(split.train.size).toBe(split.trainRows.length);
  expect(split.test.size).toBe(split.testRows.length);
  // The parts hold the rows they name.
  split.testRows.forEach((r, k) => expect(split.test.items[k]).toBe(data.items[r]));
}

describe('splits', () => {
  it('trainTestSplit: disjoint, covering, sized, deterministic per seed', () => {
    const a = trainTestSplit(data, { testSize: 0.25, seed: 3 });
    expectPartition(a, n);
    expect(a.testRows.length).toBe(Math.ceil(0.25 * n));
    expect(trainTestSplit(data, { testSize: 0.25, seed: 3 }).testRows).toEqual(a.testRows);
    expect(trainTestSplit(data, { testSize: 0.25, seed: 4 }).testRows).not.toEqual(a.testRows);
    expect(trainTestSplit(data, { testSize: 10 }).testRows.length).toBe(10);
  });

  it('kFold: test parts partition the data with Surprise fold sizes; train is the complement', () => {
    const folds = kFold(data, { folds: 5, seed: 1 });
    // 53 = 5·10 + 3: the first three folds get 11.
    expect(folds.map((f) => f.testRows.length)).toEqual([11, 11, 11, 10, 10]);
    const all = folds.flatMap((f) => [...f.testRows]).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: n }, (_, k) => k));
    for (const f of folds) expectPartition(f, n);
    expect(kFold(data, { folds: 5, seed: 1 }).map((f) => [...f.testRows])).toEqual(folds.map((f) => [...f.testRows]));
    const unshuffled = kFold(data, { folds: 4, shuffle: false });
    expect([...unshuffled[0]!.testRows]).toEqual(Array.from({ length: 14 }, (_, k) => k));
  });

  it('leaveLastOut holds out each user’s latest interactions', () => {
    const split = leaveLastOut(data, { k: 2 });
    expectPartition(split, n);
    for (let u = 0; u < 7; u++) {
      const rows = Array.from({ length: n }, (_, k) => k).filter((k) => k % 7 === u);
      const latest = [...rows].sort((a, b) => data.timestamps![b]! - data.timestamps![a]!).slice(0, 2);
      expect([...split.testRows].filter((r) => r % 7 === u).sort()).toEqual(latest.sort());
    }
  });

  it('leaveKOut holds out k per user at random, deterministically', () => {
    const split = leaveKOut(data, { k: 3, seed: 2 });
    expectPartition(split, n);
    for (let u = 0; u < 7; u++) expect([...split.testRows].filter((r) => r % 7 === u).length).toBe(3);
    expect(leaveKOut(data, { k: 3, seed: 2 }).testRows).toEqual(split.testRows);
  });

  it('temporalSplit cuts at a global time', () => {
    const split = temporalSplit(data, { cutoff: 1040 });
    expectPartition(split, n);
    for (const r of split.testRows) expect(data.timestamps![r]).toBeGreaterThanOrEqual(1040);
    for (const r of split.trainRows) expect(data.timestamps![r]).toBeLessThan(1040);
    expect(temporalSplit(data, { testSize: 0.2 }).testRows.length).toBe(Math.ceil(0.2 * n));
  });

  it('rejects bad arguments with ValueErrors', () => {
    expect(() => trainTestSplit(data, { testSize: 1.5 })).toThrow(/testSize/);
    expect(() => kFold(data, { folds: 1 })).toThrow(/folds must be an integer/);
    expect(() => trainTestSplit(data, { seed: -1 })).toThrow(/seed/);
    const untimed = Interactions.fromArrays({ users: [1, 2], items: [1, 2] });
    expect(() => leaveLastOut(untimed)).toThrow(/needs timestamps/);
    expect(() => temporalSplit(data, { cutoff: 0 })).toThrow(ValueError);
    expect(() => leaveKOut(data, { k: 0 })).toThrow(/k must be a positive integer/);
  });
});
