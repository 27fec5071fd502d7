import { describe, expect, it } from 'vitest';
import { wasmBackend } from '@plasticity/backend-wasm';
import { ArtifactError, ValueError, createRng, memoryIO, registerBackendPlugin } from '@plasticity/core';
import { Interactions } from '../interactions.js';
import { Recommender } from '../recommender.js';
import { BaselineOnly } from './baseline-only.js';
import { CoClustering } from './co-clustering.js';
import { KNNBaseline, KNNBasic, KNNWithMeans, KNNWithZScore } from './knn.js';
import { NMF } from './nmf.js';
import { NormalPredictor } from './normal-predictor.js';
import { SlopeOne } from './slope-one.js';
import { SVD, SVDpp } from './svd.js';
import { registerBuiltinRecommenders } from '../builtins.js';

// Loading a saved model looks its class up by name: register the built-ins once.
registerBuiltinRecommenders();

// SVD and NMF train in the wasm plugin's kernels (MATRIX_FACTORIZATION_KERNELS), as in an app.
registerBackendPlugin(wasmBackend);

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
const data = Interactions.fromArrays(
  { users: ratings.map((r) => r[0]), items: ratings.map((r) => r[1]), values: ratings.map((r) => r[2]) },
  { ratingScale: [1, 5] },
);
const mu = 23 / 8;

describe('BaselineOnly', () => {
  it('one ALS epoch matches the hand computation (items first, then users)', async () => {
    const model = await new BaselineOnly({ bsl: { nEpochs: 1 } }).fit(data);
    const bx = (4 - mu + (5 - mu) + (2 - mu)) / (10 + 3);
    const by = (2 - mu + (1 - mu) + (4 - mu)) / (10 + 3);
    const bz = (4 - mu + (1 - mu)) / (10 + 2);
    const bA = (4 - mu - bx + (2 - mu - by)) / (15 + 2);
    expect(model.predict('A', 'z').estimate).toBeCloseTo(mu + bA + bz, 6);
    // An unknown user gets mu + bi (Surprise), flagged as impossible.
    expect(model.predict('new', 'z')).toMatchObject({ wasImpossible: true });
    expect(model.predict('new', 'z').estimate).toBeCloseTo(mu + bz, 6);
  });

  it('one SGD epoch matches the hand computation', async () => {
    const model = await new BaselineOnly({ bsl: { method: 'sgd', nEpochs: 1 } }).fit(data);
    const bu: Record<string, number> = { A: 0, B: 0, C: 0 };
    const bi: Record<string, number> = { x: 0, y: 0, z: 0 };
    for (const [u, i, r] of ratings) {
      const err = r - (mu + bu[u]! + bi[i]!);
      bu[u]! += 0.005 * (err - 0.02 * bu[u]!);
      bi[i]! += 0.005 * (err - 0.02 * bi[i]!);
    }
    for (const u of ['A', 'B', 'C']) {
      for (const i of ['x', 'y', 'z']) expect(model.predict(u, i).estimate).toBeCloseTo(mu + bu[u]! + bi[i]!, 6);
    }
  });

  it('folds in a user exactly as the last ALS half-step trains one', async () => {
    const model = await new BaselineOnly().fit(data);
    const folded = model.foldIn([
      { item: 'x', rating: 4 },
      { item: 'y', rating: 2 },
    ]);
    // The ALS epoch ends with the user step, so folding in A's ratings reproduces A's bias.
    expect(folded.predict('z').estimate).toBeCloseTo(model.predict('A', 'z').estimate, 5);
    expect(folded.recommend(5)).toEqual([{ item: 'z', score: expect.closeTo(model.predict('A', 'z').estimate, 5) }]);
    expect(() => model.foldIn([{ item: 'x', rating: 9 }])).toThrow(/outside the rating scale/);
    expect(() => model.foldIn([{ item: 'x', rating: Number.NaN }])).toThrow(ValueError);
    expect(model.foldIn([{ item: 'unknown', rating: 3 }]).input.unknownItems).toBe(1);
  });
});

