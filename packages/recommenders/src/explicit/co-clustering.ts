/**
 * CoClustering (George & Merugu 2005, Surprise's `CoClustering`): users and items are assigned to
 * clusters by k-means-like passes, and
 * `r̂ = C̄(cu, ci) + (mean(u) - C̄(cu)) + (mean(i) - C̄(ci))`.
 */
import { createRng, type ConfigDict } from '@plasticity/core';
import type { Interactions } from '../interactions.js';
import { Recommender, type RecommenderState } from '../recommender.js';
import {
  optionLabel,
  resolveOptions,
  type OptionAliases,
  type OptionSchema,
  type WithAliases,
} from '../internal/options.js';
import { checkInt, rowMeans } from './common.js';
import { stateF32, stateI32 } from './common.js';

/**
 * CoClustering's hyperparameters by their canonical names (what `getConfig()` returns). The
 * constructor also takes the aliases in {@link CoClustering.aliases}.
 */
export interface CoClusteringConfig {
  /** User clusters (Surprise: `n_cltr_u`). Default 3. */
  userClusters?: number;
  /** Item clusters (Surprise: `n_cltr_i`). Default 3. */
  itemClusters?: number;
  /** Reassignment passes (Surprise: `n_epochs`). Default 20. */
  epochs?: number;
  /** Seed of the random initial clusters (Surprise: `random_state`). Default 0. */
  seed?: number;
}

const CO_CLUSTERING_ALIASES = {
  n_cltr_u: 'userClusters',
  nCltrU: 'userClusters',
  n_cltr_i: 'itemClusters',
  nCltrI: 'itemClusters',
  n_epochs: 'epochs',
  nEpochs: 'epochs',
  random_state: 'seed',
} as const;

const CO_CLUSTERING_SCHEMA: OptionSchema = {
  names: ['userClusters', 'itemClusters', 'epochs', 'seed'],
  aliases: CO_CLUSTERING_ALIASES,
};

interface Averages {
  cltrU: Float64Array;
  cltrI: Float64Array;
  cocltr: Float64Array;
}

/**
 * CoClustering (Surprise's `CoClustering`): users and items fall into `userClusters` ×
 * `itemClusters` co-clusters, each pass moving every user and item to the cluster that predicts
 * its ratings best; `r̂ = C̄(cu, ci) + (mean(u) - C̄(cu)) + (mean(i) - C̄(ci))`.
 *
 * Args (canonical name, then its aliases):
 * - `userClusters` (`n_cltr_u`, `nCltrU`): default 3.
 * - `itemClusters` (`n_cltr_i`, `nCltrI`): default 3.
 * - `epochs` (`n_epochs`, `nEpochs`): passes. Default 20.
 * - `seed` (`random_state`): the random initial clusters. Default 0.
 *
 * @example
 * ```ts
 * const model = await new CoClustering({ userClusters: 3, itemClusters: 3, seed: 1 }).fit(train);
 * model.predict('ann', 'alien').estimate;
 * ```
 */
export class CoClustering extends Recommender {
  static override className = 'CoClustering';
  /** The accepted aliases of CoClustering's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof CO_CLUSTERING_ALIASES> = CO_CLUSTERING_ALIASES;
  /** The resolved `userClusters` option (see {@link CoClusteringConfig.userClusters}). */
  readonly userClusters: number;
  /** The resolved `itemClusters` option (see {@link CoClusteringConfig.itemClusters}). */
  readonly itemClusters: number;
  /** The resolved `epochs` option (see {@link CoClusteringConfig.epochs}). */
  readonly epochs: number;
  /** The resolved `seed` option (see {@link CoClusteringConfig.seed}). */
  readonly seed: number;
  private cltrU: Int32Array = new Int32Array(0);
  private cltrI: Int32Array = new Int32Array(0);
  private userMean: Float32Array = new Float32Array(0);
  private itemMean: Float32Array = new Float32Array(0);
  private avgU: Float32Array = new Float32Array(0);
  private avgI: Float32Array = new Float32Array(0);
  private avgCo: Float32Array = new Float32Array(0);

  constructor(given: WithAliases<CoClusteringConfig, typeof CoClustering.aliases> = {}) {
    super();
    const config = resolveOptions<CoClusteringConfig>('CoClustering', given, CO_CLUSTERING_SCHEMA);
    const label = (name: string): string => optionLabel(given, CO_CLUSTERING_SCHEMA, name);
    this.userClusters = checkInt('CoClustering', label('userClusters'), config.userClusters ?? 3, 1);
    this.itemClusters = checkInt('CoClustering', label('itemClusters'), config.itemClusters ?? 3, 1);
    this.epochs = checkInt('CoClustering', label('epochs'), config.epochs ?? 20, 0);
    this.seed = checkInt('CoClustering', label('seed'), config.seed ?? 0, 0);
  }

  /** @deprecated The same as {@link CoClustering.userClusters} (its name before 0.1). */
  get nCltrU(): number {
    return this.userClusters;
  }

  /** @deprecated The same as {@link CoClustering.itemClusters} (its name before 0.1). */
  get nCltrI(): number {
    return this.itemClusters;
  }

  /** @deprecated The same as {@link CoClustering.epochs} (its name before 0.1). */
  get nEpochs(): number {
    return this.epochs;
  }

  /** Every option by its canonical name. */
  getConfig(): ConfigDict {
    return { userClusters: this.userClusters, itemClusters: this.itemClusters, epochs: this.epochs, seed: this.seed };
  }

