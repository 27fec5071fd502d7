import { describe, expect, it } from 'vitest';
import { ValueError } from '@plasticity/core';
import { Interactions } from '../interactions.js';
import { KNNBaseline, KNNBasic, KNNWithMeans, KNNWithZScore } from './knn.js';
import { SlopeOne } from './slope-one.js';

// A: x=4 y=2 | B: x=5 y=1 z=4 | C: x=2 y=4 z=1. We predict A's rating of z.
const data = Interactions.fromArrays({
  users: ['A', 'A', 'B', 'B', 'B', 'C', 'C', 'C'],
  items: ['x', 'y', 'x', 'y', 'z', 'x', 'y', 'z'],
  values: [4, 2, 5, 1, 4, 2, 4, 1],
});
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const popStd = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const meanA = 3;
const meanB = 10 / 3;
const meanC = 7 / 3;

/** Surprise's ALS baselines, written out independently (regI 10, regU 15). */
function alsBaselines(epochs: number): { mu: number; bu: Record<string, number>; bi: Record<string, number> } {
  const ratings: [string, string, number][] = [
    ['A', 'x', 4],
    ['A', 'y', 2],
    ['B', 'x', 5],
    ['B', 'y', 1],
    ['B', 'z', 4],
    ['C', 'x', 2],
    ['C', 'y', 4],
    ['C', 'z', 1],
  ];
  const mu = mean(ratings.map((r) => r[2]));
  const bu: Record<string, number> = { A: 0, B: 0, C: 0 };
  const bi: Record<string, number> = { x: 0, y: 0, z: 0 };
  for (let e = 0; e < epochs; e++) {
    for (const i of ['x', 'y', 'z']) {
      const rs = ratings.filter((r) => r[1] === i);
      bi[i] = rs.reduce((s, [u, , r]) => s + r - mu - bu[u]!, 0) / (10 + rs.length);
    }
    for (const u of ['A', 'B', 'C']) {
      const rs = ratings.filter((r) => r[0] === u);
      bu[u] = rs.reduce((s, [, i, r]) => s + r - mu - bi[i]!, 0) / (15 + rs.length);
    }
  }
  return { mu, bu, bi };
}

describe('KNN predictions match hand computations (user-based)', () => {
  // msd: sim(A,B) = 1/(((4-5)² + (2-1)²)/2 + 1) = 0.5; sim(A,C) = 1/((4 + 4)/2 + 1) = 0.2.
  it('KNNBasic with msd, cosine and pearson', async () => {
    const msd = await new KNNBasic().fit(data);
    expect(msd.predict('A', 'z').estimate).toBeCloseTo((0.5 * 4 + 0.2 * 1) / 0.7, 5);
    const cosAB = (4 * 5 + 2 * 1) / Math.sqrt((16 + 4) * (25 + 1));
    const cosAC = (4 * 2 + 2 * 4) / Math.sqrt((16 + 4) * (4 + 16));
    const cosine = await new KNNBasic({ sim: { name: 'cosine' } }).fit(data);
    expect(cosine.predict('A', 'z').estimate).toBeCloseTo((cosAB * 4 + cosAC * 1) / (cosAB + cosAC), 5);
    // pearson(A,B) = 1 and pearson(A,C) = -1: only B counts.
    const pearson = await new KNNBasic({ sim: { name: 'pearson' } }).fit(data);
    expect(pearson.predict('A', 'z').estimate).toBeCloseTo(4, 5);
  });

  it('KNNWithMeans and KNNWithZScore with pearson', async () => {
    const means = await new KNNWithMeans({ sim: { name: 'pearson' } }).fit(data);
    expect(means.predict('A', 'z').estimate).toBeCloseTo(meanA + (4 - meanB), 5);
    const z = await new KNNWithZScore({ sim: { name: 'pearson' } }).fit(data);
    const sigmaA = popStd([4, 2]);
    const sigmaB = popStd([5, 1, 4]);
    expect(z.predict('A', 'z').estimate).toBeCloseTo(meanA + ((4 - meanB) / sigmaB) * sigmaA, 5);
    // msd: both neighbours.
    const msd = await new KNNWithMeans().fit(data);
    expect(msd.predict('A', 'z').estimate).toBeCloseTo(meanA + (0.5 * (4 - meanB) + 0.2 * (1 - meanC)) / 0.7, 5);
  });

  it('KNNBaseline with msd and pearson_baseline use ALS baselines', async () => {
    const { mu, bu, bi } = alsBaselines(10);
    const b = (u: string, i: string): number => mu + bu[u]! + bi[i]!;
    const msd = await new KNNBaseline().fit(data);
    const expected = b('A', 'z') + (0.5 * (4 - b('B', 'z')) + 0.2 * (1 - b('C', 'z'))) / 0.7;
    expect(msd.predict('A', 'z').estimate).toBeCloseTo(expected, 4);
    // pearson_baseline between A and B, A and C over x and y, shrunk by (n-1)/(n-1+100).
    const pb = (v: string): number => {
      const di = ['x', 'y'].map((i, k) => [4, 2][k]! - b('A', i));
      const dj = ['x', 'y'].map((i, k) => (v === 'B' ? [5, 1] : [2, 4])[k]! - b(v, i));
      const prods = di[0]! * dj[0]! + di[1]! * dj[1]!;
      const sq = (d: number[]): number => d[0]! ** 2 + d[1]! ** 2;
      return (prods / Math.sqrt(sq(di) * sq(dj))) * (1 / 101);
    };
    const simB = pb('B');
    const simC = pb('C');
    const model = await new KNNBaseline({ sim: { name: 'pearson_baseline' } }).fit(data);
    const neighbours = [
      [simB, 4 - b('B', 'z')],
      [simC, 1 - b('C', 'z')],
    ].filter(([s]) => s! > 0);
    const num = neighbours.reduce((s, [sim, d]) => s + sim! * d!, 0);
    const den = neighbours.reduce((s, [sim]) => s + sim!, 0);
    expect(model.predict('A', 'z').estimate).toBeCloseTo(b('A', 'z') + (den > 0 ? num / den : 0), 4);
  });

  it("follows Surprise's minK rules", async () => {
    const basic = await new KNNBasic({ minK: 3 }).fit(data);
    expect(basic.predict('A', 'z')).toMatchObject({ estimate: data.globalMean, wasImpossible: true });
    const withMeans = await new KNNWithMeans({ minK: 3 }).fit(data);
    expect(withMeans.predict('A', 'z')).toMatchObject({ estimate: meanA, wasImpossible: false });
    // k = 1 keeps only the most similar neighbour (B, sim 0.5).
    const k1 = await new KNNBasic({ k: 1 }).fit(data);
    expect(k1.predict('A', 'z').estimate).toBeCloseTo(4, 5);
  });
});

