/**
 * Item-item nearest neighbours, as in the `implicit` library's ItemItemRecommender: weight the
 * item × user matrix, take item-item dot products, keep each item's `neighbours` best (itself
 * excluded), and score a user's items as `Σⱼ rᵤⱼ · W[j, i]` over the items `j` the user has.
 *
 * Weightings (N = number of items, idfᵤ = ln N − ln(1 + items of user u)):
 * - `'cosine'`: rows l2-normalised, so `W` is the cosine similarity;
 * - `'tfidf'`: `√r · idfᵤ`, then rows l2-normalised;
 * - `'bm25'`: `r (K1 + 1) / (K1 · lenᵢ + r) · idfᵤ` with `lenᵢ = 1 − B + B · |i| / mean|i|`.
 *
 * Sparse all the way: typed-array loops over the CSR views, O(Σᵤ |u|²) to fit.
 *
 * @example
 * ```ts
 * const knn = await new ItemItem({ similarity: 'bm25', neighbours: 50 }).fit(data);
 * knn.similarItems('matrix', 5);
 * ```
 */
import { ValueError, describeValue, type ConfigDict } from '@plasticity/core';
import type { Interactions } from './interactions.js';
import { Recommender, type RecommenderState } from './recommender.js';
import { checkImplicitValues, checkNonNegative, checkPositive, popularityOf } from './internal/factor-model.js';
import { topK } from './topk.js';
import { resolveOptions, type OptionAliases, type OptionSchema, type WithAliases } from './internal/options.js';

/** How ItemItem weights the interactions before the cosine: none, TF-IDF or BM25 (as the `implicit` library). */
export type ItemSimilarity = 'cosine' | 'tfidf' | 'bm25';

/**
 * ItemItem's hyperparameters by their canonical names (what `getConfig()` returns); the `implicit`
 * library's `K`, `K1` and `B` are aliases.
 */
export interface ItemItemConfig {
  /** Default `'cosine'`. */
  similarity?: ItemSimilarity;
  /** Neighbours kept per item. Default 20. */
  neighbours?: number;
  /** BM25 K1. Default 100 (implicit's default). */
  k1?: number;
  /** BM25 B. Default 0.8. */
  b?: number;
}

const ITEM_ITEM_ALIASES = { K: 'neighbours', K1: 'k1', B: 'b' } as const;
const ITEM_ITEM_SCHEMA: OptionSchema = { names: ['similarity', 'neighbours', 'k1', 'b'], aliases: ITEM_ITEM_ALIASES };

/**
 * ItemItem: item-based nearest neighbours for implicit feedback (the `implicit` library's
 * `CosineRecommender`, `TFIDFRecommender`, `BM25Recommender`). Each item keeps its `neighbours` most
 * similar items; a user's score for `i` is `Σ_{j seen} w(j) · sim(j, i)`.
 *
 * Args (canonical name, then its aliases):
 * - `similarity`: `'cosine'` (default), `'tfidf'` or `'bm25'` (weighting before cosine).
 * - `neighbours` (`K`, implicit's name): neighbours kept per item. Default 20.
 * - `k1` (`K1`): BM25 term saturation. Default 100.
 * - `b` (`B`): BM25 length normalisation. Default 0.8.
 *
 * @example
 * ```ts
 * const model = await new ItemItem({ similarity: 'bm25', neighbours: 50 }).fit(data);
 * model.recommend('ann', 10);
 * ```
 */
export class ItemItem extends Recommender {
  static override className = 'ItemItem';
  /** The accepted aliases of ItemItem's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof ITEM_ITEM_ALIASES> = ITEM_ITEM_ALIASES;
  /** The resolved `similarity` option (see {@link ItemItemConfig.similarity}). */
  readonly similarity: ItemSimilarity;
  /** The resolved `neighbours` option (see {@link ItemItemConfig.neighbours}). */
  readonly neighbours: number;
  /** The resolved `k1` option (see {@link ItemItemConfig.k1}). */
  readonly k1: number;
  /** The resolved `b` option (see {@link ItemItemConfig.b}). */
  readonly b: number;
  /** Neighbour lists: CSR over items, columns sorted. */
  private indptr: Int32Array = new Int32Array(1);
  private indices: Int32Array = new Int32Array(0);
  private weights: Float32Array = new Float32Array(0);
  private popularity: Float32Array | undefined;

