/**
 * NMF (Surprise's `NMF`): non-negative matrix factorisation by Luo et al.'s multiplicative SGD
 * updates, which keep every factor ≥ 0 when initialised ≥ 0. Optional biases (off by default,
 * and then the prediction is `q_i·p_u`).
 */
import { ValueError, createRng, describeValue, type ConfigDict } from '@plasticity/core';
import type { Csr, Interactions } from '../interactions.js';
import { MemoryPlan, copyRows, instantiateKernels } from '../internal/kernels.js';
import { Recommender, type RecommenderState } from '../recommender.js';
import { checkInt, checkNumber, factorCosine } from './common.js';
import {
  optionLabel,
  resolveOptions,
  type OptionAliases,
  type OptionSchema,
  type WithAliases,
} from '../internal/options.js';
import { stateF32 } from './common.js';

/**
 * NMF's hyperparameters by their canonical names (what `getConfig()` returns). The constructor also
 * takes the aliases in {@link NMF.aliases} (Surprise's `n_factors`, `reg_pu`, … and the camelCase
 * `nFactors`, `regPu`, … of earlier releases).
 */
export interface NMFConfig {
  /** Latent factors per user and item (Surprise: `n_factors`). Default 15. */
  factors?: number;
  /** Passes over the ratings (Surprise: `n_epochs`). Default 50. */
  epochs?: number;
  /** Use biases `mu + bu + bi` (Surprise: `biased`). Default false (Surprise warns that they easily overfit). */
  biased?: boolean;
  /** Regularisation of the user factors `p_u` (Surprise: `reg_pu`). Default 0.06. */
  regularizationUserFactors?: number;
  /** Regularisation of the item factors `q_i` (Surprise: `reg_qi`). Default 0.06. */
  regularizationItemFactors?: number;
  /** Regularisation of the user biases (Surprise: `reg_bu`). Default 0.02. */
  regularizationUserBias?: number;
  /** Regularisation of the item biases (Surprise: `reg_bi`). Default 0.02. */
  regularizationItemBias?: number;
  /** SGD step size of the user biases (Surprise: `lr_bu`). Default 0.005. */
  learningRateUserBias?: number;
  /** SGD step size of the item biases (Surprise: `lr_bi`). Default 0.005. */
  learningRateItemBias?: number;
  /** Factors start uniform on `[initLow, initHigh)` (Surprise: `init_low`). Default 0; must be ≥ 0. */
  initLow?: number;
  /** Upper end of the uniform initialisation (Surprise: `init_high`). Default 1. */
  initHigh?: number;
  /** Seed of the initialisation (Surprise: `random_state`). Default 0. */
  seed?: number;
}

const NMF_ALIASES = {
  n_factors: 'factors',
  nFactors: 'factors',
  n_epochs: 'epochs',
  nEpochs: 'epochs',
  reg_pu: 'regularizationUserFactors',
  regPu: 'regularizationUserFactors',
  reg_qi: 'regularizationItemFactors',
  regQi: 'regularizationItemFactors',
  reg_bu: 'regularizationUserBias',
  regBu: 'regularizationUserBias',
  reg_bi: 'regularizationItemBias',
  regBi: 'regularizationItemBias',
  lr_bu: 'learningRateUserBias',
  lrBu: 'learningRateUserBias',
  lr_bi: 'learningRateItemBias',
  lrBi: 'learningRateItemBias',
  init_low: 'initLow',
  init_high: 'initHigh',
  random_state: 'seed',
} as const;

const NMF_SCHEMA: OptionSchema = {
  names: [
    'factors',
    'epochs',
    'biased',
    'regularizationUserFactors',
    'regularizationItemFactors',
    'regularizationUserBias',
    'regularizationItemBias',
    'learningRateUserBias',
    'learningRateItemBias',
    'initLow',
    'initHigh',
    'seed',
  ],
  aliases: NMF_ALIASES,
};

