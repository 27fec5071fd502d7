import { describe, expect, it } from 'vitest';
import { wasmBackend } from '@plasticity/backend-wasm';
import { ValueError, createRng, registerBackendPlugin } from '@plasticity/core';
import { Interactions } from '../interactions.js';
import { trainTestSplit } from '../splits.js';
import { rmse } from '../metrics/rating.js';
import { BaselineOnly } from './baseline-only.js';
import { NMF } from './nmf.js';
import { SVD, SVDpp } from './svd.js';

// SVD and NMF train in the wasm plugin's kernels (MATRIX_FACTORIZATION_KERNELS), as in an app.
registerBackendPlugin(wasmBackend);

/** Ratings `clip(3 + u·v + noise)` from known rank-`rank` factors, with `density` of pairs observed. */
function lowRank(
  seed: number,
  nUsers: number,
  nItems: number,
  rank: number,
  density: number,
  noise: number,
): Interactions {
  const rng = createRng(seed);
  const U = Array.from({ length: nUsers }, () => Array.from({ length: rank }, () => rng.normal(0, 0.8)));
  const V = Array.from({ length: nItems }, () => Array.from({ length: rank }, () => rng.normal(0, 0.8)));
  const users: number[] = [];
  const items: number[] = [];
  const values: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    for (let i = 0; i < nItems; i++) {
      if (rng.uniform() >= density) continue;
      let r = 3 + rng.normal(0, noise);
      for (let f = 0; f < rank; f++) r += U[u]![f]! * V[i]![f]!;
      users.push(u);
      items.push(i);
      values.push(Math.min(5, Math.max(1, r)));
    }
  }
  return Interactions.fromArrays({ users, items, values }, { ratingScale: [1, 5] });
}

/** Users by index, each user's ratings by item index: the order of `shuffle: false`. */
function ordered(data: Interactions): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let k = 0; k < data.size; k++) out.push([data.users[k]!, data.items[k]!, data.values[k]!]);
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

const tiny = Interactions.fromArrays({
  users: [0, 0, 1, 1, 2, 2, 2, 3],
  items: [0, 1, 0, 2, 1, 2, 3, 3],
  values: [4, 2, 5, 3, 1, 4, 5, 2],
});

