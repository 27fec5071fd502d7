/**
 * EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"): an item-item weight
 * matrix with a zero diagonal in closed form, `B = I − P·diagMat(1/diag(P))` with
 * `P = (XᵀX + λI)⁻¹`; a user's scores are `xᵤ B`. The inverse is O(items³): `minItemCount` and
 * `maxItems` keep it to the items that matter (the rest are not scored: `predict` falls back to
 * popularity and top-N skips them).
 *
 * @example
 * ```ts
 * const ease = await new EASE({ regularization: 250, minItemCount: 5 }).fit(data);
 * ease.recommend('ann', 10);
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue, type ConfigDict } from '@plasticity/core';
import type { Interactions } from './interactions.js';
import { Recommender, type RecommenderState } from './recommender.js';
import { invertSpdInPlace, invertSpdTensor } from './internal/dense.js';
import { checkImplicitValues, checkNonNegative, checkPositive, popularityOf } from './internal/factor-model.js';
import { resolveOptions, type OptionAliases, type OptionSchema, type WithAliases } from './internal/options.js';

/** EASE's hyperparameters (what `getConfig()` returns). */
export interface EASEConfig {
  /** λ on the diagonal of the Gram matrix. Default 250. */
  regularization?: number;
  /** `'binary'` (default, as in the paper): X holds 1 per interaction; `'values'`: the weights. */
  weights?: 'binary' | 'values';
  /** Only items with at least this many interactions are modelled. Default 1. */
  minItemCount?: number;
  /** At most this many (most popular) items are modelled. Default: all. */
  maxItems?: number;
  /**
   * Where the inverse runs: `'arrays'` (float64 Gauss–Jordan in JS), `'tensors'` (float32 block
   * inversion, all matMul, on the active backend) or `'auto'` (default): tensors when the active
   * backend is not tfjs's plain `cpu`, else arrays. On MovieLens (≈2,300 items, wasm) tensors take
   * 7 s against 205 s for arrays, with the same ranking quality.
   */
  solver?: 'auto' | 'arrays' | 'tensors';
}

const EASE_ALIASES = {} as const;
const EASE_SCHEMA: OptionSchema = {
  names: ['regularization', 'weights', 'minItemCount', 'maxItems', 'solver'],
  aliases: EASE_ALIASES,
};

/**
 * EASE (Steck 2019): an item-item weight matrix `B = I − P·diagMat(1/diag(P))`, `P = (XᵀX + λI)⁻¹`,
 * in closed form; a user's scores are `xᵤ B`.
 *
 * Args:
 * - `regularization`: λ on the diagonal of the Gram matrix. Default 250.
 * - `weights`: `'binary'` (default: 1 per interaction) or `'values'` (the interaction weights).
 * - `minItemCount`: only items with at least this many interactions are modelled. Default 1.
 * - `maxItems`: at most this many (most popular) items are modelled. Default all.
 * - `solver`: where the O(items³) inverse runs: `'auto'` (default), `'arrays'` or `'tensors'`.
 *
 * @example
 * ```ts
 * const ease = await new EASE({ regularization: 250, minItemCount: 5 }).fit(data);
 * ease.recommend('ann', 10);
 * ```
 */
export class EASE extends Recommender {
  static override className = 'EASE';
  /** The accepted aliases of EASE's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof EASE_ALIASES> = EASE_ALIASES;
  /** The resolved `regularization` option (see {@link EASEConfig.regularization}). */
  readonly regularization: number;
  /** The resolved `weights` option (see {@link EASEConfig.weights}). */
  readonly weights: 'binary' | 'values';
  /** The resolved `minItemCount` option (see {@link EASEConfig.minItemCount}). */
  readonly minItemCount: number;
  /** The resolved `maxItems` option (see {@link EASEConfig.maxItems}). */
  readonly maxItems: number | undefined;
  /** The resolved `solver` option (see {@link EASEConfig.solver}). */
  readonly solver: 'auto' | 'arrays' | 'tensors';
  /** Modelled item indices, in B's row/column order. */
  private modelled: Int32Array = new Int32Array(0);
  /** Item index → column of B, or −1. */
  private column: Int32Array = new Int32Array(0);
  /** `[m, m]` row-major. */
  private b: Float32Array = new Float32Array(0);
  private popularity: Float32Array | undefined;

  constructor(given: WithAliases<EASEConfig, typeof EASE.aliases> = {}) {
    const config = resolveOptions<EASEConfig>('EASE', given, EASE_SCHEMA);
    super();
    this.regularization = checkPositive('regularization', config.regularization ?? 250);
    this.weights = config.weights ?? 'binary';
    if (this.weights !== 'binary' && this.weights !== 'values') {
      throw new ValueError(`weights must be 'binary' or 'values', got ${describeValue(this.weights)}.`, {
        field: 'weights',
        value: this.weights,
      });
    }
    this.minItemCount = checkNonNegative('minItemCount', config.minItemCount ?? 1);
    this.maxItems = config.maxItems === undefined ? undefined : checkPositive('maxItems', config.maxItems, true);
    this.solver = config.solver ?? 'auto';
    if (this.solver !== 'auto' && this.solver !== 'arrays' && this.solver !== 'tensors') {
      throw new ValueError(`solver must be 'auto', 'arrays' or 'tensors', got ${describeValue(this.solver)}.`, {
        field: 'solver',
        value: this.solver,
      });
    }
  }