/**
 * NMF (Surprise's `NMF`): non-negative matrix factorisation `r̂ = q_i·p_u` (plus `mu + bu + bi`
 * when `biased`), trained by Luo et al.'s multiplicative updates, which keep every factor ≥ 0 when
 * initialised ≥ 0.
 *
 * Args (canonical name, then its aliases):
 * - `factors` (`n_factors`, `nFactors`): latent dimension. Default 15.
 * - `epochs` (`n_epochs`, `nEpochs`): passes. Default 50.
 * - `biased`: add biases. Default false.
 * - `regularizationUserFactors`, `regularizationItemFactors` (`reg_pu`, `reg_qi`): default 0.06.
 * - `regularizationUserBias`, `regularizationItemBias` (`reg_bu`, `reg_bi`): default 0.02.
 * - `learningRateUserBias`, `learningRateItemBias` (`lr_bu`, `lr_bi`): default 0.005.
 * - `initLow`, `initHigh` (`init_low`, `init_high`): uniform initialisation range. Default 0, 1.
 * - `seed` (`random_state`): default 0.
 *
 * @example
 * ```ts
 * const nmf = await new NMF({ factors: 15, seed: 1 }).fit(train);
 * nmf.predict('ann', 'alien').estimate;
 * ```
 */
export class NMF extends Recommender {
  static override className = 'NMF';
  /** The accepted aliases of NMF's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof NMF_ALIASES> = NMF_ALIASES;
  /** @deprecated The same as {@link NMF.factors} (its name before 0.1). */
  readonly nFactors: number;
  /** @deprecated The same as {@link NMF.epochs} (its name before 0.1). */
  readonly nEpochs: number;
  /** The resolved `biased` option. */
  readonly biased: boolean;
  /** The resolved `regularizationUserFactors` option. */
  readonly regPu: number;
  /** The resolved `regularizationItemFactors` option. */
  readonly regQi: number;
  /** The resolved `regularizationUserBias` option. */
  readonly regBu: number;
  /** The resolved `regularizationItemBias` option. */
  readonly regBi: number;
  /** The resolved `learningRateUserBias` option. */
  readonly lrBu: number;
  /** The resolved `learningRateItemBias` option. */
  readonly lrBi: number;
  /** The resolved `initLow` option. */
  readonly initLow: number;
  /** The resolved `initHigh` option. */
  readonly initHigh: number;
  /** The resolved `seed` option. */
  readonly seed: number;
  private bu: Float32Array = new Float32Array(0);
  private bi: Float32Array = new Float32Array(0);
  private pu: Float32Array = new Float32Array(0);
  private qi: Float32Array = new Float32Array(0);
  private mu = 0;

  constructor(given: WithAliases<NMFConfig, typeof NMF.aliases> = {}) {
    super();
    const config = resolveOptions<NMFConfig>('NMF', given, NMF_SCHEMA);
    const label = (name: string): string => optionLabel(given, NMF_SCHEMA, name);
    this.nFactors = checkInt('NMF', label('factors'), config.factors ?? 15, 1);
    this.nEpochs = checkInt('NMF', label('epochs'), config.epochs ?? 50, 0);
    this.biased = config.biased ?? false;
    this.regPu = checkNumber('NMF', label('regularizationUserFactors'), config.regularizationUserFactors ?? 0.06);
    this.regQi = checkNumber('NMF', label('regularizationItemFactors'), config.regularizationItemFactors ?? 0.06);
    this.regBu = checkNumber('NMF', label('regularizationUserBias'), config.regularizationUserBias ?? 0.02);
    this.regBi = checkNumber('NMF', label('regularizationItemBias'), config.regularizationItemBias ?? 0.02);
    this.lrBu = checkNumber('NMF', label('learningRateUserBias'), config.learningRateUserBias ?? 0.005);
    this.lrBi = checkNumber('NMF', label('learningRateItemBias'), config.learningRateItemBias ?? 0.005);
    this.initLow = checkNumber('NMF', label('initLow'), config.initLow ?? 0);
    this.initHigh = checkNumber('NMF', label('initHigh'), config.initHigh ?? 1);
    if (this.initHigh <= this.initLow) {
      throw new ValueError(
        `NMF: initHigh (${describeValue(this.initHigh)}) must be greater than initLow (${describeValue(this.initLow)}).`,
        { field: 'initHigh', value: this.initHigh },
      );
    }
    this.seed = checkInt('NMF', label('seed'), config.seed ?? 0, 0);
  }