describe('NormalPredictor', () => {
  it('draws from N(mean, population std) of the training ratings', async () => {
    const model = await new NormalPredictor({ seed: 3 }).fit(data);
    const sigma = Math.sqrt(ratings.reduce((s, r) => s + (r[2] - mu) ** 2, 0) / ratings.length);
    expect(model.mu).toBeCloseTo(mu, 10);
    expect(model.sigma).toBeCloseTo(sigma, 10);
    // Unclipped draws via a wide scale: sample mean and std within a few standard errors.
    const wide = Interactions.fromArrays({ users: data.users, items: data.items, values: data.values });
    const free = await new NormalPredictor({ seed: 4 }).fit(wide);
    const n = 4000;
    const draws = Array.from({ length: n }, () => free.predict(0, 0).estimate);
    const m = draws.reduce((a, b) => a + b, 0) / n;
    const s = Math.sqrt(draws.reduce((a, b) => a + (b - m) ** 2, 0) / n);
    expect(Math.abs(m - mu)).toBeLessThan((4 * sigma) / Math.sqrt(n));
    expect(Math.abs(s - sigma)).toBeLessThan(0.06 * sigma);
    // Clipped to the rating scale.
    for (let k = 0; k < 200; k++) {
      const e = model.predict('A', 'x').estimate;
      expect(e).toBeGreaterThanOrEqual(1);
      expect(e).toBeLessThanOrEqual(5);
    }
  });
});

describe('CoClustering', () => {
  it('with one cluster each predicts mean(u) + mean(i) - mu', async () => {
    const model = await new CoClustering({ nCltrU: 1, nCltrI: 1 }).fit(data);
    expect(model.predict('A', 'z').estimate).toBeCloseTo(3 + 2.5 - mu, 6);
    expect(model.predict('B', 'y').estimate).toBeCloseTo(10 / 3 + 7 / 3 - mu, 6);
  });

  it('matches a direct transcription of Surprise’s co-clustering loop', async () => {
    const users: number[] = [];
    const items: number[] = [];
    const values: number[] = [];
    for (let u = 0; u < 12; u++) {
      for (let i = 0; i < 9; i++) {
        if (u > 0 && (u * 3 + i) % 4 === 0) continue; // user 0 rates every item: ids = indices
        users.push(u);
        items.push(i);
        values.push(1 + ((u * 7 + i * 5 + ((u * i) % 3)) % 5));
      }
    }
    const d = Interactions.fromArrays({ users, items, values });
    const [U, I, epochs] = [3, 2, 4];
    const model = await new CoClustering({ nCltrU: U, nCltrI: I, nEpochs: epochs, seed: 7 }).fit(d);
    // Reference: random initial clusters from the same seeded draws (users, then items).
    const rng = createRng(7);
    const cu = Array.from({ length: 12 }, () => rng.int(U));
    const ci = Array.from({ length: 9 }, () => rng.int(I));
    const rows = users.map((u, k) => [u, items[k]!, values[k]!] as const);
    const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const g = avg(values);
    const userMean = Array.from({ length: 12 }, (_, u) => avg(rows.filter((r) => r[0] === u).map((r) => r[2])));
    const itemMean = Array.from({ length: 9 }, (_, i) => avg(rows.filter((r) => r[1] === i).map((r) => r[2])));
    const averages = (): { au: number[]; ai: number[]; ac: number[][] } => {
      const mean = (rs: (readonly [number, number, number])[]): number =>
        rs.length > 0 ? avg(rs.map((r) => r[2])) : g;
      return {
        au: Array.from({ length: U }, (_, a) => mean(rows.filter((r) => cu[r[0]] === a))),
        ai: Array.from({ length: I }, (_, b) => mean(rows.filter((r) => ci[r[1]] === b))),
        ac: Array.from({ length: U }, (_, a) =>
          Array.from({ length: I }, (_, b) => mean(rows.filter((r) => cu[r[0]] === a && ci[r[1]] === b))),
        ),
      };
    };
    const argmin = (xs: number[]): number => xs.indexOf(Math.min(...xs));
    for (let e = 0; e < epochs; e++) {
      const { au, ai, ac } = averages();
      const est = (u: number, i: number, a: number, b: number): number =>
        ac[a]![b]! + userMean[u]! - au[a]! + itemMean[i]! - ai[b]!;
      for (let u = 0; u < 12; u++) {
        const mine = rows.filter((r) => r[0] === u);
        cu[u] = argmin(
          Array.from({ length: U }, (_, a) => mine.reduce((s, [, i, r]) => s + (r - est(u, i, a, ci[i]!)) ** 2, 0)),
        );
      }
      for (let i = 0; i < 9; i++) {
        const mine = rows.filter((r) => r[1] === i);
        ci[i] = argmin(
          Array.from({ length: I }, (_, b) => mine.reduce((s, [u, , r]) => s + (r - est(u, i, cu[u]!, b)) ** 2, 0)),
        );
      }
    }
    expect(Array.from(model.clusters.users)).toEqual(cu);
    expect(Array.from(model.clusters.items)).toEqual(ci);
    const { au, ai, ac } = averages();
    for (let u = 0; u < 12; u++) {
      for (let i = 0; i < 9; i++) {
        const expected = ac[cu[u]!]![ci[i]!]! + userMean[u]! - au[cu[u]!]! + itemMean[i]! - ai[ci[i]!]!;
        expect(model.predict(u, i).estimate).toBeCloseTo(expected, 5);
      }
    }
  });
});

