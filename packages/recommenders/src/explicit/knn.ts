/**
 * Neighbourhood models (Surprise's `KNNBasic`, `KNNWithMeans`, `KNNWithZScore`, `KNNBaseline`):
 * the rating of `u` for `i` is a similarity-weighted mix of the ratings of `i` by the `neighbours`
 * users most similar to `u` (user-based, default) — or of `u`'s ratings of the `neighbours` items
 * most similar to `i` (item-based). Only neighbours with positive similarity count.
 *
 * @example
 * ```ts
 * const knn = await new KNNWithMeans({ neighbours: 40, similarity: { name: 'pearson', userBased: false } }).fit(train);
 * knn.predict('ann', 'alien');     // wasImpossible when fewer than minNeighbours (KNNBasic)
 * knn.similarItems('alien', 10);   // item-based models only
 * ```
 */
import { ValueError, describeValue, type ConfigDict } from '@plasticity/core';
import { FoldedUser, prepareFoldIn, type FoldIn, type FoldInOptions, type FoldInRating } from '../fold-in.js';
import type { Csr, Interactions } from '../interactions.js';
import { Recommender, type RecommenderState } from '../recommender.js';
import {
  BASELINE_SCHEMA,
  baselineConfig,
  checkInt,
  checkNumber,
  computeBaselines,
  foldInUserBias,
  resolveBaselineOptions,
  rowMeans,
  type BaselineOptions,
  type BaselineOptionsInput,
  type ResolvedBaselineOptions,
} from './common.js';
import {
  optionLabel,
  resolveOptions,
  type OptionAliases,
  type OptionSchema,
  type WithAliases,
} from '../internal/options.js';
import { stateF32 } from './common.js';
import {
  SIMILARITIES,
  SimilarityScratch,
  similarityMatrix,
  similarityRow,
  type SimilarityName,
  type SimilarityParams,
} from './similarities.js';

/**
 * How neighbours are compared (Surprise's `sim_options`), by canonical names; Surprise's
 * `user_based` and `min_support` are accepted too.
 */
export interface SimOptions {
  /** `'msd'` (default), `'cosine'`, `'pearson'` or `'pearson_baseline'` (Surprise: `name`). */
  name?: SimilarityName;
  /** Similarities between users (default true) or between items (Surprise: `user_based`). */
  userBased?: boolean;
  /** Pairs with fewer common ratings get similarity 0 (Surprise: `min_support`). Default 1. */
  minSupport?: number;
  /** `pearson_baseline` shrinkage (Surprise: `shrinkage`). Default 100. */
  shrinkage?: number;
}

const SIM_ALIASES = { user_based: 'userBased', min_support: 'minSupport' } as const;

/** {@link SimOptions} as KNN's `similarity` option takes it: canonical names or Surprise's `user_based`, `min_support`. */
export type SimOptionsInput = WithAliases<SimOptions, typeof SIM_ALIASES>;
const SIM_SCHEMA: OptionSchema = { names: ['name', 'userBased', 'minSupport', 'shrinkage'], aliases: SIM_ALIASES };

/**
 * The k-NN models' hyperparameters by their canonical names (what `getConfig()` returns). The
 * constructors also take the aliases in {@link KNNBasic.aliases}: Surprise's `k`, `min_k`,
 * `sim_options`, `bsl_options` and the `minK`, `sim`, `bsl` of earlier releases.
 */
export interface KNNConfig {
  /** The most neighbours used per prediction (Surprise: `k`). Default 40. */
  neighbours?: number;
  /** The fewest neighbours needed (Surprise: `min_k`; see each class for what happens with fewer). Default 1. */
  minNeighbours?: number;
  /** How neighbours are compared (Surprise: `sim_options`). */
  similarity?: SimOptionsInput;
  /** Baseline estimation for KNNBaseline and `pearson_baseline` (Surprise: `bsl_options`). */
  baseline?: BaselineOptionsInput;
}

const KNN_ALIASES = {
  k: 'neighbours',
  min_k: 'minNeighbours',
  minK: 'minNeighbours',
  sim_options: 'similarity',
  sim: 'similarity',
  bsl_options: 'baseline',
  bsl: 'baseline',
} as const;