  /** Latent factors per user and item. */
  get factors(): number {
    return this.nFactors;
  }

  /** Passes over the ratings. */
  get epochs(): number {
    return this.nEpochs;
  }

  /** Every option by its canonical name. */
  getConfig(): ConfigDict {
    return {
      factors: this.nFactors,
      epochs: this.nEpochs,
      biased: this.biased,
      regularizationUserFactors: this.regPu,
      regularizationItemFactors: this.regQi,
      regularizationUserBias: this.regBu,
      regularizationItemBias: this.regBi,
      learningRateUserBias: this.lrBu,
      learningRateItemBias: this.lrBi,
      initLow: this.initLow,
      initHigh: this.initHigh,
      seed: this.seed,
    };
  }

  protected async fitModel(data: Interactions): Promise<void> {
    const F = this.nFactors;
    const rng = createRng(this.seed);
    const pu = new Float64Array(data.numUsers * F);
    const qi = new Float64Array(data.numItems * F);
    for (let k = 0; k < pu.length; k++) pu[k] = rng.uniform(this.initLow, this.initHigh);
    for (let k = 0; k < qi.length; k++) qi[k] = rng.uniform(this.initLow, this.initHigh);
    this.emit({ type: 'begin', label: 'fit', epochs: this.nEpochs, steps: data.size });
    const onEpoch = (epoch: number, sse: number): void =>
      this.emit({ type: 'epoch', epoch, epochs: this.nEpochs, metrics: { rmse: Math.sqrt(sse / data.size) } });
    const fitted = this.biased
      ? undefined
      : await nmfFitWasm(F, this.nEpochs, data.byUser(), data.byItem(), pu, qi, this.regPu, this.regQi, onEpoch);
    if (fitted === undefined) {
      this.fitJs(data, pu, qi, onEpoch);
    } else {
      this.pu = fitted.pu;
      this.qi = fitted.qi;
      this.bu = new Float32Array(data.numUsers);
      this.bi = new Float32Array(data.numItems);
      this.mu = 0;
    }
    this.emit({ type: 'end' });
  }

  /** The JS path, in float64: biased NMF, or wherever WebAssembly SIMD is unavailable. */
  private fitJs(
    data: Interactions,
    pu: Float64Array,
    qi: Float64Array,
    onEpoch: (epoch: number, sse: number) => void,
  ): void {
    const F = this.nFactors;
    const bu = new Float64Array(data.numUsers);
    const bi = new Float64Array(data.numItems);
    const mu = this.biased ? data.globalMean : 0;
    const userNum = new Float64Array(pu.length);
    const userDen = new Float64Array(pu.length);
    const itemNum = new Float64Array(qi.length);
    const itemDen = new Float64Array(qi.length);
    const byUser = data.byUser();
    const byItem = data.byItem();
    const { indptr, indices, values } = byUser;
    const { biased, lrBu, lrBi, regBu, regBi, regPu, regQi } = this;
    for (let epoch = 0; epoch < this.nEpochs; epoch++) {
      userNum.fill(0);
      userDen.fill(0);
      itemNum.fill(0);
      itemDen.fill(0);
      let sse: number;
      if (biased) {
        const rates = Float64Array.of(lrBu, lrBi, regBu, regBi);
        sse = nmfAccumulate(F, indptr, indices, values, pu, qi, bu, bi, mu, rates, userNum, userDen, itemNum, itemDen);
      } else {
        sse = nmfSide(F, indptr, indices, values, pu, qi, userNum, userDen);
        nmfSide(F, byItem.indptr, byItem.indices, byItem.values, qi, pu, itemNum, itemDen);
      }
      for (let u = 0; u < data.numUsers; u++) {
        const n = byUser.rowLength(u);
        for (let f = 0; f < F; f++) {
          const at = u * F + f;
          if (pu[at] !== 0) {
            userDen[at]! += n * regPu * pu[at]!;
            pu[at]! *= userNum[at]! / userDen[at]!;
          }
        }
      }
      for (let i = 0; i < data.numItems; i++) {
        const n = byItem.rowLength(i);
        for (let f = 0; f < F; f++) {
          const at = i * F + f;
          if (qi[at] !== 0) {
            itemDen[at]! += n * regQi * qi[at]!;
            qi[at]! *= itemNum[at]! / itemDen[at]!;
          }
        }
      }
      onEpoch(epoch, sse);
    }
    this.pu = Float32Array.from(pu);
    this.qi = Float32Array.from(qi);
    this.bu = Float32Array.from(bu);
    this.bi = Float32Array.from(bi);
    this.mu = mu;
  }

