/**
 * SVD and SVD++ (Surprise's `SVD`, `SVDpp`): biased matrix factorisation trained by plain SGD over
 * the ratings, user by user, with Surprise's defaults and update rules.
 *
 * @example
 * ```ts
 * const svd = await new SVD({ factors: 50, seed: 7 }).fit(train);
 * svd.predict('ann', 'alien');     // { estimate: 3.9, wasImpossible: false, … }
 * svd.recommend('ann', 10);        // top-10 unseen items
 * svd.similarItems('alien', 5);    // cosine of item factors
 * svd.foldIn([{ item: 'alien', rating: 5 }]).recommend(10);
 * ```
 */
import { createRng, type ConfigDict } from '@plasticity/core';
import { FoldedUser, prepareFoldIn, type FoldIn, type FoldInOptions, type FoldInRating } from '../fold-in.js';
import type { Csr, Interactions } from '../interactions.js';
import { Recommender, type RecommenderState } from '../recommender.js';
import {
  MemoryPlan,
  RNG_SCRATCH_BYTES,
  copyRows,
  fillNormal,
  instantiateKernels,
  type KernelInstance,
} from '../internal/kernels.js';
import { checkInt, checkNumber, factorCosine, ridgeFoldIn, visitOrder, type VisitOrder } from './common.js';
import {
  optionLabel,
  resolveOptions,
  type OptionAliases,
  type OptionSchema,
  type WithAliases,
} from '../internal/options.js';
import { stateF32 } from './common.js';

/**
 * SVD's hyperparameters by their canonical names (what `getConfig()` returns). The constructor also
 * takes the aliases in {@link SVD.aliases}: Surprise's snake_case names (`n_factors`, `lr_all`, …)
 * and the camelCase forms of earlier releases (`nFactors`, `lrAll`, …).
 */
export interface SVDConfig {
  /** Latent factors per user and item (Surprise: `n_factors`). Default 100. */
  factors?: number;
  /** SGD passes over the ratings (Surprise: `n_epochs`). Default 20. */
  epochs?: number;
  /**
   * Use the biases `mu + bu + bi` (Surprise: `biased`). Default true; false is probabilistic matrix
   * factorisation `r̂ = q_i·p_u`.
   */
  biased?: boolean;
  /** Mean of the normal initialisation of the factors (Surprise: `init_mean`). Default 0. */
  initMean?: number;
  /** Standard deviation of the normal initialisation of the factors (Surprise: `init_std_dev`). Default 0.1. */
  initStd?: number;
  /** SGD step size of every parameter unless overridden below (Surprise: `lr_all`). Default 0.005 (SVD++: 0.007). */
  learningRate?: number;
  /** L2 regularisation of every parameter unless overridden below (Surprise: `reg_all`). Default 0.02. */
  regularization?: number;
  /** Step size of the user biases `bu` (Surprise: `lr_bu`). Default `learningRate`. */
  learningRateUserBias?: number;
  /** Step size of the item biases `bi` (Surprise: `lr_bi`). Default `learningRate`. */
  learningRateItemBias?: number;
  /** Step size of the user factors `p_u` (Surprise: `lr_pu`). Default `learningRate`. */
  learningRateUserFactors?: number;
  /** Step size of the item factors `q_i` (Surprise: `lr_qi`). Default `learningRate`. */
  learningRateItemFactors?: number;
  /** Regularisation of `bu` (Surprise: `reg_bu`). Default `regularization`. */
  regularizationUserBias?: number;
  /** Regularisation of `bi` (Surprise: `reg_bi`). Default `regularization`. */
  regularizationItemBias?: number;
  /** Regularisation of `p_u` (Surprise: `reg_pu`). Default `regularization`. */
  regularizationUserFactors?: number;
  /** Regularisation of `q_i` (Surprise: `reg_qi`). Default `regularization`. */
  regularizationItemFactors?: number;
  /** Seed of the initialisation and of the visiting order (Surprise: `random_state`). Default 0. */
  seed?: number;
  /**
   * Visit users, and each user's ratings, in a seeded random order (default true), as Surprise does
   * on a trainset built from shuffled ratings; false visits them by index.
   */
  shuffle?: boolean;
}