const KNN_SCHEMA: OptionSchema = {
  names: ['neighbours', 'minNeighbours', 'similarity', 'baseline'],
  aliases: KNN_ALIASES,
  nested: { similarity: SIM_SCHEMA, baseline: BASELINE_SCHEMA },
};

type Mode = 'basic' | 'means' | 'zscore' | 'baseline';

/** Entries larger than this make the dense similarity matrix impractical (4 bytes each). */
const MAX_SIM_ENTRIES = 2 ** 28;

abstract class KNNBase extends Recommender implements FoldIn {
  /**
   * Which Surprise k-NN variant this is: `'basic'` (KNNBasic), `'means'` (KNNWithMeans),
   * `'zscore'` (KNNWithZScore) or `'baseline'` (KNNBaseline).
   */
  protected abstract readonly mode: Mode;
  /** The accepted aliases of the k-NN options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof KNN_ALIASES> = KNN_ALIASES;
  /** The resolved `neighbours` option: the most neighbours per prediction. */
  readonly neighbours: number;
  /** The resolved `minNeighbours` option. */
  readonly minNeighbours: number;
  /** The resolved `similarity` options. */
  readonly similarity: Required<SimOptions>;
  /** The resolved `baseline` options. */
  readonly baseline: ResolvedBaselineOptions;
  /** `[nX, nX]` similarities, row-major. */
  private simMatrix: Float32Array = new Float32Array(0);
  private nX = 0;
  /** Per x: mean rating, standard deviation (1 when 0), and baseline bias; per y: baseline bias. */
  private means: Float32Array = new Float32Array(0);
  private sigmas: Float32Array = new Float32Array(0);
  private bx: Float32Array = new Float32Array(0);
  private by: Float32Array = new Float32Array(0);
  private mu = 0;
  // Scratch for neighbour selection.
  private candSim: Float64Array = new Float64Array(0);
  private candVal: Float64Array = new Float64Array(0);
  private candX: Int32Array = new Int32Array(0);
  private heap: Int32Array = new Int32Array(0);
  /** The ratings by the column side (items when user-based), set with the scratch buffers. */
  private yr?: Csr;

  constructor(given: WithAliases<KNNConfig, typeof KNN_ALIASES> = {}) {
    super();
    const owner = (new.target as unknown as typeof Recommender).className;
    const config = resolveOptions<KNNConfig & { similarity?: SimOptions; baseline?: BaselineOptions }>(
      owner,
      given,
      KNN_SCHEMA,
    );
    const label = (name: string): string => optionLabel(given, KNN_SCHEMA, name);
    this.neighbours = checkInt(owner, label('neighbours'), config.neighbours ?? 40, 1);
    this.minNeighbours = checkInt(owner, label('minNeighbours'), config.minNeighbours ?? 1, 0);
    const sim = config.similarity ?? {};
    const name = sim.name ?? 'msd';
    if (!SIMILARITIES.includes(name)) {
      throw new ValueError(
        `${owner}: ${label('similarity.name')} must be one of ${SIMILARITIES.join(', ')}; got ${describeValue(name)}.`,
        { field: 'similarity.name', value: name },
      );
    }
    this.similarity = {
      name,
      userBased: sim.userBased ?? true,
      minSupport: checkInt(owner, label('similarity.minSupport'), sim.minSupport ?? 1, 0),
      shrinkage: checkNumber(owner, label('similarity.shrinkage'), sim.shrinkage ?? 100),
    };
    this.baseline = resolveBaselineOptions(owner, config.baseline, given, KNN_SCHEMA);
  }

  /** @deprecated The same as {@link KNNBasic.neighbours} (its name before 0.1). */
  get k(): number {
    return this.neighbours;
  }

  /** @deprecated The same as {@link KNNBasic.minNeighbours} (its name before 0.1). */
  get minK(): number {
    return this.minNeighbours;
  }

  /** @deprecated The same as {@link KNNBasic.similarity} (its name before 0.1). */
  get sim(): Required<SimOptions> {
    return this.similarity;
  }