  /** Every option by its canonical name (what the constructor and `Recommender.load` take back). */
  getConfig(): ConfigDict {
    return {
      regularization: this.regularization,
      weights: this.weights,
      minItemCount: this.minItemCount,
      ...(this.maxItems === undefined ? {} : { maxItems: this.maxItems }),
      solver: this.solver,
    };
  }

  /** The number of items the model scores. */
  get modelledItems(): number {
    return this.modelled.length;
  }

  protected fitModel(data: Interactions): void {
    checkImplicitValues(data, 'EASE');
    const counts = popularityOf(data);
    let picked = Array.from(counts.keys()).filter((i) => counts[i]! >= this.minItemCount && counts[i]! > 0);
    if (this.maxItems !== undefined && picked.length > this.maxItems) {
      picked = picked
        .sort((a, b) => counts[b]! - counts[a]! || a - b)
        .slice(0, this.maxItems)
        .sort((a, b) => a - b);
    }
    const m = picked.length;
    this.modelled = Int32Array.from(picked);
    this.column = new Int32Array(data.numItems).fill(-1);
    picked.forEach((i, c) => (this.column[i] = c));
    this.emit({ type: 'begin', label: 'EASE', epochs: 1 });
    const g = new Float64Array(m * m);
    const csr = data.byUser();
    const cols = new Int32Array(data.numItems);
    const vals = new Float64Array(data.numItems);
    for (let u = 0; u < csr.numRows; u++) {
      const row = csr.row(u);
      let n = 0;
      for (let e = 0; e < row.indices.length; e++) {
        const c = this.column[row.indices[e]!]!;
        if (c < 0) continue;
        cols[n] = c;
        vals[n++] = this.weights === 'binary' ? 1 : row.values[e]!;
      }
      for (let p = 0; p < n; p++) {
        const o = cols[p]! * m;
        const vp = vals[p]!;
        for (let q = 0; q < n; q++) g[o + cols[q]!]! += vp * vals[q]!;
      }
    }
    for (let c = 0; c < m; c++) g[c * m + c]! += this.regularization;
    let p: Float64Array | Float32Array;
    const backend = tf.getBackend() as string | null | undefined;
    if (this.solver === 'tensors' || (this.solver === 'auto' && backend != null && backend !== 'cpu')) {
      const gt = tf.tensor2d(Float32Array.from(g), [m, m]);
      const inv = invertSpdTensor(gt);
      gt.dispose();
      p = inv.dataSync() as Float32Array;
      inv.dispose();
    } else {
      p = invertSpdInPlace(g, m);
    }
    const b = new Float32Array(m * m);
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < m; c++) b[r * m + c] = r === c ? 0 : -p[r * m + c]! / p[c * m + c]!;
    }
    this.b = b;
    this.popularity = undefined;
    this.emit({ type: 'epoch', epoch: 0, epochs: 1, metrics: {} });
    this.emit({ type: 'end' });
  }

  protected estimate(u: number, i: number): number {
    const c = this.column[i]!;
    if (c < 0) return Number.NaN;
    const m = this.modelled.length;
    const row = this.data().byUser().row(u);
    let s = 0;
    for (let e = 0; e < row.indices.length; e++) {
      const r = this.column[row.indices[e]!]!;
      if (r >= 0) s += (this.weights === 'binary' ? 1 : row.values[e]!) * this.b[r * m + c]!;
    }
    return s;
  }

  protected override fallback(_u: number | undefined, i: number | undefined): number {
    this.popularity ??= popularityOf(this.data());
    return i === undefined ? 0 : this.popularity[i]!;
  }

  /** Unmodelled items get NaN: top-N skips them. */
  protected override scoreItems(u: number, out: Float32Array): void {
    const m = this.modelled.length;
    const acc = new Float64Array(m);
    const row = this.data().byUser().row(u);
    for (let e = 0; e < row.indices.length; e++) {
      const r = this.column[row.indices[e]!]!;
      if (r < 0) continue;
      const w = this.weights === 'binary' ? 1 : row.values[e]!;
      const o = r * m;
      for (let c = 0; c < m; c++) acc[c]! += w * this.b[o + c]!;
    }
    out.fill(Number.NaN);
    for (let c = 0; c < m; c++) out[this.modelled[c]!] = acc[c]!;
  }

  /** Similarity of `i` to `j` is B's weight of `i` in `j`'s reconstruction. */
  protected override itemSimilarities(i: number, out: Float32Array): void {
    const r = this.column[i]!;
    out.fill(Number.NaN);
    if (r < 0) return;
    const m = this.modelled.length;
    for (let c = 0; c < m; c++) out[this.modelled[c]!] = this.b[r * m + c]!;
  }

  protected getState(): RecommenderState {
    return { json: {}, arrays: { modelled: this.modelled, b: this.b } };
  }

  protected setState(state: RecommenderState): void {
    this.modelled = state.arrays['modelled'] as Int32Array;
    this.b = state.arrays['b'] as Float32Array;
    this.column = new Int32Array(this.data().numItems).fill(-1);
    this.modelled.forEach((i, c) => (this.column[i] = c));
    this.popularity = undefined;
  }
}
