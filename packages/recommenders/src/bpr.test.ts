import { describe, expect, it } from 'vitest';
import { memoryIO } from '@plasticity/core';
import { BPR, bprStep } from './bpr.js';
import { Interactions } from './interactions.js';
import { evaluateRanking } from './metrics/ranking.js';
import { Popularity } from './popularity.js';
import { Recommender } from './recommender.js';
import { syntheticGroups } from './testing/synthetic.js';
import { registerBuiltinRecommenders } from './builtins.js';

// Loading a saved model looks its class up by name: register the built-ins once.
registerBuiltinRecommenders();

describe('BPR', () => {
  it('one step is gradient ascent on ln σ(x̂ᵤᵢⱼ) − λ/2‖θ‖² (checked by finite differences)', () => {
    const f = 3;
    const x = Float32Array.from([0.1, -0.2, 0.3, 0.5, 0.1, -0.4]);
    const y = Float32Array.from([0.2, 0.1, -0.1, -0.3, 0.4, 0.2, 0.05, 0.05, 0.3]);
    const bias = Float32Array.from([0.1, -0.2, 0.05]);
    const [u, i, j, lr, reg] = [1, 0, 2, 0.1, 0.02];
    // The objective as a function of all parameters, in float64.
    const objective = (p: number[]): number => {
      const xu = p.slice(0, 3);
      const yi = p.slice(3, 6);
      const yj = p.slice(6, 9);
      const [bi, bj] = [p[9]!, p[10]!];
      const d = bi - bj + xu.reduce((s, v, k) => s + v * (yi[k]! - yj[k]!), 0);
      const sq = p.reduce((s, v) => s + v * v, 0);
      return Math.log(1 / (1 + Math.exp(-d))) - (reg / 2) * sq;
    };
    const params = [
      ...x.slice(u * f, u * f + f),
      ...y.slice(i * f, i * f + f),
      ...y.slice(j * f, j * f + f),
      bias[i]!,
      bias[j]!,
    ];
    const grad = params.map((_, k) => {
      const h = 1e-6;
      const plus = [...params];
      const minus = [...params];
      plus[k]! += h;
      minus[k]! -= h;
      return (objective(plus) - objective(minus)) / (2 * h);
    });
    bprStep(x, y, bias, u, i, j, f, lr, reg);
    const after = [
      ...x.slice(u * f, u * f + f),
      ...y.slice(i * f, i * f + f),
      ...y.slice(j * f, j * f + f),
      bias[i]!,
      bias[j]!,
    ];
    after.forEach((v, k) => expect(v).toBeCloseTo(params[k]! + lr * grad[k]!, 6));
  });

  it('is reproducible by seed and beats popularity on precision@10 with latent groups', async () => {
    const { train, test } = syntheticGroups(3, { users: 240, items: 80 });
    const a = await new BPR({ factors: 8, epochs: 40, seed: 1 }).fit(train);
    const b = await new BPR({ factors: 8, epochs: 40, seed: 1 }).fit(train);
    const c = await new BPR({ factors: 8, epochs: 2, seed: 2 }).fit(train);
    expect(b.getItemFactors()).toEqual(a.getItemFactors());
    expect(c.getItemFactors()).not.toEqual(a.getItemFactors());
    const pop = evaluateRanking(await new Popularity().fit(train), train, test, {
      k: 10,
      metrics: ['precision', 'auc'],
    });
    const bpr = evaluateRanking(a, train, test, { k: 10, metrics: ['precision', 'auc'] });
    expect(bpr.mean['precision']!).toBeGreaterThan(1.3 * pop.mean['precision']!);
    expect(bpr.mean['auc']!).toBeGreaterThan(pop.mean['auc']!);
  });

  it('scores include the item bias; save/load keeps scores; progress reports each epoch', async () => {
    const data = Interactions.fromArrays({ users: [1, 1, 2, 3, 3], items: ['x', 'y', 'x', 'y', 'z'] });
    const epochs: number[] = [];
    const model = await new BPR({ factors: 2, epochs: 3 }).fit(data, {
      onProgress: (e) => {
        if (e.type === 'epoch') epochs.push(e.epoch);
      },
    });
    expect(epochs).toEqual([0, 1, 2]);
    const x = model.getUserFactors();
    const y = model.getItemFactors();
    const u = data.userIndex(2)!;
    const i = data.itemIndex('z')!;
    const dotted = x[u * 2]! * y[i * 2]! + x[u * 2 + 1]! * y[i * 2 + 1]!;
    // The bias is the difference between the estimate and the dot product; it must be the same for every user.
    const biasZ = model.predict(2, 'z').estimate - dotted;
    const v = data.userIndex(1)!;
    expect(model.predict(1, 'z').estimate - (x[v * 2]! * y[i * 2]! + x[v * 2 + 1]! * y[i * 2 + 1]!)).toBeCloseTo(
      biasZ,
      6,
    );
    expect(biasZ).not.toBe(0);
    await model.save(memoryIO('bpr'));
    const loaded = await Recommender.load(memoryIO('bpr'));
    expect(loaded.scoreAll(3)).toEqual(model.scoreAll(3));
    expect(loaded.similarItems('x', 2)).toEqual(model.similarItems('x', 2));
  });

  it('rejects bad settings and negative weights', async () => {
    expect(() => new BPR({ learningRate: 0 })).toThrow(/learningRate must be a positive number/);
    expect(() => new BPR({ epochs: -1 })).toThrow(/epochs must be a positive integer/);
    const bad = Interactions.fromArrays({ users: [1], items: [1], values: [-0.5] });
    await expect(new BPR().fit(bad)).rejects.toThrow(/non-negative implicit weights/);
  });
});