/** The aliases SVD and SVD++ share: alias → canonical name. */
const FACTOR_ALIASES = {
  n_factors: 'factors',
  nFactors: 'factors',
  n_epochs: 'epochs',
  nEpochs: 'epochs',
  init_mean: 'initMean',
  init_std_dev: 'initStd',
  initStdDev: 'initStd',
  lr_all: 'learningRate',
  lrAll: 'learningRate',
  reg_all: 'regularization',
  regAll: 'regularization',
  lr_bu: 'learningRateUserBias',
  lrBu: 'learningRateUserBias',
  lr_bi: 'learningRateItemBias',
  lrBi: 'learningRateItemBias',
  lr_pu: 'learningRateUserFactors',
  lrPu: 'learningRateUserFactors',
  lr_qi: 'learningRateItemFactors',
  lrQi: 'learningRateItemFactors',
  reg_bu: 'regularizationUserBias',
  regBu: 'regularizationUserBias',
  reg_bi: 'regularizationItemBias',
  regBi: 'regularizationItemBias',
  reg_pu: 'regularizationUserFactors',
  regPu: 'regularizationUserFactors',
  reg_qi: 'regularizationItemFactors',
  regQi: 'regularizationItemFactors',
  random_state: 'seed',
} as const;

const FACTOR_NAMES = [
  'factors',
  'epochs',
  'initMean',
  'initStd',
  'learningRate',
  'regularization',
  'learningRateUserBias',
  'learningRateItemBias',
  'learningRateUserFactors',
  'learningRateItemFactors',
  'regularizationUserBias',
  'regularizationItemBias',
  'regularizationUserFactors',
  'regularizationItemFactors',
  'seed',
  'shuffle',
] as const;

/** SVD's accepted alias → canonical name. */
export const SVD_ALIASES = FACTOR_ALIASES;
const SVD_SCHEMA: OptionSchema = { names: [...FACTOR_NAMES, 'biased'], aliases: SVD_ALIASES };

interface Rates {
  lrBu: number;
  lrBi: number;
  lrPu: number;
  lrQi: number;
  regBu: number;
  regBi: number;
  regPu: number;
  regQi: number;
}

function resolveRates(
  owner: string,
  given: unknown,
  schema: OptionSchema,
  config: SVDConfig,
  lrAll: number,
  regAll: number,
): Rates {
  const rate = (name: keyof SVDConfig, value: number): number =>
    checkNumber(owner, optionLabel(given, schema, name), value);
  const lr = rate('learningRate', config.learningRate ?? lrAll);
  const reg = rate('regularization', config.regularization ?? regAll);
  return {
    lrBu: rate('learningRateUserBias', config.learningRateUserBias ?? lr),
    lrBi: rate('learningRateItemBias', config.learningRateItemBias ?? lr),
    lrPu: rate('learningRateUserFactors', config.learningRateUserFactors ?? lr),
    lrQi: rate('learningRateItemFactors', config.learningRateItemFactors ?? lr),
    regBu: rate('regularizationUserBias', config.regularizationUserBias ?? reg),
    regBi: rate('regularizationItemBias', config.regularizationItemBias ?? reg),
    regPu: rate('regularizationUserFactors', config.regularizationUserFactors ?? reg),
    regQi: rate('regularizationItemFactors', config.regularizationItemFactors ?? reg),
  };
}

function normalMatrix(rng: ReturnType<typeof createRng>, length: number, mean: number, std: number): Float64Array {
  const out = new Float64Array(length);
  for (let k = 0; k < length; k++) out[k] = rng.normal(mean, std);
  return out;
}

/** The shared part of SVD and SVD++: config, factors, scoring, similar items. */
abstract class FactorModel extends Recommender {
  /** @deprecated The same as {@link FactorModel.factors} (its name before 0.1). */
  readonly nFactors: number;
  /** @deprecated The same as {@link FactorModel.epochs} (its name before 0.1). */
  readonly nEpochs: number;
  /** The resolved `initMean` option. */
  readonly initMean: number;
  /** The resolved `initStd` option. */
  readonly initStd: number;
  /** The resolved `seed` option. */
  readonly seed: number;
  /** The resolved `shuffle` option. */
  readonly shuffle: boolean;
  /** The resolved per-parameter learning rates and regularisations. */
  readonly rates: Rates;
  /** Learnt user biases `bu`, `[numUsers]` (zeros when not `biased`). */
  protected bu: Float32Array = new Float32Array(0);
  /** Learnt item biases `bi`, `[numItems]` (zeros when not `biased`). */
  protected bi: Float32Array = new Float32Array(0);
  /** Learnt user factors `p_u`, `[numUsers, factors]` row-major. */
  protected pu: Float32Array = new Float32Array(0);
  /** Learnt item factors `q_i`, `[numItems, factors]` row-major. */
  protected qi: Float32Array = new Float32Array(0);
  /** The global mean rating `mu` of the training data (0 when not `biased`). */
  protected mu = 0;
  /** The options as given, by their canonical names. */
  protected readonly config: SVDppConfig & {
    /** SVD's `biased` option (SVD++ is always biased). Default true. */
    biased?: boolean;
  };