describe('KNN item-based', () => {
  it('predicts from the most similar items and serves similarItems', async () => {
    // sim(z,x) = 1/((1 + 1)/2 + 1) = 0.5; sim(z,y) = 1/((9 + 9)/2 + 1) = 0.1.
    const model = await new KNNBasic({ sim: { userBased: false } }).fit(data);
    expect(model.predict('A', 'z').estimate).toBeCloseTo((0.5 * 4 + 0.1 * 2) / 0.6, 5);
    const similar = model.similarItems('z', 2);
    expect(similar.map((s) => s.item)).toEqual(['x', 'y']);
    expect(similar[0]!.score).toBeCloseTo(0.5, 6);
    expect(similar[1]!.score).toBeCloseTo(0.1, 6);
    const userBased = await new KNNBasic().fit(data);
    expect(() => userBased.similarItems('z', 2)).toThrow(/user-based/);
  });
});

describe('KNN fold-in', () => {
  for (const [Model, userBased, name] of [
    [KNNBasic, true, 'msd'],
    [KNNWithMeans, true, 'pearson'],
    [KNNWithZScore, false, 'cosine'],
    [KNNBaseline, true, 'pearson_baseline'],
    [KNNBaseline, false, 'msd'],
  ] as const) {
    it(`${Model.className} (${userBased ? 'user' : 'item'}-based, ${name}): a folded-in copy of a user predicts like the user`, async () => {
      const rows = 30;
      const users: number[] = [];
      const items: number[] = [];
      const values: number[] = [];
      for (let u = 0; u < rows; u++) {
        for (let i = 0; i < 12; i++) {
          if ((u * 7 + i * 3) % 5 === 0) continue;
          users.push(u);
          items.push(i);
          values.push(1 + ((u * 3 + i * 5 + (u % 3) * i) % 5));
        }
      }
      const d = Interactions.fromArrays({ users, items, values }, { ratingScale: [1, 5] });
      const model = await new Model({ sim: { name, userBased } }).fit(d);
      const own = Array.from(d.records()).filter((r) => r.user === 4);
      const folded = model.foldIn(own.map((r) => ({ item: r.item, rating: r.value })));
      for (let i = 0; i < 12; i++) {
        if (own.some((r) => r.item === i)) continue;
        expect(folded.predict(i).estimate).toBeCloseTo(model.predict(4, i).estimate, 4);
      }
    });
  }
});

describe('SlopeOne', () => {
  it('predicts mean(u) plus the mean deviation over co-rated items', async () => {
    // dev(z,x) = ((4-5) + (1-2))/2 = -1; dev(z,y) = ((4-1) + (1-4))/2 = 0.
    const model = await new SlopeOne().fit(data);
    expect(model.predict('A', 'z').estimate).toBeCloseTo(meanA + (-1 + 0) / 2, 6);
    // B's x: R_x(B) = {x, y, z}: dev(x,x) = 0, dev(x,y) = ((4-2)+(5-1)+(2-4))/3 = 4/3, dev(x,z) = ((5-4)+(2-1))/2 = 1.
    expect(model.predict('B', 'x').estimate).toBeCloseTo(meanB + (0 + 4 / 3 + 1) / 3, 6);
    expect(model.numPairs).toBe(9);
  });
});

describe('KNN config errors', () => {
  it('rejects bad options with ValueErrors naming the field', () => {
    expect(() => new KNNBasic({ k: 0 })).toThrow(/k must be an integer/);
    expect(() => new KNNBasic({ minK: -1 })).toThrow(ValueError);
    expect(() => new KNNBasic({ sim: { name: 'jaccard' as never } })).toThrow(/sim.name must be one of/);
    expect(() => new KNNBaseline({ bsl: { method: 'lbfgs' as never } })).toThrow(/bsl.method/);
  });
});