  constructor(given: WithAliases<ItemItemConfig, typeof ItemItem.aliases> = {}) {
    const config = resolveOptions<ItemItemConfig>('ItemItem', given, ITEM_ITEM_SCHEMA);
    super();
    this.similarity = config.similarity ?? 'cosine';
    if (!['cosine', 'tfidf', 'bm25'].includes(this.similarity)) {
      throw new ValueError(`similarity must be 'cosine', 'tfidf' or 'bm25', got ${describeValue(this.similarity)}.`, {
        field: 'similarity',
        value: this.similarity,
      });
    }
    this.neighbours = checkPositive('neighbours', config.neighbours ?? 20, true);
    this.k1 = checkNonNegative('k1', config.k1 ?? 100);
    this.b = checkNonNegative('b', config.b ?? 0.8);
  }

  /** Every option by its canonical name (what the constructor and `Recommender.load` take back). */
  getConfig(): ConfigDict {
    return { similarity: this.similarity, neighbours: this.neighbours, k1: this.k1, b: this.b };
  }

  protected fitModel(data: Interactions): void {
    checkImplicitValues(data, 'ItemItem');
    const nItems = data.numItems;
    const byUser = data.byUser();
    const byItem = data.byItem();
    // Weighted values in user-major order (the CSR the products walk).
    const w = weightedByUser(data, this.similarity, this.k1, this.b);
    const indptr = new Int32Array(nItems + 1);
    const rows: { idx: Int32Array; val: Float32Array }[] = [];
    const acc = new Float64Array(nItems);
    const touched = new Int32Array(nItems);
    const mark = new Uint8Array(nItems);
    // Position of each (item, user) entry in the user-major arrays, to read item i's weights.
    const entryOf = userMajorPositions(data);
    this.emit({ type: 'begin', label: 'ItemItem', steps: nItems });
    for (let i = 0; i < nItems; i++) {
      let nTouched = 0;
      const col = byItem.row(i);
      const base = byItem.indptr[i]!;
      for (let e = 0; e < col.indices.length; e++) {
        const u = col.indices[e]!;
        const wi = w[entryOf[base + e]!]!;
        if (wi === 0) continue;
        for (let p = byUser.indptr[u]!; p < byUser.indptr[u + 1]!; p++) {
          const j = byUser.indices[p]!;
          if (j === i) continue;
          if (!mark[j]) {
            mark[j] = 1;
            touched[nTouched++] = j;
          }
          acc[j]! += wi * w[p]!;
        }
      }
      const cand = new Float32Array(nTouched);
      for (let t = 0; t < nTouched; t++) cand[t] = acc[touched[t]!]!;
      const best = topK(cand, Math.min(this.neighbours, Math.max(1, nTouched)))
        .filter(([, s]) => s > 0 || s < 0)
        .map(([t, s]) => [touched[t]!, s] as const)
        .sort((a, b) => a[0] - b[0]);
      for (let t = 0; t < nTouched; t++) {
        acc[touched[t]!] = 0;
        mark[touched[t]!] = 0;
      }
      rows.push({ idx: Int32Array.from(best, (x) => x[0]), val: Float32Array.from(best, (x) => x[1]) });
      indptr[i + 1] = indptr[i]! + best.length;
    }
    const indices = new Int32Array(indptr[nItems]!);
    const weights = new Float32Array(indptr[nItems]!);
    rows.forEach((r, i) => {
      indices.set(r.idx, indptr[i]!);
      weights.set(r.val, indptr[i]!);
    });
    this.indptr = indptr;
    this.indices = indices;
    this.weights = weights;
    this.popularity = undefined;
    this.emit({ type: 'end' });
  }