  constructor(
    owner: string,
    given: unknown,
    schema: OptionSchema,
    defaults: { factors: number; learningRate: number },
  ) {
    super();
    const config = resolveOptions<SVDppConfig & { biased?: boolean }>(owner, given, schema);
    const label = (name: string): string => optionLabel(given, schema, name);
    this.config = config;
    this.nFactors = checkInt(owner, label('factors'), config.factors ?? defaults.factors, 1);
    this.nEpochs = checkInt(owner, label('epochs'), config.epochs ?? 20, 0);
    this.initMean = checkNumber(owner, label('initMean'), config.initMean ?? 0, -Infinity);
    this.initStd = checkNumber(owner, label('initStd'), config.initStd ?? 0.1);
    this.seed = checkInt(owner, label('seed'), config.seed ?? 0, 0);
    this.shuffle = config.shuffle ?? true;
    this.rates = resolveRates(owner, given, schema, config, defaults.learningRate, 0.02);
  }

  /** Latent factors per user and item. */
  get factors(): number {
    return this.nFactors;
  }

  /** SGD passes over the ratings. */
  get epochs(): number {
    return this.nEpochs;
  }

  /** The options given to the constructor, by their canonical names. */
  getConfig(): ConfigDict {
    return { ...this.config } as ConfigDict;
  }

  /** The item factors `[numItems, factors]` (read-only view). */
  get itemFactors(): Float32Array {
    return this.qi;
  }

  /** The user factors `[numUsers, factors]` (read-only view). */
  get userFactors(): Float32Array {
    return this.pu;
  }

  protected override itemSimilarities(i: number, out: Float32Array): void {
    factorCosine(this.qi, this.nFactors, i, out);
  }
}

/**
 * SVD (Surprise's `SVD`): biased matrix factorisation `r̂ = mu + bu + bi + q_i·p_u`, trained by SGD
 * over the ratings, user by user, minimising the squared error plus L2 regularisation of `bu`,
 * `bi`, `p_u` and `q_i`, with Surprise's defaults and update rules. Predictions are clipped to the
 * rating scale; an unknown user or item contributes zero bias and factors.
 *
 * Args (canonical name, then its aliases):
 * - `factors` (`n_factors`, `nFactors`): latent dimension. Default 100.
 * - `epochs` (`n_epochs`, `nEpochs`): SGD passes. Default 20.
 * - `biased`: use `mu + bu + bi`. Default true.
 * - `learningRate` (`lr_all`, `lrAll`): step size per rating. Default 0.005.
 * - `regularization` (`reg_all`, `regAll`): L2 weight. Default 0.02.
 * - `learningRateUserBias` … `regularizationItemFactors` (`lr_bu` … `reg_qi`): per-parameter overrides.
 * - `initMean`, `initStd` (`init_mean`, `init_std_dev`): normal initialisation of the factors. Default 0, 0.1.
 * - `seed` (`random_state`): initialisation and visiting order. Default 0.
 * - `shuffle`: visit users and ratings in a seeded random order. Default true.
 *
 * @example
 * ```ts
 * const svd = await new SVD({ factors: 50, epochs: 20, seed: 7 }).fit(train);
 * svd.predict('ann', 'alien').estimate; // 3.9
 * new SVD({ n_factors: 50 });           // Surprise's name works too
 * ```
 */
export class SVD extends FactorModel implements FoldIn {
  static override className = 'SVD';
  /** The accepted aliases of SVD's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof SVD_ALIASES> = SVD_ALIASES;
  /** Whether the prediction includes `mu + bu + bi` (the `biased` option). */
  readonly biased: boolean;

  constructor(config: WithAliases<SVDConfig, typeof SVD.aliases> = {}) {
    super('SVD', config, SVD_SCHEMA, { factors: 100, learningRate: 0.005 });
    this.biased = this.config.biased ?? true;
  }