describe('SVD', () => {
  it('one SGD step matches the hand-derived update', async () => {
    const one = Interactions.fromArrays({ users: ['a'], items: ['x'], values: [4] });
    const model = await new SVD({ nFactors: 2, nEpochs: 1, initMean: 0.1, initStd: 0 }).fit(one);
    // mu = 4; err = 4 - (4 + 0.1·0.1·2) = -0.02; b += 0.005·err; p, q = 0.1 + 0.005·(err·0.1 - 0.02·0.1).
    const err = -0.02;
    const b = 0.005 * err;
    const f = 0.1 + 0.005 * (err * 0.1 - 0.02 * 0.1);
    expect(model.predict('a', 'x').estimate).toBeCloseTo(4 + 2 * b + 2 * f * f, 6);
  });

  it('matches a direct transcription of Surprise’s SGD loop over several epochs', async () => {
    const F = 3;
    const model = await new SVD({
      nFactors: F,
      nEpochs: 5,
      initMean: 0.1,
      initStd: 0,
      shuffle: false,
      lrAll: 0.01,
    }).fit(tiny);
    const mu = tiny.globalMean;
    const bu = [0, 0, 0, 0];
    const bi = [0, 0, 0, 0];
    const pu = Array.from({ length: 4 }, () => Array(F).fill(0.1) as number[]);
    const qi = Array.from({ length: 4 }, () => Array(F).fill(0.1) as number[]);
    for (let e = 0; e < 5; e++) {
      for (const [u, i, r] of ordered(tiny)) {
        const dot = pu[u]!.reduce((s, p, f) => s + p * qi[i]![f]!, 0);
        const err = r - (mu + bu[u]! + bi[i]! + dot);
        bu[u]! += 0.01 * (err - 0.02 * bu[u]!);
        bi[i]! += 0.01 * (err - 0.02 * bi[i]!);
        for (let f = 0; f < F; f++) {
          const p = pu[u]![f]!;
          const q = qi[i]![f]!;
          pu[u]![f] = p + 0.01 * (err * q - 0.02 * p);
          qi[i]![f] = q + 0.01 * (err * p - 0.02 * q);
        }
      }
    }
    for (let u = 0; u < 4; u++) {
      for (let i = 0; i < 4; i++) {
        const expected = mu + bu[u]! + bi[i]! + pu[u]!.reduce((s, p, f) => s + p * qi[i]![f]!, 0);
        expect(model.predict(u, i).estimate).toBeCloseTo(expected, 5);
      }
    }
  });

  it('recovers a low-rank rating matrix (held-out RMSE near the noise, far below the baseline)', async () => {
    const data = lowRank(3, 120, 100, 3, 0.4, 0.1);
    const { train, test } = trainTestSplit(data, { testSize: 0.2, seed: 1 });
    const svd = await new SVD({ nFactors: 10, nEpochs: 150, lrAll: 0.01, seed: 2 }).fit(train);
    const baseline = await new BaselineOnly().fit(train);
    const score = (m: SVD | BaselineOnly): number =>
      rmse(Array.from(test.records(), (r) => ({ estimate: m.predict(r.user, r.item).estimate, actual: r.value })));
    const svdRmse = score(svd);
    const baseRmse = score(baseline);
    expect(svdRmse).toBeLessThan(0.35);
    expect(svdRmse).toBeLessThan(baseRmse / 2);
  });

  it('folds in a new user close to the same user trained in the full model', async () => {
    const data = lowRank(5, 150, 80, 3, 0.5, 0.1);
    const svd = await new SVD({ nFactors: 5, nEpochs: 200, lrAll: 0.01, seed: 4 }).fit(data);
    let diff = 0;
    let spread = 0;
    let n = 0;
    for (const user of [0, 1, 2]) {
      const own = Array.from(data.records()).filter((r) => r.user === user);
      const folded = svd.foldIn(own.map((r) => ({ item: r.item, rating: r.value })));
      const seen = new Set(own.map((r) => r.item));
      for (let i = 0; i < 80; i++) {
        if (seen.has(i)) continue;
        const trained = svd.predict(user, i).estimate;
        diff += Math.abs(folded.predict(i).estimate - trained);
        spread += Math.abs(trained - data.globalMean);
        n++;
      }
      expect(folded.recommend(5).every((r) => !seen.has(r.item as number))).toBe(true);
    }
    // Mean |folded - trained| is small in absolute terms and next to how far predictions vary.
    expect(diff / n).toBeLessThan(0.15);
    expect(diff / n).toBeLessThan((spread / n) * 0.25);
  });

  it('similarItems is the cosine of item factors', async () => {
    const svd = await new SVD({ nFactors: 4, nEpochs: 3, seed: 1 }).fit(tiny);
    const q = svd.itemFactors;
    const cos = (a: number, b: number): number => {
      let d = 0;
      let na = 0;
      let nb = 0;
      for (let f = 0; f < 4; f++) {
        d += q[a * 4 + f]! * q[b * 4 + f]!;
        na += q[a * 4 + f]! ** 2;
        nb += q[b * 4 + f]! ** 2;
      }
      return d / Math.sqrt(na * nb);
    };
    const similar = svd.similarItems(0, 3);
    const expected = [1, 2, 3].map((j) => ({ item: j, score: cos(0, j) })).sort((a, b) => b.score - a.score);
    expect(similar.map((s) => s.item)).toEqual(expected.map((e) => e.item));
    similar.forEach((s, k) => expect(s.score).toBeCloseTo(expected[k]!.score, 5));
  });

  it('rejects bad configs', () => {
    expect(() => new SVD({ nFactors: 0 })).toThrow(ValueError);
    expect(() => new SVD({ lrAll: -1 })).toThrow(/lrAll/);
    expect(() => new SVD({ initStd: Number.NaN })).toThrow(/initStd/);
  });
});

