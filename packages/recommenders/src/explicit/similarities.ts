/**
 * Surprise's similarity measures between the rows `x` (users, or items when item-based) over the
 * columns `y` they share: `cosine`, `msd` (default), `pearson` and `pearson_baseline`. Computed one
 * row at a time over the sparse data, so the work is `Σ_y |R(y)|²` like Surprise's, with scratch
 * memory of one row.
 */
import type { Csr } from '../interactions.js';

/** Surprise's similarity measures for the k-NN models (`sim_options.name`). */
export type SimilarityName = 'cosine' | 'msd' | 'pearson' | 'pearson_baseline';

export const SIMILARITIES: readonly SimilarityName[] = ['cosine', 'msd', 'pearson', 'pearson_baseline'];

export interface SimilarityParams {
  name: SimilarityName;
  /** Pairs with fewer common columns than this get similarity 0. */
  minSupport: number;
  /** pearson_baseline: shrinks towards 0 as `(n - 1) / (n - 1 + shrinkage)`. */
  shrinkage: number;
  /** pearson_baseline: the global mean and the row (x) and column (y) biases. */
  mu: number;
  xBias?: ArrayLike<number>;
  yBias?: ArrayLike<number>;
}

/** Reusable per-row accumulators. */
export class SimilarityScratch {
  readonly freq: Int32Array;
  readonly prods: Float64Array;
  readonly sqi: Float64Array;
  readonly sqj: Float64Array;
  readonly si: Float64Array;
  readonly sj: Float64Array;
  readonly touched: Int32Array;
  constructor(n: number) {
    this.freq = new Int32Array(n);
    this.prods = new Float64Array(n);
    this.sqi = new Float64Array(n);
    this.sqj = new Float64Array(n);
    this.si = new Float64Array(n);
    this.sj = new Float64Array(n);
    this.touched = new Int32Array(n);
  }
}

/**
 * Writes the similarity of one row (`cols`/`vals`: the columns it has and their ratings, and
 * `selfBias` for pearson_baseline) to every row of the data into `out[offset + x]`, given the data
 * by column (`yr`: for column `y`, the rows that have it). Rows sharing nothing get 0.
 */
export function similarityRow(
  cols: ArrayLike<number>,
  vals: ArrayLike<number>,
  selfBias: number,
  yr: Csr,
  params: SimilarityParams,
  scratch: SimilarityScratch,
  out: Float32Array,
  offset: number,
): void {
  const { freq, prods, sqi, sqj, si, sj, touched } = scratch;
  const { indptr, indices, values } = yr;
  let count = 0;
  const name = params.name;
  for (let a = 0; a < cols.length; a++) {
    const y = cols[a]!;
    const ri = vals[a]!;
    const end = indptr[y + 1]!;
    if (name === 'msd') {
      for (let b = indptr[y]!; b < end; b++) {
        const x = indices[b]!;
        if (freq[x] === 0) touched[count++] = x;
        freq[x]!++;
        const d = ri - values[b]!;
        prods[x]! += d * d;
      }
    } else if (name === 'cosine') {
      for (let b = indptr[y]!; b < end; b++) {
        const x = indices[b]!;
        if (freq[x] === 0) touched[count++] = x;
        freq[x]!++;
        const rj = values[b]!;
        prods[x]! += ri * rj;
        sqi[x]! += ri * ri;
        sqj[x]! += rj * rj;
      }
    } else if (name === 'pearson') {
      for (let b = indptr[y]!; b < end; b++) {
        const x = indices[b]!;
        if (freq[x] === 0) touched[count++] = x;
        freq[x]!++;
        const rj = values[b]!;
        prods[x]! += ri * rj;
        sqi[x]! += ri * ri;
        sqj[x]! += rj * rj;
        si[x]! += ri;
        sj[x]! += rj;
      }
    } else {
      const partial = params.mu + params.yBias![y]!;
      const di = ri - (partial + selfBias);
      const xBias = params.xBias!;
      for (let b = indptr[y]!; b < end; b++) {
        const x = indices[b]!;
        if (freq[x] === 0) touched[count++] = x;
        freq[x]!++;
        const dj = values[b]! - (partial + xBias[x]!);
        prods[x]! += di * dj;
        sqi[x]! += di * di;
        sqj[x]! += dj * dj;
      }
    }
  }
  out.fill(0, offset, offset + yr.numCols);
  const { minSupport, shrinkage } = params;
  for (let c = 0; c < count; c++) {
    const x = touched[c]!;
    const n = freq[x]!;
    let sim = 0;
    if (n >= minSupport) {
      if (name === 'msd') sim = 1 / (prods[x]! / n + 1);
      else if (name === 'cosine') {
        const denom = Math.sqrt(sqi[x]! * sqj[x]!);
        sim = denom > 0 ? prods[x]! / denom : 0;
      } else if (name === 'pearson') {
        const num = n * prods[x]! - si[x]! * sj[x]!;
        const denom = Math.sqrt((n * sqi[x]! - si[x]! * si[x]!) * (n * sqj[x]! - sj[x]! * sj[x]!));
        sim = denom > 0 ? num / denom : 0;
      } else {
        const denom = Math.sqrt(sqi[x]! * sqj[x]!);
        sim = denom > 0 ? (prods[x]! / denom) * ((n - 1) / (n - 1 + shrinkage)) : 0;
      }
    }
    out[offset + x] = sim;
    freq[x] = 0;
    prods[x] = 0;
    sqi[x] = 0;
    sqj[x] = 0;
    si[x] = 0;
    sj[x] = 0;
  }
}

/** The full `[n, n]` similarity matrix of the rows of `xr` (Surprise sets the diagonal to 1). */
export function similarityMatrix(xr: Csr, yr: Csr, params: SimilarityParams): Float32Array {
  const n = xr.numRows;
  const out = new Float32Array(n * n);
  const scratch = new SimilarityScratch(n);
  for (let x = 0; x < n; x++) {
    const { indices, values } = xr.row(x);
    similarityRow(indices, values, params.xBias?.[x] ?? 0, yr, params, scratch, out, x * n);
    out[x * n + x] = 1;
  }
  return out;
}