  protected async fitModel(data: Interactions): Promise<void> {
    const F = this.nFactors;
    const { lrBu, lrBi, lrPu, lrQi, regBu, regBi, regPu, regQi } = this.rates;
    const byUser = data.byUser();
    const layout = svdLayout(data.numUsers, data.numItems, byUser.indices.length, F);
    const kernels = await instantiateKernels(layout.bytes);
    const rng = createRng(this.seed);
    const mu = this.biased ? data.globalMean : 0;
    const rates = Float64Array.of(lrBu, lrBi, lrPu, lrQi, regBu, regBi, regPu, regQi);
    const onEpoch = (epoch: number, sse: number): void =>
      this.emit({ type: 'epoch', epoch, epochs: this.nEpochs, metrics: { rmse: Math.sqrt(sse / data.size) } });
    let fitted: FittedFactors;
    if (kernels === undefined) {
      const pu = new Float64Array(data.numUsers * F);
      const qi = new Float64Array(data.numItems * F);
      fillNormal(rng, pu, this.initMean, this.initStd);
      fillNormal(rng, qi, this.initMean, this.initStd);
      const order = visitOrder(byUser, this.shuffle ? rng.fork() : undefined);
      this.emit({ type: 'begin', label: 'fit', epochs: this.nEpochs, steps: data.size });
      fitted = svdFitJs(F, this.nEpochs, byUser, order, pu, qi, mu, this.biased, rates, onEpoch);
    } else {
      // The same draws as the JS path, straight into the kernel's padded float32 rows.
      const { buffer } = kernels.memory;
      const scratch = { instance: kernels, scratchAt: layout.rngAt };
      const rows = { width: F, stride: layout.Fp };
      const puMem = new Float32Array(buffer, layout.puAt, layout.Fp * data.numUsers);
      const qiMem = new Float32Array(buffer, layout.qiAt, layout.Fp * data.numItems);
      fillNormal(rng, puMem, this.initMean, this.initStd, scratch, rows);
      fillNormal(rng, qiMem, this.initMean, this.initStd, scratch, rows);
      const order = visitOrder(byUser, this.shuffle ? rng.fork() : undefined);
      this.emit({ type: 'begin', label: 'fit', epochs: this.nEpochs, steps: data.size });
      fitted = svdFitWasm(kernels, layout, this.nEpochs, byUser, order, mu, this.biased, rates, onEpoch);
    }
    this.pu = fitted.pu;
    this.qi = fitted.qi;
    this.bu = fitted.bu;
    this.bi = fitted.bi;
    this.mu = mu;
    this.emit({ type: 'end' });
  }

  protected estimate(u: number, i: number): number {
    const F = this.nFactors;
    let dot = 0;
    for (let f = 0; f < F; f++) dot += this.qi[i * F + f]! * this.pu[u * F + f]!;
    return this.biased ? this.mu + this.bu[u]! + this.bi[i]! + dot : dot;
  }

  /** Surprise: an unknown user or item contributes zero bias and factors (biased models only). */
  protected override fallback(u: number | undefined, i: number | undefined): number {
    if (!this.biased) return this.data().globalMean;
    return this.mu + (u === undefined ? 0 : this.bu[u]!) + (i === undefined ? 0 : this.bi[i]!);
  }

  protected override scoreItems(u: number, out: Float32Array): void {
    scoreFactors(
      this.pu,
      u,
      this.qi,
      this.nFactors,
      this.biased ? this.mu + this.bu[u]! : 0,
      this.biased ? this.bi : undefined,
      out,
    );
  }

  /**
   * Folds in a new user: the bias and factors minimising the same regularised squared error as
   * training (penalty `reg · n` for `n` ratings, as SGD applies it once per rating) with the item
   * biases and factors fixed, solved exactly (ridge regression).
   */
  foldIn(ratings: readonly FoldInRating[], options: FoldInOptions = {}): FoldedUser {
    const data = this.data();
    const input = prepareFoldIn(data, ratings, 'SVD');
    const n = input.items.length;
    const targets = Float64Array.from(
      input.ratings,
      (r, k) => r - (this.biased ? this.mu + this.bi[input.items[k]!]! : 0),
    );
    const { bu, pu } = ridgeFoldIn(
      input.items,
      targets,
      this.qi,
      this.nFactors,
      this.biased,
      this.rates.regBu * n,
      this.rates.regPu * n,
    );
    const F = this.nFactors;
    const score = (i: number): number => {
      let dot = 0;
      for (let f = 0; f < F; f++) dot += this.qi[i * F + f]! * pu[f]!;
      return this.biased ? this.mu + bu + this.bi[i]! + dot : dot;
    };
    return new FoldedUser(
      data,
      options.user ?? 'folded-in user',
      input,
      score,
      this.biased ? this.mu + bu : data.globalMean,
    );
  }

  protected getState(): RecommenderState {
    return { json: { mu: this.mu }, arrays: { bu: this.bu, bi: this.bi, pu: this.pu, qi: this.qi } };
  }

  protected setState(state: RecommenderState): void {
    this.mu = state.json.mu as number;
    this.bu = stateF32(state, 'bu');
    this.bi = stateF32(state, 'bi');
    this.pu = stateF32(state, 'pu');
    this.qi = stateF32(state, 'qi');
  }
}

interface FittedFactors {
  pu: Float32Array;
  qi: Float32Array;
  bu: Float32Array;
  bi: Float32Array;
}