  /** Every option by its canonical name. */
  getConfig(): ConfigDict {
    return {
      neighbours: this.neighbours,
      minNeighbours: this.minNeighbours,
      similarity: { ...this.similarity },
      baseline: baselineConfig(this.baseline),
    };
  }

  private views(data: Interactions): { xr: Csr; yr: Csr } {
    return this.similarity.userBased
      ? { xr: data.byUser(), yr: data.byItem() }
      : { xr: data.byItem(), yr: data.byUser() };
  }

  protected fitModel(data: Interactions): void {
    const { xr, yr } = this.views(data);
    const nX = xr.numRows;
    if (nX * nX > MAX_SIM_ENTRIES) {
      throw new ValueError(
        `${(this.constructor as typeof Recommender).className}: ${nX} ${this.similarity.userBased ? 'users' : 'items'} need a ` +
          `${nX}×${nX} similarity matrix, too large; use ${this.similarity.userBased ? 'item' : 'user'}-based similarities or a factor model.`,
        { field: 'similarity.userBased', value: this.similarity.userBased },
      );
    }
    this.emit({ type: 'begin', label: 'fit', steps: nX });
    this.mu = data.globalMean;
    const needBaselines = this.mode === 'baseline' || this.similarity.name === 'pearson_baseline';
    if (needBaselines) {
      const { bu, bi } = computeBaselines(data, this.baseline);
      this.bx = Float32Array.from(this.similarity.userBased ? bu : bi);
      this.by = Float32Array.from(this.similarity.userBased ? bi : bu);
    } else {
      this.bx = new Float32Array(0);
      this.by = new Float32Array(0);
    }
    this.simMatrix = similarityMatrix(xr, yr, this.simParams());
    this.nX = nX;
    const means = rowMeans(xr);
    this.means = Float32Array.from(means);
    const sigmas = new Float32Array(nX);
    for (let x = 0; x < nX; x++) {
      const { values } = xr.row(x);
      let ss = 0;
      for (const r of values) ss += (r - means[x]!) * (r - means[x]!);
      const sigma = values.length > 0 ? Math.sqrt(ss / values.length) : 0;
      sigmas[x] = sigma === 0 ? 1 : sigma;
    }
    this.sigmas = sigmas;
    this.allocScratch(data);
    this.emit({ type: 'end' });
  }

  private simParams(): SimilarityParams {
    return { ...this.similarity, mu: this.mu, xBias: this.bx, yBias: this.by };
  }

  private allocScratch(data: Interactions): void {
    const { yr, xr } = this.views(data);
    this.yr = yr;
    let longest = 0;
    for (let y = 0; y < yr.numRows; y++) longest = Math.max(longest, yr.rowLength(y));
    // Fold-in (item-based) uses the new user's ratings as candidates: up to every item.
    if (!this.similarity.userBased) longest = Math.max(longest, xr.numRows);
    this.candSim = new Float64Array(longest);
    this.candVal = new Float64Array(longest);
    this.candX = new Int32Array(longest);
    this.heap = new Int32Array(this.neighbours);
  }

  /**
   * Keeps the (at most) `k` candidates with the highest positive similarity among
   * `candX/candSim/candVal[0..n)`; returns how many, their positions in `this.heap`. Ties keep the
   * earlier candidate (as `heapq.nlargest`).
   */
  private selectNeighbours(n: number): number {
    const { candSim, heap } = this;
    const k = this.neighbours;
    // "a is worse than b": lower similarity, or equal and later.
    const worse = (a: number, b: number): boolean => candSim[a]! < candSim[b]! || (candSim[a] === candSim[b] && a > b);
    let size = 0;
    for (let c = 0; c < n; c++) {
      if (!(candSim[c]! > 0)) continue;
      if (size < k) {
        let pos = size++;
        heap[pos] = c;
        while (pos > 0) {
          const parent = (pos - 1) >> 1;
          if (!worse(heap[pos]!, heap[parent]!)) break;
          const t = heap[pos]!;
          heap[pos] = heap[parent]!;
          heap[parent] = t;
          pos = parent;
        }
      } else if (worse(heap[0]!, c)) {
        heap[0] = c;
        let pos = 0;
        for (;;) {
          const l = 2 * pos + 1;
          const r = l + 1;
          let m = pos;
          if (l < size && worse(heap[l]!, heap[m]!)) m = l;
          if (r < size && worse(heap[r]!, heap[m]!)) m = r;
          if (m === pos) break;
          const t = heap[pos]!;
          heap[pos] = heap[m]!;
          heap[m] = t;
          pos = m;
        }
      }
    }
    return size;
  }

