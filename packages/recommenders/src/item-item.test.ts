import { describe, expect, it } from 'vitest';
import { createRng, memoryIO } from '@plasticity/core';
import { Interactions } from './interactions.js';
import { ItemItem, type ItemSimilarity } from './item-item.js';
import { evaluateRanking } from './metrics/ranking.js';
import { Popularity } from './popularity.js';
import { Recommender } from './recommender.js';
import { syntheticGroups } from './testing/synthetic.js';
import { registerBuiltinRecommenders } from './builtins.js';

// Loading a saved model looks its class up by name: register the built-ins once.
registerBuiltinRecommenders();

// Item vectors over users (a, b, c): i1 = (1, 1, 0), i2 = (2, 0, 1), i3 = (0, 1, 3).
const data = Interactions.fromArrays({
  users: ['a', 'a', 'b', 'b', 'c', 'c'],
  items: [1, 2, 1, 3, 2, 3],
  values: [1, 2, 1, 1, 1, 3],
});
const cos12 = 2 / Math.sqrt(2 * 5);
const cos13 = 1 / Math.sqrt(2 * 10);
const cos23 = 3 / Math.sqrt(5 * 10);

/** Dense reference: weight the item × user matrix by the formula, then all dot products. */
function denseReference(d: Interactions, similarity: ItemSimilarity, k1 = 100, b = 0.8): number[][] {
  const nI = d.numItems;
  const nU = d.numUsers;
  const m = Array.from({ length: nI }, () => new Array<number>(nU).fill(0));
  for (let e = 0; e < d.size; e++) m[d.items[e]!]![d.users[e]!] = d.values[e]!;
  const itemsOf = (u: number): number => m.filter((row) => row[u]! !== 0).length;
  const idf = Array.from({ length: nU }, (_, u) => Math.log(nI) - Math.log(1 + itemsOf(u)));
  const sums = m.map((row) => row.reduce((s, v) => s + v, 0));
  const avg = sums.reduce((s, v) => s + v, 0) / nI;
  const w = m.map((row, i) =>
    row.map((r, u) => {
      if (r === 0) return 0;
      if (similarity === 'cosine') return r;
      if (similarity === 'tfidf') return Math.sqrt(r) * idf[u]!;
      return ((r * (k1 + 1)) / (k1 * (1 - b + (b * sums[i]!) / avg) + r)) * idf[u]!;
    }),
  );
  const n = similarity === 'bm25' ? w : w.map((row) => row.map((v) => v / Math.hypot(...row)));
  return n.map((x) => n.map((y) => x.reduce((s, v, u) => s + v * y[u]!, 0)));
}

describe('ItemItem', () => {
  it('cosine similarities and scores match the hand computation', async () => {
    const model = await new ItemItem({ neighbours: 5 }).fit(data);
    expect(model.similarItems(1, 2)).toEqual([
      { item: 2, score: expect.closeTo(cos12, 6) as number },
      { item: 3, score: expect.closeTo(cos13, 6) as number },
    ]);
    // User a (1 on item 1, 2 on item 2) scores item 3 as 1·cos13 + 2·cos23.
    expect(model.predict('a', 3).estimate).toBeCloseTo(cos13 + 2 * cos23, 6);
    expect(model.recommend('a', 1)).toEqual([{ item: 3, score: expect.closeTo(cos13 + 2 * cos23, 6) as number }]);
  });

  it('keeps only the top neighbours per item', async () => {
    // neighbours 1: item 1 keeps 2 (cos12 > cos13), item 2 keeps 1 (cos12 > cos23): a's score for 3 is 0.
    const model = await new ItemItem({ neighbours: 1 }).fit(data);
    expect(model.predict('a', 3).estimate).toBe(0);
    // c has items 2 (weight 1) and 3 (weight 3); item 3 keeps only 2 (cos23 > cos13), so only W[2, 1] counts.
    expect(model.predict('c', 1).estimate).toBeCloseTo(1 * cos12, 6);
  });

  for (const similarity of ['cosine', 'tfidf', 'bm25'] as const) {
    it(`${similarity}: every kept weight equals the dense reference`, async () => {
      const rng = createRng(3);
      const users: number[] = [];
      const items: number[] = [];
      const values: number[] = [];
      for (let u = 0; u < 9; u++) {
        for (let i = 0; i < 7; i++) {
          if (rng.uniform() < 0.4) {
            users.push(u);
            items.push(i);
            values.push(1 + rng.int(5));
          }
        }
      }
      const d = Interactions.fromArrays({ users, items, values });
      const ref = denseReference(d, similarity);
      const model = await new ItemItem({ similarity, neighbours: 100 }).fit(d);
      for (let i = 0; i < d.numItems; i++) {
        const id = d.itemIds.id(i);
        for (const { item, score } of model.similarItems(id, d.numItems - 1)) {
          expect(score).toBeCloseTo(ref[i]![d.itemIndex(item)!]!, 5);
        }
      }
    });
  }

  it('beats popularity on precision@10 with latent groups; save/load keeps scores', async () => {
    const { train, test } = syntheticGroups(5, { users: 240, items: 80 });
    const pop = evaluateRanking(await new Popularity().fit(train), train, test, { k: 10, metrics: ['precision'] });
    const model = await new ItemItem({ neighbours: 20 }).fit(train);
    const knn = evaluateRanking(model, train, test, { k: 10, metrics: ['precision'] });
    expect(knn.mean['precision']!).toBeGreaterThan(1.3 * pop.mean['precision']!);
    await model.save(memoryIO('knn'));
    const loaded = await Recommender.load(memoryIO('knn'));
    for (const user of ['u1', 'u9']) expect(loaded.scoreAll(user)).toEqual(model.scoreAll(user));
  });

  it('rejects bad settings and negative weights', async () => {
    expect(() => new ItemItem({ similarity: 'jaccard' as 'cosine' })).toThrow(/similarity must be/);
    expect(() => new ItemItem({ neighbours: 0 })).toThrow(/neighbours must be a positive integer/);
    const bad = Interactions.fromArrays({ users: [1, 2], items: [1, 2], values: [1, -3] });
    await expect(new ItemItem().fit(bad)).rejects.toThrow(/has -3/);
  });
});