/**
 * SVD's SGD in JS, in float64: the fallback where WebAssembly SIMD is unavailable. `pu` and `qi`
 * hold the initial factors (and are trained in place).
 */
function svdFitJs(
  F: number,
  epochs: number,
  byUser: Csr,
  order: VisitOrder,
  pu: Float64Array,
  qi: Float64Array,
  mu: number,
  biased: boolean,
  rates: Float64Array,
  onEpoch: (epoch: number, sse: number) => void,
): FittedFactors {
  const { indptr, indices, values } = byUser;
  const bu = new Float64Array(byUser.numRows);
  const bi = new Float64Array(qi.length / F);
  for (let epoch = 0; epoch < epochs; epoch++) {
    onEpoch(
      epoch,
      svdEpoch(F, order.users, order.positions, indptr, indices, values, pu, qi, bu, bi, mu, biased, rates),
    );
  }
  return {
    pu: Float32Array.from(pu),
    qi: Float32Array.from(qi),
    bu: Float32Array.from(bu),
    bi: Float32Array.from(bi),
  };
}

/** Where SVD's arrays lie in the kernel memory (byte offsets), for `F` factors padded to `Fp`. */
interface SvdLayout {
  numUsers: number;
  numItems: number;
  n: number;
  F: number;
  Fp: number;
  usersAt: number;
  itemsAt: number;
  ratingsAt: number;
  buAt: number;
  biAt: number;
  puAt: number;
  qiAt: number;
  rngAt: number;
  bytes: number;
}

function svdLayout(numUsers: number, numItems: number, n: number, F: number): SvdLayout {
  const Fp = Math.ceil(F / 4) * 4;
  const plan = new MemoryPlan();
  const usersAt = plan.take(4 * n);
  const itemsAt = plan.take(4 * n);
  const ratingsAt = plan.take(4 * n);
  const buAt = plan.take(8 * numUsers);
  const biAt = plan.take(8 * numItems);
  const puAt = plan.take(4 * Fp * numUsers);
  const qiAt = plan.take(4 * Fp * numItems);
  const rngAt = plan.take(RNG_SCRATCH_BYTES);
  return {
    numUsers,
    numItems,
    n,
    F,
    Fp,
    usersAt,
    itemsAt,
    ratingsAt,
    buAt,
    biAt,
    puAt,
    qiAt,
    rngAt,
    bytes: plan.bytes,
  };
}

/**
 * SVD's SGD in the SIMD kernel (`svdEpoch` of MatrixFactorization.wat): the same update rules
 * with float32 factors (four lanes at a time) and float64 biases and errors, from the initial
 * factors already in the kernel memory.
 */
function svdFitWasm(
  kernels: KernelInstance,
  layout: SvdLayout,
  epochs: number,
  byUser: Csr,
  order: VisitOrder,
  mu: number,
  biased: boolean,
  rates: Float64Array,
  onEpoch: (epoch: number, sse: number) => void,
): FittedFactors {
  const { numUsers, numItems, n, F, Fp, usersAt, itemsAt, ratingsAt, buAt, biAt, puAt, qiAt } = layout;
  const buffer = kernels.memory.buffer;
  // The ratings in visiting order, as parallel arrays.
  const users = new Int32Array(buffer, usersAt, n);
  const items = new Int32Array(buffer, itemsAt, n);
  const ratings = new Float32Array(buffer, ratingsAt, n);
  const { indptr, indices, values } = byUser;
  let j = 0;
  for (let ui = 0; ui < order.users.length; ui++) {
    const u = order.users[ui]!;
    for (let p = indptr[u]!; p < indptr[u + 1]!; p++) {
      const k = order.positions[p]!;
      users[j] = u;
      items[j] = indices[k]!;
      ratings[j] = values[k]!;
      j++;
    }
  }
  const [lrBu, lrBi, lrPu, lrQi, regBu, regBi, regPu, regQi] = Array.from(rates);
  const keepP = 1 - lrPu! * regPu!;
  const keepQ = 1 - lrQi! * regQi!;
  const { svdEpoch: kernel } = kernels.exports;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const sse = kernel(
      n,
      usersAt,
      itemsAt,
      ratingsAt,
      puAt,
      qiAt,
      buAt,
      biAt,
      Fp * 4,
      mu,
      biased ? 1 : 0,
      lrBu!,
      lrBi!,
      regBu!,
      regBi!,
      lrPu!,
      lrQi!,
      keepP,
      keepQ,
    );
    onEpoch(epoch, sse);
  }
  const outPu = new Float32Array(numUsers * F);
  const outQi = new Float32Array(numItems * F);
  copyRows(new Float32Array(buffer, puAt, Fp * numUsers), Fp, outPu, F);
  copyRows(new Float32Array(buffer, qiAt, Fp * numItems), Fp, outQi, F);
  return {
    pu: outPu,
    qi: outQi,
    bu: Float32Array.from(new Float64Array(buffer, buAt, numUsers)),
    bi: Float32Array.from(new Float64Array(buffer, biAt, numItems)),
  };
}

