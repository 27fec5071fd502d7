import { describe, expect, it } from 'vitest';
import { wasmBackend } from '@plasticity/backend-wasm';
import { ValueError, registerBackendPlugin, type TrainingEvent } from '@plasticity/core';
import { crossValidate, evaluate, expandGrid, gridSearch } from './evaluation.js';
import { BaselineOnly } from './explicit/baseline-only.js';
import { SVD } from './explicit/svd.js';
import { Interactions } from './interactions.js';
import { FCP, MAE, RMSE } from './metrics/rating.js';
import type { RankingMetric } from './metrics/types.js';
import { kFold } from './splits.js';

// SVD and NMF train in the wasm plugin's kernels (MATRIX_FACTORIZATION_KERNELS), as in an app.
registerBackendPlugin(wasmBackend);

const users: number[] = [];
const items: number[] = [];
const values: number[] = [];
for (let u = 0; u < 20; u++) {
  for (let i = 0; i < 12; i++) {
    if ((u * 5 + i * 3) % 4 === 0) continue;
    users.push(u);
    items.push(i);
    values.push(1 + ((u + 2 * i + ((u * i) % 3)) % 5));
  }
}
const data = Interactions.fromArrays({ users, items, values }, { ratingScale: [1, 5] });

/** Hit rate at k: the share of test users with a held-out item in their top k. */
const hitRate: RankingMetric = {
  name: 'hit@3',
  kind: 'ranking',
  higherIsBetter: true,
  k: 3,
  compute: (cases) =>
    cases.filter((c) => c.recommended.slice(0, 3).some((r) => c.relevant.has(r.item))).length / cases.length,
};

describe('crossValidate', () => {
  it('scores each fold like a manual fit + predict on the same k-fold splits', async () => {
    const events: TrainingEvent[] = [];
    const cv = await crossValidate(() => new BaselineOnly(), data, {
      folds: 3,
      seed: 5,
      metrics: [RMSE, MAE, FCP, hitRate],
      onProgress: (e) => events.push(e),
    });
    const splits = kFold(data, { folds: 3, seed: 5 });
    for (let f = 0; f < 3; f++) {
      const model = await new BaselineOnly().fit(splits[f]!.train);
      const sq: number[] = [];
      const abs: number[] = [];
      const byUser = new Map<number, number[]>();
      for (const r of splits[f]!.test.records()) {
        const e = model.predict(r.user, r.item).estimate;
        sq.push((e - r.value) ** 2);
        abs.push(Math.abs(e - r.value));
        byUser.set(r.user as number, [...(byUser.get(r.user as number) ?? []), r.item as number]);
      }
      expect(cv.folds[f]!.metrics.rmse).toBeCloseTo(Math.sqrt(sq.reduce((a, b) => a + b) / sq.length), 10);
      expect(cv.folds[f]!.metrics.mae).toBeCloseTo(abs.reduce((a, b) => a + b) / abs.length, 10);
      let hits = 0;
      for (const [u, held] of byUser) if (model.recommend(u, 3).some((r) => held.includes(r.item as number))) hits++;
      expect(cv.folds[f]!.metrics['hit@3']).toBeCloseTo(hits / byUser.size, 10);
      expect(cv.folds[f]!.fitTime).toBeGreaterThanOrEqual(0);
    }
    const rmses = cv.folds.map((r) => r.metrics.rmse!);
    expect(cv.mean.rmse).toBeCloseTo(rmses.reduce((a, b) => a + b) / 3, 12);
    expect(events.map((e) => e.type)).toEqual(['begin', 'epoch', 'epoch', 'epoch', 'end']);
    expect(events[1]).toMatchObject({
      type: 'epoch',
      epoch: 0,
      epochs: 3,
      metrics: { rmse: cv.folds[0]!.metrics.rmse },
    });
  });

  it('reports per-user metrics when asked', async () => {
    const cv = await crossValidate(() => new BaselineOnly(), data, { folds: 2, perUser: true, metrics: [MAE] });
    const fold = cv.folds[0]!;
    let sum = 0;
    let count = 0;
    const model = await new BaselineOnly().fit(kFold(data, { folds: 2 })[0]!.train);
    for (const r of kFold(data, { folds: 2 })[0]!.test.records()) {
      if (r.user !== 3) continue;
      sum += Math.abs(model.predict(3, r.item).estimate - r.value);
      count++;
    }
    expect(fold.perUser!.get(3)!.mae).toBeCloseTo(sum / count, 10);
  });

  it('uses a custom clock for fit and test times', async () => {
    let t = 0;
    const cv = await crossValidate(() => new BaselineOnly(), data, { folds: 2, clock: () => (t += 1) });
    expect(cv.folds.map((f) => [f.fitTime, f.testTime])).toEqual([
      [1, 1],
      [1, 1],
    ]);
  });

  it('rejects bad factories and metrics', async () => {
    await expect(crossValidate(new BaselineOnly() as never, data)).rejects.toThrow(/factory/);
    await expect(crossValidate(() => new BaselineOnly(), data, { metrics: [{ name: 'x' } as never] })).rejects.toThrow(
      ValueError,
    );
    await expect(crossValidate(() => new BaselineOnly(), data, { metrics: [RMSE, RMSE] })).rejects.toThrow(
      /Two metrics/,
    );
    expect(() => evaluate(new BaselineOnly(), data)).toThrow(/not fitted/);
  });
});

describe('gridSearch', () => {
  it('expands nested grids and picks the best parameters per metric', async () => {
    expect(expandGrid({ k: [1, 2], sim: { name: ['msd', 'cosine'], userBased: [false] } })).toEqual([
      { k: 1, sim: { name: 'msd', userBased: false } },
      { k: 1, sim: { name: 'cosine', userBased: false } },
      { k: 2, sim: { name: 'msd', userBased: false } },
      { k: 2, sim: { name: 'cosine', userBased: false } },
    ]);
    const grid = await gridSearch(SVD, { nFactors: [2], nEpochs: [1, 30], lrAll: [0.01] }, data, { folds: 2, seed: 1 });
    expect(grid.results.length).toBe(2);
    const best = grid.results.reduce((a, b) => (b.mean.rmse! < a.mean.rmse! ? b : a));
    expect(grid.best.rmse).toEqual({ params: best.params, score: best.mean.rmse });
    // Each result is the cross-validation of those parameters on the same folds.
    const again = await crossValidate(() => new SVD(best.params), data, { folds: 2, seed: 1 });
    expect(again.mean.rmse).toBeCloseTo(best.mean.rmse!, 10);
    expect(() => expandGrid({ k: [] })).toThrow(/no values/);
  });
});