  private averages(data: Interactions, cu: Int32Array, ci: Int32Array): Averages {
    const U = this.userClusters;
    const I = this.itemClusters;
    const countU = new Float64Array(U);
    const countI = new Float64Array(I);
    const countCo = new Float64Array(U * I);
    const sumU = new Float64Array(U);
    const sumI = new Float64Array(I);
    const sumCo = new Float64Array(U * I);
    for (let k = 0; k < data.size; k++) {
      const a = cu[data.users[k]!]!;
      const b = ci[data.items[k]!]!;
      const r = data.values[k]!;
      countU[a]!++;
      countI[b]!++;
      countCo[a * I + b]!++;
      sumU[a]! += r;
      sumI[b]! += r;
      sumCo[a * I + b]! += r;
    }
    const mu = data.globalMean;
    const avg = (sum: Float64Array, count: Float64Array): Float64Array =>
      sum.map((s, k) => (count[k]! > 0 ? s / count[k]! : mu));
    return { cltrU: avg(sumU, countU), cltrI: avg(sumI, countI), cocltr: avg(sumCo, countCo) };
  }

  protected fitModel(data: Interactions): void {
    const U = this.userClusters;
    const I = this.itemClusters;
    const rng = createRng(this.seed);
    const cu = new Int32Array(data.numUsers);
    const ci = new Int32Array(data.numItems);
    for (let u = 0; u < cu.length; u++) cu[u] = rng.int(U);
    for (let i = 0; i < ci.length; i++) ci[i] = rng.int(I);
    const byUser = data.byUser();
    const byItem = data.byItem();
    const userMean = rowMeans(byUser);
    const itemMean = rowMeans(byItem);
    const errU = new Float64Array(U);
    const errI = new Float64Array(I);
    this.emit({ type: 'begin', label: 'fit', epochs: this.epochs });
    for (let epoch = 0; epoch < this.epochs; epoch++) {
      const avg = this.averages(data, cu, ci);
      for (let u = 0; u < data.numUsers; u++) {
        errU.fill(0);
        const end = byUser.indptr[u + 1]!;
        for (let a = 0; a < U; a++) {
          let e = 0;
          for (let k = byUser.indptr[u]!; k < end; k++) {
            const i = byUser.indices[k]!;
            const b = ci[i]!;
            const est = avg.cocltr[a * I + b]! + userMean[u]! - avg.cltrU[a]! + itemMean[i]! - avg.cltrI[b]!;
            const d = byUser.values[k]! - est;
            e += d * d;
          }
          errU[a] = e;
        }
        cu[u] = argmin(errU);
      }
      for (let i = 0; i < data.numItems; i++) {
        errI.fill(0);
        const end = byItem.indptr[i + 1]!;
        for (let b = 0; b < I; b++) {
          let e = 0;
          for (let k = byItem.indptr[i]!; k < end; k++) {
            const u = byItem.indices[k]!;
            const a = cu[u]!;
            const est = avg.cocltr[a * I + b]! + userMean[u]! - avg.cltrU[a]! + itemMean[i]! - avg.cltrI[b]!;
            const d = byItem.values[k]! - est;
            e += d * d;
          }
          errI[b] = e;
        }
        ci[i] = argmin(errI);
      }
      this.emit({ type: 'epoch', epoch, epochs: this.epochs, metrics: {} });
    }
    const avg = this.averages(data, cu, ci);
    this.cltrU = cu;
    this.cltrI = ci;
    this.userMean = Float32Array.from(userMean);
    this.itemMean = Float32Array.from(itemMean);
    this.avgU = Float32Array.from(avg.cltrU);
    this.avgI = Float32Array.from(avg.cltrI);
    this.avgCo = Float32Array.from(avg.cocltr);
    this.emit({ type: 'end' });
  }

  /** The cluster of each user and item (indices in the training id order). */
  get clusters(): {
    /** Cluster of each user, `[numUsers]`, in `0 … userClusters - 1`. */
    users: Int32Array;
    /** Cluster of each item, `[numItems]`, in `0 … itemClusters - 1`. */
    items: Int32Array;
  } {
    return { users: this.cltrU, items: this.cltrI };
  }

  protected estimate(u: number, i: number): number {
    const a = this.cltrU[u]!;
    const b = this.cltrI[i]!;
    return (
      this.avgCo[a * this.itemClusters + b]! + (this.userMean[u]! - this.avgU[a]!) + (this.itemMean[i]! - this.avgI[b]!)
    );
  }

  protected getState(): RecommenderState {
    return {
      json: {},
      arrays: {
        cltrU: this.cltrU,
        cltrI: this.cltrI,
        userMean: this.userMean,
        itemMean: this.itemMean,
        avgU: this.avgU,
        avgI: this.avgI,
        avgCo: this.avgCo,
      },
    };
  }

  protected setState(state: RecommenderState): void {
    this.cltrU = stateI32(state, 'cltrU');
    this.cltrI = stateI32(state, 'cltrI');
    this.userMean = stateF32(state, 'userMean');
    this.itemMean = stateF32(state, 'itemMean');
    this.avgU = stateF32(state, 'avgU');
    this.avgI = stateF32(state, 'avgI');
    this.avgCo = stateF32(state, 'avgCo');
  }
}

/** The first index of the smallest value (numpy's argmin). */
function argmin(values: Float64Array): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k]! < values[best]!) best = k;
  return best;
}