describe('SVD++', () => {
  it('matches a direct transcription of Surprise’s SGD loop (per-rating y_j updates)', async () => {
    const F = 2;
    const epochs = 4;
    const model = await new SVDpp({
      nFactors: F,
      nEpochs: epochs,
      initMean: 0.1,
      initStd: 0,
      shuffle: false,
      lrAll: 0.02,
    }).fit(tiny);
    const mu = tiny.globalMean;
    const bu = [0, 0, 0, 0];
    const bi = [0, 0, 0, 0];
    const mat = (): number[][] => Array.from({ length: 4 }, () => Array(F).fill(0.1) as number[]);
    const pu = mat();
    const qi = mat();
    const yj = mat();
    const rows = ordered(tiny);
    const Iu = (u: number): number[] => rows.filter((r) => r[0] === u).map((r) => r[1]);
    const lr = 0.02;
    const reg = 0.02;
    for (let e = 0; e < epochs; e++) {
      for (const [u, i, r] of rows) {
        const items = Iu(u);
        const s = Math.sqrt(items.length);
        const imp = Array.from({ length: F }, (_, f) => items.reduce((acc, j) => acc + yj[j]![f]! / s, 0));
        const dot = qi[i]!.reduce((acc, q, f) => acc + q * (pu[u]![f]! + imp[f]!), 0);
        const err = r - (mu + bu[u]! + bi[i]! + dot);
        bu[u]! += lr * (err - reg * bu[u]!);
        bi[i]! += lr * (err - reg * bi[i]!);
        for (let f = 0; f < F; f++) {
          const p = pu[u]![f]!;
          const q = qi[i]![f]!;
          pu[u]![f] = p + lr * (err * q - reg * p);
          qi[i]![f] = q + lr * (err * (p + imp[f]!) - reg * q);
          for (const j of items) yj[j]![f]! += lr * ((err * q) / s - reg * yj[j]![f]!);
        }
      }
    }
    for (let u = 0; u < 4; u++) {
      const items = Iu(u);
      const imp = Array.from(
        { length: F },
        (_, f) => items.reduce((acc, j) => acc + yj[j]![f]!, 0) / Math.sqrt(items.length),
      );
      for (let i = 0; i < 4; i++) {
        const expected = mu + bu[u]! + bi[i]! + qi[i]!.reduce((acc, q, f) => acc + q * (pu[u]![f]! + imp[f]!), 0);
        expect(model.predict(u, i).estimate).toBeCloseTo(expected, 5);
      }
    }
  });

  it('folds in a new user close to the same user trained in the full model', async () => {
    const data = lowRank(6, 150, 80, 3, 0.5, 0.1);
    const model = await new SVDpp({ nFactors: 5, nEpochs: 100, lrAll: 0.01, seed: 4 }).fit(data);
    let diff = 0;
    let n = 0;
    for (const user of [0, 1, 2]) {
      const own = Array.from(data.records()).filter((r) => r.user === user);
      const folded = model.foldIn(own.map((r) => ({ item: r.item, rating: r.value })));
      const seen = new Set(own.map((r) => r.item));
      for (let i = 0; i < 80; i++) {
        if (seen.has(i)) continue;
        diff += Math.abs(folded.predict(i).estimate - model.predict(user, i).estimate);
        n++;
      }
    }
    expect(diff / n).toBeLessThan(0.15);
  });
});

describe('NMF', () => {
  it('matches a direct transcription of Surprise’s multiplicative updates', async () => {
    const F = 2;
    const epochs = 3;
    const model = await new NMF({ nFactors: F, nEpochs: epochs, seed: 9 }).fit(tiny);
    // The same uniform initialisation: users' factors, then items', from the seeded generator.
    const rng = createRng(9);
    const pu = Array.from({ length: 4 }, () => Array.from({ length: F }, () => rng.uniform(0, 1)));
    const qi = Array.from({ length: 4 }, () => Array.from({ length: F }, () => rng.uniform(0, 1)));
    const rows = ordered(tiny);
    for (let e = 0; e < epochs; e++) {
      const un = pu.map(() => Array(F).fill(0) as number[]);
      const ud = pu.map(() => Array(F).fill(0) as number[]);
      const inum = qi.map(() => Array(F).fill(0) as number[]);
      const iden = qi.map(() => Array(F).fill(0) as number[]);
      for (const [u, i, r] of rows) {
        const est = pu[u]!.reduce((s, p, f) => s + p * qi[i]![f]!, 0);
        for (let f = 0; f < F; f++) {
          un[u]![f]! += qi[i]![f]! * r;
          ud[u]![f]! += qi[i]![f]! * est;
          inum[i]![f]! += pu[u]![f]! * r;
          iden[i]![f]! += pu[u]![f]! * est;
        }
      }
      for (let u = 0; u < 4; u++) {
        const n = rows.filter((r) => r[0] === u).length;
        for (let f = 0; f < F; f++) pu[u]![f]! *= un[u]![f]! / (ud[u]![f]! + n * 0.06 * pu[u]![f]!);
      }
      for (let i = 0; i < 4; i++) {
        const n = rows.filter((r) => r[1] === i).length;
        for (let f = 0; f < F; f++) qi[i]![f]! *= inum[i]![f]! / (iden[i]![f]! + n * 0.06 * qi[i]![f]!);
      }
    }
    for (let u = 0; u < 4; u++) {
      for (let i = 0; i < 4; i++) {
        expect(model.predict(u, i).estimate).toBeCloseTo(
          pu[u]!.reduce((s, p, f) => s + p * qi[i]![f]!, 0),
          5,
        );
      }
    }
  });

  it('rejects initLow < 0 and initHigh ≤ initLow', () => {
    expect(() => new NMF({ initLow: -1 })).toThrow(/initLow/);
    expect(() => new NMF({ initLow: 1, initHigh: 1 })).toThrow(/initHigh/);
  });
});
