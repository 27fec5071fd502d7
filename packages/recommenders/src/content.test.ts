import { describe, expect, it } from 'vitest';
import { memoryIO } from '@plasticity/core';
import { ContentBased, TfidfVectorizer } from './content.js';
import { IdMap, Interactions } from './interactions.js';
import { Recommender } from './recommender.js';
import { registerBuiltinRecommenders } from './builtins.js';

// Loading a saved model looks its class up by name: register the built-ins once.
registerBuiltinRecommenders();

describe('TfidfVectorizer', () => {
  it('matches scikit-learn defaults: 2+ char tokens, smoothed idf, raw tf, l2 rows (by hand)', () => {
    const docs = ['The cat sat', 'the dog sat a', 'the cat, cat!'];
    const v = new TfidfVectorizer().fit(docs);
    // 'a' is a one-letter token: dropped. Sorted vocabulary.
    expect([...v.vocabulary.keys()]).toEqual(['cat', 'dog', 'sat', 'the']);
    // idf = ln((1 + 3) / (1 + df)) + 1 with df cat 2, dog 1, sat 2, the 3.
    const idf = [Math.log(4 / 3) + 1, Math.log(4 / 2) + 1, Math.log(4 / 3) + 1, 1];
    v.idf.forEach((x, k) => expect(x).toBeCloseTo(idf[k]!, 12));
    // doc 2: cat ×2, the ×1 → [2 idf_cat, 0, 0, 1] / norm.
    const raw = [2 * idf[0]!, 1];
    const norm = Math.hypot(...raw);
    const row = v.transform(docs[2]!);
    expect(Array.from(row.indices)).toEqual([0, 3]);
    expect(row.values[0]).toBeCloseTo(raw[0]! / norm, 6);
    expect(row.values[1]).toBeCloseTo(raw[1]! / norm, 6);
    // Unsmoothed idf: ln(n / df) + 1; sublinear tf: 1 + ln(count).
    const u = new TfidfVectorizer({ smoothIdf: false, sublinearTf: true }).fit(docs);
    expect(u.idf[1]).toBeCloseTo(Math.log(3) + 1, 12);
    const r2 = u.transform('cat cat the');
    const a = (1 + Math.log(2)) * (Math.log(3 / 2) + 1);
    expect(r2.values[0]).toBeCloseTo(a / Math.hypot(a, 1), 6);
    expect(() => new TfidfVectorizer({ minDf: 0 })).toThrow(/minDf must be a positive integer/);
  });
});

const movies = new Map<string, string>([
  ['toy', 'Toy Story | Animation Children Comedy'],
  ['lion', 'The Lion King | Animation Children Musical'],
  ['heat', 'Heat | Action Crime Thriller'],
  ['ronin', 'Ronin | Action Crime Thriller'],
  ['brandnew', 'Space Jam 3 | Animation Children Comedy'],
]);

describe('ContentBased', () => {
  // 'brandnew' has text but no interactions: it is in the catalogue through the id map.
  const data = Interactions.fromArrays(
    { users: ['kid', 'kid', 'fan', 'fan'], items: ['toy', 'lion', 'heat', 'ronin'], values: [5, 4, 5, 3] },
    { itemIds: new IdMap(movies.keys()) },
  );

  it('scores items by cosine to the weighted mean profile and recommends a brand-new item', async () => {
    const model = await new ContentBased({ itemText: movies }).fit(data);
    // Profile of kid = normalised (5·v_toy + 4·v_lion); score(brandnew) = profile · v_brandnew.
    const v = new TfidfVectorizer().fit([...movies.values()]);
    const dense = (id: string): number[] => {
      const out = new Array<number>(v.vocabulary.size).fill(0);
      const row = v.transform(movies.get(id)!);
      row.indices.forEach((k, e) => (out[k] = row.values[e]!));
      return out;
    };
    const prof = dense('toy').map((x, k) => 5 * x + 4 * dense('lion')[k]!);
    const n = Math.hypot(...prof);
    const want = prof.reduce((s, x, k) => s + (x / n) * dense('brandnew')[k]!, 0);
    expect(model.predict('kid', 'brandnew').estimate).toBeCloseTo(want, 5);
    expect(model.recommend('kid', 1)).toEqual([{ item: 'brandnew', score: expect.closeTo(want, 5) as number }]);
    expect(model.recommend('fan', 1)[0]!.item).not.toBe('brandnew');
    const sim = model.similarItems('heat', 1);
    expect(sim[0]!.item).toBe('ronin');
    expect(sim[0]!.score).toBeCloseTo(
      dense('heat').reduce((s, x, k) => s + x * dense('ronin')[k]!, 0),
      5,
    );
    await model.save(memoryIO('content'));
    const loaded = await Recommender.load(memoryIO('content'));
    expect(loaded.scoreAll('kid')).toEqual(model.scoreAll('kid'));
  });

  it('needs item text and valid profile weights', async () => {
    await expect(new ContentBased().fit(data)).rejects.toThrow(/itemText is required/);
    expect(() => new ContentBased({ itemText: movies, profileWeights: 'max' as 'values' })).toThrow(
      /profileWeights must be/,
    );
  });
});