  /**
   * The estimate from `n` gathered candidates, given the target x's mean, sigma and baseline
   * (`mu + bx + by`) and the column's bias `byY`. NaN when KNNBasic has fewer than minK.
   */
  private aggregate(n: number, xMean: number, xSigma: number, xBase: number, byY: number): number {
    const size = this.selectNeighbours(n);
    const { candSim, candVal, candX, heap, means, sigmas, bx, mode } = this;
    let sumSim = 0;
    let sumRatings = 0;
    for (let h = 0; h < size; h++) {
      const c = heap[h]!;
      const s = candSim[c]!;
      const r = candVal[c]!;
      const nb = candX[c]!;
      sumSim += s;
      if (mode === 'basic') sumRatings += s * r;
      else if (mode === 'means') sumRatings += s * (r - means[nb]!);
      else if (mode === 'zscore') sumRatings += (s * (r - means[nb]!)) / sigmas[nb]!;
      else sumRatings += s * (r - (this.mu + bx[nb]! + byY));
    }
    if (mode === 'basic') return size < this.minNeighbours ? Number.NaN : sumRatings / sumSim;
    if (size < this.minNeighbours) sumRatings = 0;
    const ratio = sumSim === 0 ? 0 : sumRatings / sumSim;
    if (mode === 'means') return xMean + ratio;
    if (mode === 'zscore') return xMean + ratio * xSigma;
    return xBase + ratio;
  }

  protected estimate(u: number, i: number): number {
    const userBased = this.similarity.userBased;
    const x = userBased ? u : i;
    const y = userBased ? i : u;
    const yr = this.yr!;
    const start = yr.indptr[y]!;
    const end = yr.indptr[y + 1]!;
    const off = x * this.nX;
    let n = 0;
    for (let b = start; b < end; b++) {
      const x2 = yr.indices[b]!;
      this.candX[n] = x2;
      this.candSim[n] = this.simMatrix[off + x2]!;
      this.candVal[n++] = yr.values[b]!;
    }
    const hasBsl = this.mode === 'baseline';
    const byY = hasBsl ? this.by[y]! : 0;
    const base = hasBsl ? this.mu + this.bx[x]! + byY : 0;
    return this.aggregate(n, this.means[x]!, this.sigmas[x]!, base, byY);
  }

  protected override fallback(u: number | undefined, i: number | undefined): number {
    if (this.mode !== 'baseline') return this.data().globalMean;
    const [bu, bi] = this.similarity.userBased ? [this.bx, this.by] : [this.by, this.bx];
    return this.mu + (u === undefined ? 0 : bu[u]!) + (i === undefined ? 0 : bi[i]!);
  }

  protected override itemSimilarities(i: number, out: Float32Array): void {
    if (this.similarity.userBased) {
      const name = (this.constructor as typeof Recommender).className;
      throw new ValueError(
        `${name} is user-based, so it has no item similarities; fit it with similarity: { userBased: false } for similarItems.`,
        { field: 'sim.userBased', value: true },
      );
    }
    out.set(this.simMatrix.subarray(i * this.nX, (i + 1) * this.nX));
  }

