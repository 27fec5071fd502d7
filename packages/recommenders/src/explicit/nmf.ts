/**
 * NMF (Surprise's `NMF`): non-negative matrix factorisation by Luo et al.'s multiplicative SGD
 * updates, which keep every factor ≥ 0 when initialised ≥ 0. Optional biases (off by default,
 * and then the prediction is `q_i·p_u`).
 *
 * @example
 * ```ts
 * const nmf = await new NMF({ nFactors: 15, seed: 1 }).fit(train);
 * nmf.predict('ann', 'alien').estimate;
 * ```
 */
import { ValueError, createRng, describeValue, registerRecommender, type ConfigDict } from '@plasticity/core';
import type { Interactions } from '../interactions.js';
import { Recommender, type RecommenderState } from '../recommender.js';
import { checkInt, checkNumber, factorCosine } from './common.js';
import { stateF32 } from './common.js';

export interface NMFConfig {
  /** Latent factors. Default 15. */
  nFactors?: number;
  /** Passes. Default 50. */
  nEpochs?: number;
  /** Use biases (default false; Surprise warns that they easily overfit). */
  biased?: boolean;
  /** Regularisation of user and item factors. Default 0.06 each. */
  regPu?: number;
  regQi?: number;
  /** Regularisation of the biases. Default 0.02 each. */
  regBu?: number;
  regBi?: number;
  /** Learning rates of the biases. Default 0.005 each. */
  lrBu?: number;
  lrBi?: number;
  /** Factors start uniform on `[initLow, initHigh)`. Default 0 and 1; `initLow` must be ≥ 0. */
  initLow?: number;
  initHigh?: number;
  /** Seed of the initialisation. Default 0. */
  seed?: number;
}

export class NMF extends Recommender {
  static override className = 'NMF';
  readonly nFactors: number;
  readonly nEpochs: number;
  readonly biased: boolean;
  readonly regPu: number;
  readonly regQi: number;
  readonly regBu: number;
  readonly regBi: number;
  readonly lrBu: number;
  readonly lrBi: number;
  readonly initLow: number;
  readonly initHigh: number;
  readonly seed: number;
  private bu: Float32Array = new Float32Array(0);
  private bi: Float32Array = new Float32Array(0);
  private pu: Float32Array = new Float32Array(0);
  private qi: Float32Array = new Float32Array(0);
  private mu = 0;

  constructor(config: NMFConfig = {}) {
    super();
    this.nFactors = checkInt('NMF', 'nFactors', config.nFactors ?? 15, 1);
    this.nEpochs = checkInt('NMF', 'nEpochs', config.nEpochs ?? 50, 0);
    this.biased = config.biased ?? false;
    this.regPu = checkNumber('NMF', 'regPu', config.regPu ?? 0.06);
    this.regQi = checkNumber('NMF', 'regQi', config.regQi ?? 0.06);
    this.regBu = checkNumber('NMF', 'regBu', config.regBu ?? 0.02);
    this.regBi = checkNumber('NMF', 'regBi', config.regBi ?? 0.02);
    this.lrBu = checkNumber('NMF', 'lrBu', config.lrBu ?? 0.005);
    this.lrBi = checkNumber('NMF', 'lrBi', config.lrBi ?? 0.005);
    this.initLow = checkNumber('NMF', 'initLow', config.initLow ?? 0);
    this.initHigh = checkNumber('NMF', 'initHigh', config.initHigh ?? 1);
    if (this.initHigh <= this.initLow) {
      throw new ValueError(
        `NMF: initHigh (${describeValue(this.initHigh)}) must be greater than initLow (${describeValue(this.initLow)}).`,
        { field: 'initHigh', value: this.initHigh },
      );
    }
    this.seed = checkInt('NMF', 'seed', config.seed ?? 0, 0);
  }

  getConfig(): ConfigDict {
    const { nFactors, nEpochs, biased, regPu, regQi, regBu, regBi, lrBu, lrBi, initLow, initHigh, seed } = this;
    return { nFactors, nEpochs, biased, regPu, regQi, regBu, regBi, lrBu, lrBi, initLow, initHigh, seed };
  }

  protected fitModel(data: Interactions): void {
    const F = this.nFactors;
    const rng = createRng(this.seed);
    const pu = new Float64Array(data.numUsers * F);
    const qi = new Float64Array(data.numItems * F);
    for (let k = 0; k < pu.length; k++) pu[k] = rng.uniform(this.initLow, this.initHigh);
    for (let k = 0; k < qi.length; k++) qi[k] = rng.uniform(this.initLow, this.initHigh);
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
    this.emit({ type: 'begin', label: 'fit', epochs: this.nEpochs, steps: data.size });
    for (let epoch = 0; epoch < this.nEpochs; epoch++) {
      userNum.fill(0);
      userDen.fill(0);
      itemNum.fill(0);
      itemDen.fill(0);
      const sse = nmfAccumulate(
        F,
        indptr,
        indices,
        values,
        pu,
        qi,
        bu,
        bi,
        mu,
        biased ? Float64Array.of(lrBu, lrBi, regBu, regBi) : undefined,
        userNum,
        userDen,
        itemNum,
        itemDen,
      );
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
      this.emit({ type: 'epoch', epoch, epochs: this.nEpochs, metrics: { rmse: Math.sqrt(sse / data.size) } });
    }
    this.pu = Float32Array.from(pu);
    this.qi = Float32Array.from(qi);
    this.bu = Float32Array.from(bu);
    this.bi = Float32Array.from(bi);
    this.mu = mu;
    this.emit({ type: 'end' });
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

registerRecommender(NMF);