const factories: [string, () => Recommender][] = [
  ['NormalPredictor', () => new NormalPredictor({ seed: 1 })],
  ['BaselineOnly', () => new BaselineOnly({ bsl: { method: 'sgd' } })],
  ['KNNBasic', () => new KNNBasic({ sim: { name: 'cosine' } })],
  ['KNNWithMeans', () => new KNNWithMeans({ sim: { userBased: false } })],
  ['KNNWithZScore', () => new KNNWithZScore({ sim: { name: 'pearson' } })],
  ['KNNBaseline', () => new KNNBaseline({ sim: { name: 'pearson_baseline' } })],
  ['SVD', () => new SVD({ nFactors: 3, seed: 2 })],
  ['SVDpp', () => new SVDpp({ nFactors: 3, seed: 2 })],
  ['NMF', () => new NMF({ nFactors: 2, biased: true, seed: 2 })],
  ['SlopeOne', () => new SlopeOne()],
  ['CoClustering', () => new CoClustering({ nCltrU: 2, nCltrI: 2, seed: 2 })],
];

const bigger = (() => {
  const users: number[] = [];
  const items: number[] = [];
  const values: number[] = [];
  for (let u = 0; u < 25; u++) {
    for (let i = 0; i < 15; i++) {
      if ((u * 5 + i * 7) % 4 === 0) continue;
      users.push(u);
      items.push(i);
      values.push(1 + ((u * 2 + i * 3 + ((u * i) % 4)) % 5));
    }
  }
  return Interactions.fromArrays({ users, items, values }, { ratingScale: [1, 5] });
})();

describe('every explicit algorithm', () => {
  for (const [name, make] of factories) {
    it(`${name}: save/load gives identical predictions and recommendations`, async () => {
      const model = await make().fit(bigger);
      await model.save(memoryIO(`explicit-${name}`));
      const again = await Recommender.load(memoryIO(`explicit-${name}`));
      expect(again.constructor).toBe(model.constructor);
      expect(again.getConfig()).toEqual(model.getConfig());
      for (const u of [0, 3, 7, 'nobody']) {
        for (const i of [0, 5, 14, 'nothing']) expect(again.predict(u, i)).toEqual(model.predict(u, i));
        if (name !== 'NormalPredictor') expect(again.recommend(u, 4)).toEqual(model.recommend(u, 4));
      }
    });

    it(`${name}: top-N excludes seen items, is sorted, and agrees with predict`, async () => {
      const model = await make().fit(bigger);
      const seen = new Set(
        Array.from(bigger.records())
          .filter((r) => r.user === 3)
          .map((r) => r.item),
      );
      const list = model.recommend(3, 3);
      expect(list.length).toBe(3);
      for (const r of list) expect(seen.has(r.item)).toBe(false);
      for (let k = 1; k < list.length; k++) expect(list[k - 1]!.score).toBeGreaterThanOrEqual(list[k]!.score);
      if (name !== 'NormalPredictor') {
        for (const r of list)
          expect(model.predict(3, r.item).estimate).toBeCloseTo(Math.min(5, Math.max(1, r.score)), 5);
      }
      expect(model.recommendBatch([3, 'nobody'], 2).map((l) => l.length)).toEqual([2, 2]);
    });
  }

  it('rejects a saved state with a missing array', async () => {
    const artifacts = (await new BaselineOnly().fit(bigger)).toArtifacts();
    const specs = artifacts.weightSpecs!.filter((s) => s.name !== 'state/bu');
    const bytes = new Uint8Array(artifacts.weightData as ArrayBuffer);
    const kept: number[] = [];
    let offset = 0;
    for (const s of artifacts.weightSpecs!) {
      const n = s.shape[0]! * 4;
      if (s.name !== 'state/bu') kept.push(...bytes.subarray(offset, offset + n));
      offset += n;
    }
    expect(() =>
      Recommender.fromArtifacts({ ...artifacts, weightSpecs: specs, weightData: new Uint8Array(kept).buffer }),
    ).toThrow(ArtifactError);
  });
});