  /**
   * Folds in a new user. User-based: the new user's similarities to every training user are
   * computed from the given ratings (the same measure), then neighbours are picked as for a
   * trained user. Item-based: the given ratings are the neighbours' ratings. Means, deviations and
   * (for baselines) the user bias `Σ (r - mu - bi) / (regU + n)` come from the given ratings.
   */
  foldIn(ratings: readonly FoldInRating[], options: FoldInOptions = {}): FoldedUser {
    const data = this.data();
    const owner = (this.constructor as typeof Recommender).className;
    const input = prepareFoldIn(data, ratings, owner);
    const n = input.items.length;
    let mean = 0;
    for (const r of input.ratings) mean += r;
    mean = n > 0 ? mean / n : data.globalMean;
    let ss = 0;
    for (const r of input.ratings) ss += (r - mean) * (r - mean);
    const sigma = n > 0 && ss > 0 ? Math.sqrt(ss / n) : 1;
    const hasBsl = this.bx.length > 0;
    const biasArray = this.similarity.userBased ? this.by : this.bx;
    const lambda = this.baseline.method === 'als' ? this.baseline.regularizationUser : this.baseline.regularization * n;
    const bu = hasBsl && n > 0 ? foldInUserBias(input.items, input.ratings, this.mu, biasArray, lambda) : 0;
    let score: (i: number) => number;
    if (this.similarity.userBased) {
      const sims = new Float32Array(this.nX);
      similarityRow(
        input.items,
        input.ratings,
        bu,
        data.byItem(),
        this.simParams(),
        new SimilarityScratch(this.nX),
        sims,
        0,
      );
      const yr = data.byItem();
      score = (i) => {
        let c = 0;
        for (let b = yr.indptr[i]!; b < yr.indptr[i + 1]!; b++) {
          const x2 = yr.indices[b]!;
          this.candX[c] = x2;
          this.candSim[c] = sims[x2]!;
          this.candVal[c++] = yr.values[b]!;
        }
        const byY = hasBsl ? this.by[i]! : 0;
        return this.aggregate(c, mean, sigma, this.mu + bu + byY, byY);
      };
    } else {
      score = (i) => {
        const off = i * this.nX;
        for (let c = 0; c < n; c++) {
          const j = input.items[c]!;
          this.candX[c] = j;
          this.candSim[c] = this.simMatrix[off + j]!;
          this.candVal[c] = input.ratings[c]!;
        }
        const bxI = hasBsl ? this.bx[i]! : 0;
        return this.aggregate(n, this.means[i]!, this.sigmas[i]!, this.mu + bxI + bu, bu);
      };
    }
    const fallback = this.mode === 'baseline' ? this.mu + bu : data.globalMean;
    return new FoldedUser(data, options.user ?? 'folded-in user', input, score, fallback);
  }

  protected getState(): RecommenderState {
    return {
      json: { mu: this.mu, nX: this.nX },
      arrays: { sim: this.simMatrix, means: this.means, sigmas: this.sigmas, bx: this.bx, by: this.by },
    };
  }

  protected setState(state: RecommenderState): void {
    this.mu = state.json.mu as number;
    this.nX = state.json.nX as number;
    this.simMatrix = stateF32(state, 'sim');
    this.means = stateF32(state, 'means');
    this.sigmas = stateF32(state, 'sigmas');
    this.bx = stateF32(state, 'bx');
    this.by = stateF32(state, 'by');
    this.allocScratch(this.data());
  }
}

/**
 * KNNBasic (Surprise's `KNNBasic`): `r̂ = Σ sim·r / Σ sim` over the k nearest neighbours; impossible with fewer than `minNeighbours`.
 *
 * Args (canonical name, then its aliases), the same for the four k-NN classes:
 * - `neighbours` (`k`): the most neighbours per prediction. Default 40.
 * - `minNeighbours` (`min_k`, `minK`): the fewest neighbours needed. Default 1.
 * - `similarity` (`sim_options`, `sim`): `{ name: 'msd' | 'cosine' | 'pearson' | 'pearson_baseline',
 *   userBased (user_based): true, minSupport (min_support): 1, shrinkage: 100 }`.
 * - `baseline` (`bsl_options`, `bsl`): `{ method: 'als' | 'sgd', epochs (n_epochs), regularizationUser (reg_u),
 *   regularizationItem (reg_i), regularization (reg), learningRate (learning_rate) }`, for
 *   `KNNBaseline` and `pearson_baseline`.
 *
 * @example
 * ```ts
 * const model = await new KNNBasic({ neighbours: 20, similarity: { name: 'cosine' } }).fit(train);
 * model.predict('ann', 'alien');
 * ```
 */
export class KNNBasic extends KNNBase {
  static override className = 'KNNBasic';
  protected readonly mode = 'basic';
}