  protected estimate(u: number, i: number): number {
    const F = this.nFactors;
    let dot = 0;
    for (let f = 0; f < F; f++) dot += this.qi[i * F + f]! * this.pu[u * F + f]!;
    return this.biased ? this.mu + this.bu[u]! + this.bi[i]! + dot : dot;
  }

  protected override fallback(u: number | undefined, i: number | undefined): number {
    if (!this.biased) return this.data().globalMean;
    return this.mu + (u === undefined ? 0 : this.bu[u]!) + (i === undefined ? 0 : this.bi[i]!);
  }

  protected override itemSimilarities(i: number, out: Float32Array): void {
    factorCosine(this.qi, this.nFactors, i, out);
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

/**
 * Unbiased NMF in the SIMD kernels (`nmfSide`, `nmfUpdate` of MatrixFactorization.wat): the
 * same multiplicative updates as the JS path, with float32 factors and sums. Returns undefined when
 * the kernels cannot run here.
 */
async function nmfFitWasm(
  F: number,
  epochs: number,
  byUser: Csr,
  byItem: Csr,
  pu: Float64Array,
  qi: Float64Array,
  regPu: number,
  regQi: number,
  onEpoch: (epoch: number, sse: number) => void,
): Promise<{ pu: Float32Array; qi: Float32Array } | undefined> {
  const numUsers = byUser.numRows;
  const numItems = byItem.numRows;
  const n = byUser.indices.length;
  const Fp = Math.ceil(F / 4) * 4;
  const plan = new MemoryPlan();
  const csrAt = (csr: Csr): [number, number, number] => [
    plan.take(4 * (csr.numRows + 1)),
    plan.take(4 * n),
    plan.take(4 * n),
  ];
  const userCsr = csrAt(byUser);
  const itemCsr = csrAt(byItem);
  const puAt = plan.take(4 * Fp * numUsers);
  const qiAt = plan.take(4 * Fp * numItems);
  const userNum = plan.take(4 * Fp * numUsers);
  const userDen = plan.take(4 * Fp * numUsers);
  const itemNum = plan.take(4 * Fp * numItems);
  const itemDen = plan.take(4 * Fp * numItems);
  const kernels = await instantiateKernels(plan.bytes);
  if (kernels === undefined) return undefined;
  const buffer = kernels.memory.buffer;
  for (const [csr, [indptrAt, indicesAt, valuesAt]] of [
    [byUser, userCsr],
    [byItem, itemCsr],
  ] as const) {
    new Int32Array(buffer, indptrAt, csr.numRows + 1).set(csr.indptr);
    new Int32Array(buffer, indicesAt, n).set(csr.indices);
    new Float32Array(buffer, valuesAt, n).set(csr.values);
  }
  const puMem = new Float32Array(buffer, puAt, Fp * numUsers);
  const qiMem = new Float32Array(buffer, qiAt, Fp * numItems);
  copyRows(pu, F, puMem, Fp);
  copyRows(qi, F, qiMem, Fp);
  const { nmfSide, nmfUpdate } = kernels.exports;
  const stride = Fp * 4;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const sse = nmfSide(numUsers, ...userCsr, puAt, qiAt, userNum, userDen, stride);
    nmfSide(numItems, ...itemCsr, qiAt, puAt, itemNum, itemDen, stride);
    nmfUpdate(numUsers, userCsr[0], puAt, userNum, userDen, stride, regPu);
    nmfUpdate(numItems, itemCsr[0], qiAt, itemNum, itemDen, stride, regQi);
    onEpoch(epoch, sse);
  }
  const outPu = new Float32Array(numUsers * F);
  const outQi = new Float32Array(numItems * F);
  copyRows(puMem, Fp, outPu, F);
  copyRows(qiMem, Fp, outQi, F);
  return { pu: outPu, qi: outQi };
}

/**
 * One pass of NMF over the ratings (users in index order): the SGD bias steps when `biasRates` is
 * given, and the numerators and denominators of the multiplicative factor updates. Returns the
 * summed squared error. A standalone function of typed arrays so the engine compiles it tightly.
 */
function nmfAccumulate(
  F: number,
  indptr: Int32Array,
  indices: Int32Array,
  values: Float32Array,
  pu: Float64Array,
  qi: Float64Array,
  bu: Float64Array,
  bi: Float64Array,
  mu: number,
  biasRates: Float64Array | undefined,
  userNum: Float64Array,
  userDen: Float64Array,
  itemNum: Float64Array,
  itemDen: Float64Array,
): number {
  let sse = 0;
  const nUsers = indptr.length - 1;
  for (let u = 0; u < nUsers; u++) {
    const pOff = u * F;
    const end = indptr[u + 1]!;
    for (let k = indptr[u]!; k < end; k++) {
      const i = indices[k]!;
      const r = values[k]!;
      const qOff = i * F;
      let dot = 0;
      for (let f = 0; f < F; f++) dot += qi[qOff + f]! * pu[pOff + f]!;
      const est = mu + bu[u]! + bi[i]! + dot;
      const err = r - est;
      sse += err * err;
      if (biasRates !== undefined) {
        bu[u]! += biasRates[0]! * (err - biasRates[2]! * bu[u]!);
        bi[i]! += biasRates[1]! * (err - biasRates[3]! * bi[i]!);
      }
      for (let f = 0; f < F; f++) {
        const q = qi[qOff + f]!;
        const p = pu[pOff + f]!;
        userNum[pOff + f]! += q * r;
        userDen[pOff + f]! += q * est;
        itemNum[qOff + f]! += p * r;
        itemDen[qOff + f]! += p * est;
      }
    }
  }
  return sse;
}

/**
 * Without biases the numerators and denominators of an epoch do not depend on the visiting order,
 * so each side is accumulated in its own pass over its own CSR rows: the row's factors and sums
 * stay in cache while the other side's factors are read. Returns the summed squared error.
 */
function nmfSide(
  F: number,
  indptr: Int32Array,
  indices: Int32Array,
  values: Float32Array,
  own: Float64Array,
  other: Float64Array,
  num: Float64Array,
  den: Float64Array,
): number {
  let sse = 0;
  const rows = indptr.length - 1;
  for (let a = 0; a < rows; a++) {
    const aOff = a * F;
    const end = indptr[a + 1]!;
    for (let k = indptr[a]!; k < end; k++) {
      const bOff = indices[k]! * F;
      const r = values[k]!;
      let est = 0;
      for (let f = 0; f < F; f++) est += other[bOff + f]! * own[aOff + f]!;
      const err = r - est;
      sse += err * err;
      for (let f = 0; f < F; f++) {
        const o = other[bOff + f]!;
        num[aOff + f]! += o * r;
        den[aOff + f]! += o * est;
      }
    }
  }
  return sse;
}
