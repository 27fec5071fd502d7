/**
 * SlopeOne (Lemire & Maclachlan, Surprise's `SlopeOne`):
 * `r̂(u, i) = mean(u) + (1/|R_i(u)|) Σ_{j ∈ R_i(u)} dev(i, j)`, where `R_i(u)` are the items `u`
 * rated that share at least one rater with `i`, and `dev(i, j)` is the mean of `r_vi - r_vj` over
 * the users `v` who rated both. The deviations are stored sparse (only co-rated pairs), by item.
 *
 * @example
 * ```ts
 * const model = await new SlopeOne().fit(train);
 * model.predict('ann', 'alien').estimate;
 * ```
 */
import { type ConfigDict } from '@plasticity/core';
import type { Interactions } from '../interactions.js';
import { Recommender, type RecommenderState } from '../recommender.js';
import { resolveOptions } from '../internal/options.js';
import { rowMeans } from './common.js';
import { stateF32, stateI32 } from './common.js';

/**
 * SlopeOne (Lemire & Maclachlan 2005, Surprise's `SlopeOne`): `r̂ = mean(u) + (1/|R_i(u)|) Σ_{j ∈
 * R_i(u)} dev(i, j)`, where `dev(i, j)` is the mean difference between the ratings of `i` and `j`
 * by the users who rated both and `R_i(u)` are the items `u` rated that share a user with `i`.
 *
 * Args: none (an option passed is an error).
 *
 * @example
 * ```ts
 * const model = await new SlopeOne().fit(ratings);
 * model.predict('ann', 'alien').estimate;
 * ```
 */
export class SlopeOne extends Recommender {
  static override className = 'SlopeOne';
  /** Row `i` of the deviation matrix: co-rated items `devIndices[devIndptr[i]..devIndptr[i+1])`. */
  private devIndptr: Int32Array = new Int32Array(1);
  private devIndices: Int32Array = new Int32Array(0);
  private devValues: Float32Array = new Float32Array(0);
  private userMean: Float32Array = new Float32Array(0);

  constructor(given: Record<string, never> = {}) {
    super();
    resolveOptions('SlopeOne', given, { names: [] });
  }

  /** Every option by its canonical name (what the constructor and `Recommender.load` take back). */
  getConfig(): ConfigDict {
    return {};
  }

  protected fitModel(data: Interactions): void {
    const byUser = data.byUser();
    const byItem = data.byItem();
    const nItems = data.numItems;
    const freq = new Int32Array(nItems);
    const dev = new Float64Array(nItems);
    const touched = new Int32Array(nItems);
    const indptr = new Int32Array(nItems + 1);
    let indices = new Int32Array(1 << 16);
    let devs = new Float32Array(1 << 16);
    let nnz = 0;
    this.emit({ type: 'begin', label: 'fit', steps: nItems });
    for (let i = 0; i < nItems; i++) {
      let count = 0;
      const iEnd = byItem.indptr[i + 1]!;
      for (let a = byItem.indptr[i]!; a < iEnd; a++) {
        const u = byItem.indices[a]!;
        const rui = byItem.values[a]!;
        const uEnd = byUser.indptr[u + 1]!;
        for (let b = byUser.indptr[u]!; b < uEnd; b++) {
          const j = byUser.indices[b]!;
          if (freq[j] === 0) touched[count++] = j;
          freq[j]!++;
          dev[j]! += rui - byUser.values[b]!;
        }
      }
      const row = touched.subarray(0, count).sort();
      if (nnz + count > indices.length) {
        const size = Math.max(indices.length * 2, nnz + count);
        const grownIdx = new Int32Array(size);
        grownIdx.set(indices.subarray(0, nnz));
        indices = grownIdx;
        const grownDev = new Float32Array(size);
        grownDev.set(devs.subarray(0, nnz));
        devs = grownDev;
      }
      for (let c = 0; c < count; c++) {
        const j = row[c]!;
        indices[nnz] = j;
        // Surprise sets dev(i, i) = 0 (the pair still counts in R_i(u)).
        devs[nnz++] = j === i ? 0 : dev[j]! / freq[j]!;
        freq[j] = 0;
        dev[j] = 0;
      }
      indptr[i + 1] = nnz;
    }
    this.devIndptr = indptr;
    this.devIndices = indices.slice(0, nnz);
    this.devValues = devs.slice(0, nnz);
    this.userMean = Float32Array.from(rowMeans(byUser));
    this.emit({ type: 'end' });
  }

  /** The number of stored co-rated (i, j) pairs. */
  get numPairs(): number {
    return this.devIndices.length;
  }

  protected estimate(u: number, i: number): number {
    const { indptr, indices } = this.data().byUser();
    // Merge the user's items with row i's co-rated items (both sorted).
    let a = indptr[u]!;
    const aEnd = indptr[u + 1]!;
    let b = this.devIndptr[i]!;
    const bEnd = this.devIndptr[i + 1]!;
    let sum = 0;
    let count = 0;
    while (a < aEnd && b < bEnd) {
      const ja = indices[a]!;
      const jb = this.devIndices[b]!;
      if (ja === jb) {
        sum += this.devValues[b]!;
        count++;
        a++;
        b++;
      } else if (ja < jb) a++;
      else b++;
    }
    return this.userMean[u]! + (count > 0 ? sum / count : 0);
  }

  protected getState(): RecommenderState {
    return {
      json: {},
      arrays: {
        devIndptr: this.devIndptr,
        devIndices: this.devIndices,
        devValues: this.devValues,
        userMean: this.userMean,
      },
    };
  }

  protected setState(state: RecommenderState): void {
    this.devIndptr = stateI32(state, 'devIndptr');
    this.devIndices = stateI32(state, 'devIndices');
    this.devValues = stateF32(state, 'devValues');
    this.userMean = stateF32(state, 'userMean');
  }
}
