import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, memoryIO, registerBackendPlugin, useBackend } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { expectNoTensorLeaks } from '@plasticity/test-utils';
import { EASE } from './ease.js';
import { Interactions } from './interactions.js';
import { invertSpdInPlace, invertSpdTensor } from './internal/dense.js';
import { evaluateRanking } from './metrics/ranking.js';
import { Popularity } from './popularity.js';
import { Recommender } from './recommender.js';
import { inverseDense } from './testing/linalg.js';
import { syntheticGroups } from './testing/synthetic.js';
import { registerBuiltinRecommenders } from './builtins.js';

// Loading a saved model looks its class up by name: register the built-ins once.
registerBuiltinRecommenders();

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

// 3 users × 3 items, binary: u0 {0,1}, u1 {1,2}, u2 {0,1,2}.
const X = [
  [1, 1, 0],
  [0, 1, 1],
  [1, 1, 1],
];
const data = Interactions.fromArrays({
  users: ['u0', 'u0', 'u1', 'u1', 'u2', 'u2', 'u2'],
  items: ['i0', 'i1', 'i1', 'i2', 'i0', 'i1', 'i2'],
  values: [4, 2, 1, 3, 5, 1, 1],
});

/** B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹, all in float64 here. */
function referenceB(lambda: number): number[][] {
  const g = [0, 1, 2].map((a) =>
    [0, 1, 2].map((b) => X.reduce((s, row) => s + row[a]! * row[b]!, 0) + (a === b ? lambda : 0)),
  );
  const p = inverseDense(g);
  return p.map((row, i) => row.map((v, j) => (i === j ? 1 : 0) - v / p[j]![j]!));
}

describe('EASE', () => {
  for (const solver of ['arrays', 'tensors'] as const) {
    it(`${solver}: scores are xᵤ·B with B from the closed form (3×3 by hand)`, async () => {
      const lambda = 2;
      const b = referenceB(lambda);
      for (let i = 0; i < 3; i++) expect(b[i]![i]).toBeCloseTo(0, 12);
      const model = await expectNoTensorLeaks(() => new EASE({ regularization: lambda, solver }).fit(data));
      for (let u = 0; u < 3; u++) {
        for (let j = 0; j < 3; j++) {
          const want = X[u]!.reduce((s, x, i) => s + x * b[i]![j]!, 0);
          expect(model.predict(`u${u}`, `i${j}`).estimate).toBeCloseTo(want, 5);
        }
        const all = model.scoreAll(`u${u}`);
        for (let j = 0; j < 3; j++)
          expect(all[j]).toBeCloseTo(
            X[u]!.reduce((s, x, i) => s + x * b[i]![j]!, 0),
            5,
          );
      }
      // similarItems('i0') ranks by B's row 0.
      const sim = model.similarItems('i0', 2);
      expect(sim.map((r) => r.item)).toEqual(b[0]![1]! >= b[0]![2]! ? ['i1', 'i2'] : ['i2', 'i1']);
      expect(sim[0]!.score).toBeCloseTo(Math.max(b[0]![1]!, b[0]![2]!), 5);
    });
  }

  it('weights: values uses the interaction weights in X', async () => {
    const model = await new EASE({ regularization: 1, weights: 'values' }).fit(data);
    const w = [
      [4, 2, 0],
      [0, 1, 3],
      [5, 1, 1],
    ];
    const g = [0, 1, 2].map((a) =>
      [0, 1, 2].map((c) => w.reduce((s, row) => s + row[a]! * row[c]!, 0) + (a === c ? 1 : 0)),
    );
    const p = inverseDense(g);
    const b = p.map((row, i) => row.map((v, j) => (i === j ? 1 : 0) - v / p[j]![j]!));
    const want = w[1]!.reduce((s, x, i) => s + x * b[i]![0]!, 0);
    expect(model.predict('u1', 'i0').estimate).toBeCloseTo(want, 4);
  });

  it('inverts SPD matrices: Gauss–Jordan and the block tensor inverse match an independent inverse', () => {
    const rng = createRng(5);
    const n = 40;
    const a = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
    const spd = a.map((_, i) => a.map((_, j) => a.reduce((s, row) => s + row[i]! * row[j]!, 0) + (i === j ? n : 0)));
    const want = inverseDense(spd);
    const gj = invertSpdInPlace(Float64Array.from(spd.flat()), n);
    for (let k = 0; k < n * n; k++) expect(gj[k]).toBeCloseTo(want[Math.floor(k / n)]![k % n]!, 10);
    const t = tf.tensor2d(spd.flat(), [n, n]);
    const inv = invertSpdTensor(t, 7);
    const got = inv.dataSync();
    tf.dispose([t, inv]);
    for (let k = 0; k < n * n; k++) expect(got[k]).toBeCloseTo(want[Math.floor(k / n)]![k % n]!, 5);
    expect(() => invertSpdInPlace(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });

  it('models only frequent items; the rest fall back and are skipped by top-N', async () => {
    const model = await new EASE({ regularization: 1, minItemCount: 3 }).fit(data);
    // i1 has 3 interactions; i0 and i2 have 2.
    expect(model.modelledItems).toBe(1);
    expect(model.predict('u0', 'i2')).toMatchObject({ wasImpossible: true, estimate: 2 });
    expect(model.recommend('u1', 3, { exclude: 'none' }).map((r) => r.item)).toEqual(['i1']);
    const top = await new EASE({ maxItems: 2 }).fit(data);
    expect(top.modelledItems).toBe(2);
  });

  it('beats popularity on precision@10 with latent groups; save/load keeps scores', async () => {
    const { train, test } = syntheticGroups(11, { users: 240, items: 80 });
    const pop = evaluateRanking(await new Popularity().fit(train), train, test, { k: 10, metrics: ['precision'] });
    const model = await new EASE({ regularization: 20 }).fit(train);
    const ease = evaluateRanking(model, train, test, { k: 10, metrics: ['precision'] });
    expect(ease.mean['precision']!).toBeGreaterThan(1.5 * pop.mean['precision']!);
    await model.save(memoryIO('ease'));
    const loaded = await Recommender.load(memoryIO('ease'));
    for (const user of ['u0', 'u5', 'u17']) expect(loaded.scoreAll(user)).toEqual(model.scoreAll(user));
  });

  it('rejects bad settings and negative weights', async () => {
    expect(() => new EASE({ regularization: 0 })).toThrow(/regularization must be a positive number/);
    expect(() => new EASE({ weights: 'log' as 'binary' })).toThrow(/weights must be/);
    expect(() => new EASE({ solver: 'gpu' as 'arrays' })).toThrow(/solver must be/);
    const bad = Interactions.fromArrays({ users: [1], items: [1], values: [-1] });
    await expect(new EASE().fit(bad)).rejects.toThrow(/non-negative implicit weights/);
  });
});