/**
 * One SGD pass of SVD over the ratings in visiting order; returns the summed squared error. A
 * standalone function of typed arrays so the engine compiles it once, tightly. The dot product
 * runs on four accumulators and the factor updates are the same rule written as
 * `p ← (1 - lr·reg)·p + lr·err·q`.
 */
function svdEpoch(
  F: number,
  users: Int32Array,
  positions: Int32Array,
  indptr: Int32Array,
  indices: Int32Array,
  values: Float32Array,
  pu: Float64Array,
  qi: Float64Array,
  bu: Float64Array,
  bi: Float64Array,
  mu: number,
  biased: boolean,
  rates: Float64Array,
): number {
  const lrBu = rates[0]!;
  const lrBi = rates[1]!;
  const lrPu = rates[2]!;
  const lrQi = rates[3]!;
  const regBu = rates[4]!;
  const regBi = rates[5]!;
  const keepP = 1 - lrPu * rates[6]!;
  const keepQ = 1 - lrQi * rates[7]!;
  const F4 = F - (F % 4);
  let sse = 0;
  for (let ui = 0; ui < users.length; ui++) {
    const u = users[ui]!;
    const pOff = u * F;
    const end = indptr[u + 1]!;
    for (let p = indptr[u]!; p < end; p++) {
      const k = positions[p]!;
      const i = indices[k]!;
      const qOff = i * F;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      let f = 0;
      for (; f < F4; f += 4) {
        d0 += qi[qOff + f]! * pu[pOff + f]!;
        d1 += qi[qOff + f + 1]! * pu[pOff + f + 1]!;
        d2 += qi[qOff + f + 2]! * pu[pOff + f + 2]!;
        d3 += qi[qOff + f + 3]! * pu[pOff + f + 3]!;
      }
      for (; f < F; f++) d0 += qi[qOff + f]! * pu[pOff + f]!;
      const err = values[k]! - (mu + bu[u]! + bi[i]! + (d0 + d1 + d2 + d3));
      sse += err * err;
      if (biased) {
        bu[u]! += lrBu * (err - regBu * bu[u]!);
        bi[i]! += lrBi * (err - regBi * bi[i]!);
      }
      const stepP = lrPu * err;
      const stepQ = lrQi * err;
      for (f = 0; f < F; f++) {
        const puf = pu[pOff + f]!;
        const qif = qi[qOff + f]!;
        pu[pOff + f] = keepP * puf + stepP * qif;
        qi[qOff + f] = keepQ * qif + stepQ * puf;
      }
    }
  }
  return sse;
}

function scoreFactors(
  p: ArrayLike<number>,
  u: number,
  q: Float32Array,
  F: number,
  base: number,
  bi: Float32Array | undefined,
  out: Float32Array,
  pOffsetOverride?: number,
): void {
  const pOff = pOffsetOverride ?? u * F;
  for (let i = 0; i < out.length; i++) {
    let dot = 0;
    const qOff = i * F;
    for (let f = 0; f < F; f++) dot += q[qOff + f]! * p[pOff + f]!;
    out[i] = base + (bi === undefined ? 0 : bi[i]!) + dot;
  }
}

/** SVD++'s hyperparameters by their canonical names: SVD's (without `biased`) and the implicit factors' rates. */
export interface SVDppConfig extends Omit<SVDConfig, 'biased'> {
  /** Step size of the implicit item factors `y_j` (Surprise: `lr_yj`). Default `learningRate`. */
  learningRateImplicit?: number;
  /** Regularisation of `y_j` (Surprise: `reg_yj`). Default `regularization`. */
  regularizationImplicit?: number;
  /**
   * Accepted for Surprise compatibility; the ratings are always read from the CSR index, so this
   * changes nothing.
   */
  cacheRatings?: boolean;
}

/** SVD++'s accepted alias → canonical name: SVD's and `lr_yj`, `reg_yj`, `cache_ratings`. */
export const SVDPP_ALIASES = {
  ...FACTOR_ALIASES,
  lr_yj: 'learningRateImplicit',
  lrYj: 'learningRateImplicit',
  reg_yj: 'regularizationImplicit',
  regYj: 'regularizationImplicit',
  cache_ratings: 'cacheRatings',
} as const;
const SVDPP_SCHEMA: OptionSchema = {
  names: [...FACTOR_NAMES, 'learningRateImplicit', 'regularizationImplicit', 'cacheRatings'],
  aliases: SVDPP_ALIASES,
};