  /** The weight `W[j, i]`, 0 when `i` is not among `j`'s neighbours. */
  private weight(j: number, i: number): number {
    let lo = this.indptr[j]!;
    let hi = this.indptr[j + 1]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = this.indices[mid]!;
      if (c === i) return this.weights[mid]!;
      if (c < i) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  protected estimate(u: number, i: number): number {
    const row = this.data().byUser().row(u);
    let s = 0;
    for (let e = 0; e < row.indices.length; e++) s += row.values[e]! * this.weight(row.indices[e]!, i);
    return s;
  }

  protected override fallback(_u: number | undefined, i: number | undefined): number {
    this.popularity ??= popularityOf(this.data());
    return i === undefined ? 0 : this.popularity[i]!;
  }

  protected override scoreItems(u: number, out: Float32Array): void {
    out.fill(0);
    const row = this.data().byUser().row(u);
    for (let e = 0; e < row.indices.length; e++) {
      const j = row.indices[e]!;
      const r = row.values[e]!;
      for (let p = this.indptr[j]!; p < this.indptr[j + 1]!; p++) out[this.indices[p]!]! += r * this.weights[p]!;
    }
  }

  protected override itemSimilarities(i: number, out: Float32Array): void {
    out.fill(0);
    for (let p = this.indptr[i]!; p < this.indptr[i + 1]!; p++) out[this.indices[p]!] = this.weights[p]!;
  }

  protected getState(): RecommenderState {
    return { json: {}, arrays: { indptr: this.indptr, indices: this.indices, weights: this.weights } };
  }

  protected setState(state: RecommenderState): void {
    this.indptr = state.arrays['indptr'] as Int32Array;
    this.indices = state.arrays['indices'] as Int32Array;
    this.weights = state.arrays['weights'] as Float32Array;
    this.popularity = undefined;
  }
}

/** For each entry of the item-major CSR, its position in the user-major CSR. */
function userMajorPositions(data: Interactions): Int32Array {
  const byUser = data.byUser();
  const byItem = data.byItem();
  const out = new Int32Array(data.size);
  const cursor = byItem.indptr.slice(0, data.numItems);
  for (let u = 0; u < byUser.numRows; u++) {
    for (let p = byUser.indptr[u]!; p < byUser.indptr[u + 1]!; p++) {
      const i = byUser.indices[p]!;
      out[cursor[i]!++] = p;
    }
  }
  return out;
}

/** The weighted item × user values, laid out like `data.byUser().values`. */
function weightedByUser(data: Interactions, similarity: ItemSimilarity, k1: number, b: number): Float64Array {
  const byUser = data.byUser();
  const byItem = data.byItem();
  const n = data.numItems;
  const w = new Float64Array(byUser.values.length);
  const idf = new Float64Array(data.numUsers);
  for (let u = 0; u < data.numUsers; u++) idf[u] = Math.log(n) - Math.log1p(byUser.rowLength(u));
  const itemSum = new Float64Array(n);
  for (let i = 0; i < n; i++) for (const v of byItem.row(i).values) itemSum[i]! += v;
  let mean = 0;
  for (const s of itemSum) mean += s / n;
  for (let u = 0; u < byUser.numRows; u++) {
    for (let p = byUser.indptr[u]!; p < byUser.indptr[u + 1]!; p++) {
      const r = byUser.values[p]!;
      const i = byUser.indices[p]!;
      if (similarity === 'cosine') w[p] = r;
      else if (similarity === 'tfidf') w[p] = Math.sqrt(r) * idf[u]!;
      else {
        const len = 1 - b + (b * itemSum[i]!) / mean;
        w[p] = ((r * (k1 + 1)) / (k1 * len + r)) * idf[u]!;
      }
    }
  }
  if (similarity !== 'bm25') {
    // l2-normalise each item's row (over users).
    const norm = new Float64Array(n);
    for (let p = 0; p < w.length; p++) norm[byUser.indices[p]!]! += w[p]! * w[p]!;
    for (let p = 0; p < w.length; p++) {
      const d = Math.sqrt(norm[byUser.indices[p]!]!);
      w[p] = d === 0 ? 0 : w[p]! / d;
    }
  }
  return w;
}