/**
 * KNNWithMeans (Surprise's `KNNWithMeans`): `r̂ = mean(x) + Σ sim·(r - mean(nb)) / Σ sim`; the mean alone with fewer than `minNeighbours`.
 *
 * Args (canonical name, then its aliases), the same for the four k-NN classes:
 * - `neighbours` (`k`): the most neighbours per prediction. Default 40.
 * - `minNeighbours` (`min_k`, `minK`): the fewest neighbours needed. Default 1.
 * - `similarity` (`sim_options`, `sim`): `{ name: 'msd' | 'cosine' | 'pearson' | 'pearson_baseline',
 *   userBased (user_based): true, minSupport (min_support): 1, shrinkage: 100 }`.
 * - `baseline` (`bsl_options`, `bsl`): `{ method: 'als' | 'sgd', epochs (n_epochs), regularizationUser (reg_u),
 *   regularizationItem (reg_i), regularization (reg), learningRate (learning_rate) }`, for
 *   `KNNBaseline` and `pearson_baseline`.
 *
 * @example
 * ```ts
 * const model = await new KNNWithMeans({ similarity: { name: 'pearson', userBased: false } }).fit(train);
 * model.predict('ann', 'alien');
 * ```
 */
export class KNNWithMeans extends KNNBase {
  static override className = 'KNNWithMeans';
  protected readonly mode = 'means';
}

/**
 * KNNWithZScore (Surprise's `KNNWithZScore`): `r̂ = mean(x) + sigma(x) · Σ sim·(r - mean(nb))/sigma(nb) / Σ sim`; the mean alone with fewer than `minNeighbours`.
 *
 * Args (canonical name, then its aliases), the same for the four k-NN classes:
 * - `neighbours` (`k`): the most neighbours per prediction. Default 40.
 * - `minNeighbours` (`min_k`, `minK`): the fewest neighbours needed. Default 1.
 * - `similarity` (`sim_options`, `sim`): `{ name: 'msd' | 'cosine' | 'pearson' | 'pearson_baseline',
 *   userBased (user_based): true, minSupport (min_support): 1, shrinkage: 100 }`.
 * - `baseline` (`bsl_options`, `bsl`): `{ method: 'als' | 'sgd', epochs (n_epochs), regularizationUser (reg_u),
 *   regularizationItem (reg_i), regularization (reg), learningRate (learning_rate) }`, for
 *   `KNNBaseline` and `pearson_baseline`.
 *
 * @example
 * ```ts
 * const model = await new KNNWithZScore({ k: 20, sim_options: { name: 'pearson' } }).fit(train); // Surprise's names
 * model.predict('ann', 'alien');
 * ```
 */
export class KNNWithZScore extends KNNBase {
  static override className = 'KNNWithZScore';
  protected readonly mode = 'zscore';
}

/**
 * KNNBaseline (Surprise's `KNNBaseline`): `r̂ = b(u,i) + Σ sim·(r - b(nb)) / Σ sim` with baselines `b = mu + bu + bi`; the baseline alone with fewer than `minNeighbours`.
 *
 * Args (canonical name, then its aliases), the same for the four k-NN classes:
 * - `neighbours` (`k`): the most neighbours per prediction. Default 40.
 * - `minNeighbours` (`min_k`, `minK`): the fewest neighbours needed. Default 1.
 * - `similarity` (`sim_options`, `sim`): `{ name: 'msd' | 'cosine' | 'pearson' | 'pearson_baseline',
 *   userBased (user_based): true, minSupport (min_support): 1, shrinkage: 100 }`.
 * - `baseline` (`bsl_options`, `bsl`): `{ method: 'als' | 'sgd', epochs (n_epochs), regularizationUser (reg_u),
 *   regularizationItem (reg_i), regularization (reg), learningRate (learning_rate) }`, for
 *   `KNNBaseline` and `pearson_baseline`.
 *
 * @example
 * ```ts
 * const model = await new KNNBaseline({ similarity: { name: 'pearson_baseline' }, baseline: { method: 'sgd' } }).fit(train);
 * model.predict('ann', 'alien');
 * ```
 */
export class KNNBaseline extends KNNBase {
  static override className = 'KNNBaseline';
  protected readonly mode = 'baseline';
}