/**
 * SVD++: `r̂ = mu + bu + bi + q_i·(p_u + |I_u|^-½ Σ_{j∈I_u} y_j)`. Defaults: 20 factors, 20 epochs,
 * learning rate 0.007, regularisation 0.02.
 *
 * Surprise updates every `y_j` of the user after each rating, which costs `O(|I_u|·f)` per rating.
 * Those updates are the same affine map `y ← a·y + b` for all of the user's items, and the user's
 * ratings are visited consecutively, so here they are accumulated as one scale and offset and
 * applied once at the end of the user's ratings: the same numbers, `O(f)` per rating.
 */
export class SVDpp extends FactorModel implements FoldIn {
  static override className = 'SVDpp';
  /** The accepted aliases of SVD++'s options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof SVDPP_ALIASES> = SVDPP_ALIASES;
  /** The resolved `learningRateImplicit` option (step size of the `y_j`). */
  readonly lrYj: number;
  /** The resolved `regularizationImplicit` option (regularisation of the `y_j`). */
  readonly regYj: number;
  private yj: Float32Array = new Float32Array(0);
  /** Per user: `|I_u|^-½ Σ y_j`. */
  private implicit: Float32Array = new Float32Array(0);

  constructor(config: WithAliases<SVDppConfig, typeof SVDpp.aliases> = {}) {
    super('SVDpp', config, SVDPP_SCHEMA, { factors: 20, learningRate: 0.007 });
    const c = this.config;
    const label = (name: string): string => optionLabel(config, SVDPP_SCHEMA, name);
    this.lrYj = checkNumber('SVDpp', label('learningRateImplicit'), c.learningRateImplicit ?? c.learningRate ?? 0.007);
    this.regYj = checkNumber(
      'SVDpp',
      label('regularizationImplicit'),
      c.regularizationImplicit ?? c.regularization ?? 0.02,
    );
  }

  protected fitModel(data: Interactions): void {
    const F = this.nFactors;
    const { lrBu, lrBi, lrPu, lrQi, regBu, regBi, regPu, regQi } = this.rates;
    const { lrYj, regYj } = this;
    const rng = createRng(this.seed);
    const pu = normalMatrix(rng, data.numUsers * F, this.initMean, this.initStd);
    const qi = normalMatrix(rng, data.numItems * F, this.initMean, this.initStd);
    const yj = normalMatrix(rng, data.numItems * F, this.initMean, this.initStd);
    const bu = new Float64Array(data.numUsers);
    const bi = new Float64Array(data.numItems);
    const mu = data.globalMean;
    const byUser = data.byUser();
    const { indptr, indices, values } = byUser;
    const order = visitOrder(byUser, this.shuffle ? rng.fork() : undefined);
    const z = new Float64Array(F);
    const beta = new Float64Array(F);
    const imp = new Float64Array(F);
    const decay = 1 - lrYj * regYj;
    this.emit({ type: 'begin', label: 'fit', epochs: this.nEpochs, steps: data.size });
    for (let epoch = 0; epoch < this.nEpochs; epoch++) {
      let sse = 0;
      for (let ui = 0; ui < data.numUsers; ui++) {
        const u = order.users[ui]!;
        const start = indptr[u]!;
        const end = indptr[u + 1]!;
        const n = end - start;
        if (n === 0) continue;
        const s = 1 / Math.sqrt(n);
        z.fill(0);
        for (let k = start; k < end; k++) {
          const jOff = indices[k]! * F;
          for (let f = 0; f < F; f++) z[f]! += yj[jOff + f]!;
        }
        // Current y_j = alpha * stored y_j + beta for every j in I_u.
        let alpha = 1;
        beta.fill(0);
        const pOff = u * F;
        for (let p = start; p < end; p++) {
          const k = order.positions[p]!;
          const i = indices[k]!;
          const qOff = i * F;
          let dot = 0;
          for (let f = 0; f < F; f++) {
            const v = s * (alpha * z[f]! + n * beta[f]!);
            imp[f] = v;
            dot += qi[qOff + f]! * (pu[pOff + f]! + v);
          }
          const err = values[k]! - (mu + bu[u]! + bi[i]! + dot);
          sse += err * err;
          bu[u]! += lrBu * (err - regBu * bu[u]!);
          bi[i]! += lrBi * (err - regBi * bi[i]!);
          const step = lrYj * err * s;
          for (let f = 0; f < F; f++) {
            const puf = pu[pOff + f]!;
            const qif = qi[qOff + f]!;
            pu[pOff + f] = puf + lrPu * (err * qif - regPu * puf);
            qi[qOff + f] = qif + lrQi * (err * (puf + imp[f]!) - regQi * qif);
            beta[f] = decay * beta[f]! + step * qif;
          }
          alpha *= decay;
        }
        for (let k = start; k < end; k++) {
          const jOff = indices[k]! * F;
          for (let f = 0; f < F; f++) yj[jOff + f] = alpha * yj[jOff + f]! + beta[f]!;
        }
      }
      this.emit({ type: 'epoch', epoch, epochs: this.nEpochs, metrics: { rmse: Math.sqrt(sse / data.size) } });
    }
    this.pu = Float32Array.from(pu);
    this.qi = Float32Array.from(qi);
    this.yj = Float32Array.from(yj);
    this.bu = Float32Array.from(bu);
    this.bi = Float32Array.from(bi);
    this.mu = mu;
    this.computeImplicit(data);
    this.emit({ type: 'end' });
  }

  private computeImplicit(data: Interactions): void {
    const F = this.nFactors;
    const { indptr, indices } = data.byUser();
    const implicit = new Float32Array(data.numUsers * F);
    for (let u = 0; u < data.numUsers; u++) {
      const n = indptr[u + 1]! - indptr[u]!;
      if (n === 0) continue;
      const s = 1 / Math.sqrt(n);
      for (let k = indptr[u]!; k < indptr[u + 1]!; k++) {
        const jOff = indices[k]! * F;
        for (let f = 0; f < F; f++) implicit[u * F + f]! += this.yj[jOff + f]! * s;
      }
    }
    this.implicit = implicit;
  }

  private userVector(u: number): Float64Array {
    const F = this.nFactors;
    const v = new Float64Array(F);
    for (let f = 0; f < F; f++) v[f] = this.pu[u * F + f]! + this.implicit[u * F + f]!;
    return v;
  }

  protected estimate(u: number, i: number): number {
    const F = this.nFactors;
    let dot = 0;
    for (let f = 0; f < F; f++) dot += this.qi[i * F + f]! * (this.pu[u * F + f]! + this.implicit[u * F + f]!);
    return this.mu + this.bu[u]! + this.bi[i]! + dot;
  }

  protected override fallback(u: number | undefined, i: number | undefined): number {
    return this.mu + (u === undefined ? 0 : this.bu[u]!) + (i === undefined ? 0 : this.bi[i]!);
  }

  protected override scoreItems(u: number, out: Float32Array): void {
    scoreFactors(this.userVector(u), u, this.qi, this.nFactors, this.mu + this.bu[u]!, this.bi, out, 0);
  }

  /**
   * Folds in a new user: their implicit term `|I|^-½ Σ y_j` comes from the rated items; the bias
   * and `p_u` solve the regularised least squares with every item parameter fixed.
   */
  foldIn(ratings: readonly FoldInRating[], options: FoldInOptions = {}): FoldedUser {
    const data = this.data();
    const input = prepareFoldIn(data, ratings, 'SVDpp');
    const F = this.nFactors;
    const n = input.items.length;
    const imp = new Float64Array(F);
    for (const j of input.items) for (let f = 0; f < F; f++) imp[f]! += this.yj[j * F + f]! / Math.sqrt(n);
    const targets = Float64Array.from(input.ratings, (r, k) => {
      const i = input.items[k]!;
      let dot = 0;
      for (let f = 0; f < F; f++) dot += this.qi[i * F + f]! * imp[f]!;
      return r - this.mu - this.bi[i]! - dot;
    });
    const { bu, pu } = ridgeFoldIn(input.items, targets, this.qi, F, true, this.rates.regBu * n, this.rates.regPu * n);
    for (let f = 0; f < F; f++) pu[f]! += imp[f]!;
    const score = (i: number): number => {
      let dot = 0;
      for (let f = 0; f < F; f++) dot += this.qi[i * F + f]! * pu[f]!;
      return this.mu + bu + this.bi[i]! + dot;
    };
    return new FoldedUser(data, options.user ?? 'folded-in user', input, score, this.mu + bu);
  }

  protected getState(): RecommenderState {
    return {
      json: { mu: this.mu },
      arrays: { bu: this.bu, bi: this.bi, pu: this.pu, qi: this.qi, yj: this.yj },
    };
  }

  protected setState(state: RecommenderState): void {
    this.mu = state.json.mu as number;
    this.bu = stateF32(state, 'bu');
    this.bi = stateF32(state, 'bi');
    this.pu = stateF32(state, 'pu');
    this.qi = stateF32(state, 'qi');
    this.yj = stateF32(state, 'yj');
    this.computeImplicit(this.data());
  }
}
