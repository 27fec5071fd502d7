/**
 * Hybrids:
 *
 * - {@link Blend}: a weighted sum of two or more recommenders' scores, each normalised per user
 *   (z-score by default, or min-max or rank) so that scales as different as ALS dot products and
 *   TF-IDF cosines mix sensibly.
 * - {@link FeatureFactorization}: a LightFM-style model — an item's vector is the weighted sum of
 *   its features' embeddings (optionally plus its own id's), trained with BPR. An item nobody has
 *   used yet gets a vector from its features, so it can be recommended from day one.
 *
 * @example
 * ```ts
 * const blend = await new Blend({ models: [new ALS(), new ContentBased({ itemText })], weights: [0.7, 0.3] }).fit(data);
 * const cold = await new FeatureFactorization({ itemFeatures: new Map([['m1', ['drama', '1990s']]]) }).fit(data);
 * ```
 */
import {
  createRng,
  ValueError,
  describeValue,
  type ConfigDict,
  type ConfigValue,
  type SerializedPlugin,
} from '@plasticity/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { Id, Interactions } from './interactions.js';
import { Recommender, buildRecommender, describeRecommender, type RecommenderState } from './recommender.js';
import {
  FactorRecommender,
  checkImplicitValues,
  checkNonNegative,
  checkPositive,
  type ScoringEngine,
} from './internal/factor-model.js';
import { resolveOptions, type OptionAliases, type OptionSchema, type WithAliases } from './internal/options.js';

/** Per-user normalisation of each model's scores before Blend sums them. */
export type ScoreNormalization = 'zscore' | 'minmax' | 'rank' | 'none';

/** Blend's options (what `getConfig()` returns, with the models as `{ className, config }`). */
export interface BlendConfig {
  /** Two or more recommenders (fitted by `Blend.fit` unless `fitComponents: false`). */
  models: (
    | Recommender
    | {
        /** The registered class name of the model (its static `className`). */
        className: string;
        /** The model's `getConfig()`. */
        config: ConfigDict;
      }
  )[];
  /** One weight per model. Default: equal. */
  weights?: number[];
  /** Per-user score normalisation before blending. Default `'zscore'`. */
  normalize?: ScoreNormalization;
  /** Fit each model on `Blend.fit`'s data (default true); false blends already-fitted models. */
  fitComponents?: boolean;
}

const BLEND_SCHEMA: OptionSchema = { names: ['models', 'weights', 'normalize', 'fitComponents'] };

/**
 * Blend: a weighted sum of several recommenders' per-user normalised scores,
 * `score(u, i) = Σ_m w_m · norm_u(score_m(u, i))`. Each component scores (and masks) items its own
 * way; the blend saves and loads with its components.
 *
 * Args:
 * - `models`: two or more recommenders, or their `{ className, config }` (fitted by `Blend.fit`
 *   unless `fitComponents: false`). Required.
 * - `weights`: one finite weight per model. Default equal (`1 / models.length`).
 * - `normalize`: per-user score normalisation, `'zscore'` (default), `'minmax'`, `'rank'` or `'none'`.
 * - `fitComponents`: fit each model on `Blend.fit`'s data. Default true; false blends fitted models.
 *
 * @example
 * ```ts
 * const blend = await new Blend({ models: [new ALS({ factors: 32 }), new ItemItem()], weights: [0.7, 0.3] }).fit(data);
 * blend.recommend('ann', 10);
 * ```
 */
export class Blend extends Recommender {
  static override className = 'Blend';
  /** The component recommenders, in `weights` order. */
  models: Recommender[];
  /** The resolved `weights` option (see {@link BlendConfig.weights}). */
  readonly weights: number[];
  /** The resolved `normalize` option (see {@link BlendConfig.normalize}). */
  readonly normalize: ScoreNormalization;
  /** The resolved `fitComponents` option (see {@link BlendConfig.fitComponents}). */
  readonly fitComponents: boolean;

  constructor(given: BlendConfig) {
    super();
    const config = resolveOptions<BlendConfig>('Blend', given, BLEND_SCHEMA);
    if (!Array.isArray(config?.models) || config.models.length < 2) {
      throw new ValueError(`Blend needs at least two models, got ${describeValue(config?.models)}.`, {
        field: 'models',
        value: config?.models,
      });
    }
    this.models = config.models.map((m) =>
      m instanceof Recommender ? m : buildRecommender(m as SerializedPlugin, 'new Blend({ models })'),
    );
    this.weights = config.weights ?? this.models.map(() => 1 / this.models.length);
    if (this.weights.length !== this.models.length || this.weights.some((w) => !Number.isFinite(w))) {
      throw new ValueError(
        `weights must be ${this.models.length} finite numbers (one per model), got ${describeValue(config.weights)}.`,
        { field: 'weights', value: config.weights },
      );
    }
    this.normalize = config.normalize ?? 'zscore';
    if (!['zscore', 'minmax', 'rank', 'none'].includes(this.normalize)) {
      throw new ValueError(
        `normalize must be 'zscore', 'minmax', 'rank' or 'none', got ${describeValue(this.normalize)}.`,
        { field: 'normalize', value: this.normalize },
      );
    }
    this.fitComponents = config.fitComponents ?? true;
  }

  /** Every option by its canonical name (what the constructor and `Recommender.load` take back). */
  getConfig(): ConfigDict {
    return {
      models: this.models.map((m) => describeRecommender(m) as unknown as ConfigValue),
      weights: [...this.weights],
      normalize: this.normalize,
      fitComponents: this.fitComponents,
    };
  }

  /** The components decide how they score items nobody has used yet (each masks its own). */
  protected override get scoresItemsWithoutInteractions(): boolean {
    return true;
  }

  protected async fitModel(data: Interactions): Promise<void> {
    this.cold = undefined;
    for (const model of this.models) {
      if (this.fitComponents) await model.fit(data);
      else if (!model.fitted) {
        throw new ValueError(
          `Blend with fitComponents: false needs fitted models; ${(model.constructor as typeof Recommender).className} is not.`,
          { field: 'models', value: (model.constructor as typeof Recommender).className },
        );
      }
    }
  }

  /** The blended, normalised scores of every item for a user id. */
  private blended(user: Id, out: Float32Array): void {
    out.fill(0);
    this.models.forEach((model, k) => {
      const s = normalizeScores(model.scoreAll(user), this.normalize);
      const w = this.weights[k]!;
      for (let i = 0; i < out.length; i++) out[i]! += w * s[i]!;
    });
  }

  protected estimate(u: number, i: number): number {
    const out = new Float32Array(this.data().numItems);
    this.blended(this.data().userIds.id(u), out);
    return out[i]!;
  }

  protected override scoreItems(u: number, out: Float32Array): void {
    this.blended(this.data().userIds.id(u), out);
  }

  /** Unknown users: the blend of the models' own cold-start scores. */
  protected override fallback(_u: number | undefined, i: number | undefined): number {
    if (i === undefined) return 0;
    if (this.cold === undefined) {
      this.cold = new Float32Array(this.data().numItems);
      // An id no data set can hold: every component answers with its cold-start scores.
      this.blended(Symbol('unknown user') as unknown as Id, this.cold);
    }
    return this.cold[i]!;
  }

  private cold: Float32Array | undefined;

  protected getState(): RecommenderState {
    const arrays: RecommenderState['arrays'] = {};
    const components = this.models.map((model, k) => {
      const artifacts = model.toArtifacts();
      const bytes = artifacts.weightData as ArrayBuffer;
      arrays[`model${k}`] = new Int32Array(bytes.slice(0));
      return { topology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs } as unknown as ConfigValue;
    });
    return { json: { components }, arrays };
  }

  protected setState(state: RecommenderState): void {
    const components = state.json['components'] as unknown as {
      topology: tf.io.ModelArtifacts['modelTopology'];
      weightSpecs: tf.io.WeightsManifestEntry[];
    }[];
    this.cold = undefined;
    this.models = components.map((c, k) => {
      const bytes = state.arrays[`model${k}`]!;
      return Recommender.fromArtifacts({
        modelTopology: c.topology,
        weightSpecs: c.weightSpecs,
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      });
    });
  }
}

/** Per-user normalisation; NaN (unscorable) items get the lowest normalised score. */
export function normalizeScores(scores: Float32Array, how: ScoreNormalization): Float32Array {
  const out = new Float32Array(scores.length);
  const finite: number[] = [];
  for (const s of scores) if (Number.isFinite(s)) finite.push(s);
  if (finite.length === 0) return out;
  let lo = Infinity;
  let hi = -Infinity;
  let mean = 0;
  for (const s of finite) {
    lo = Math.min(lo, s);
    hi = Math.max(hi, s);
    mean += s / finite.length;
  }
  let sd = 0;
  for (const s of finite) sd += (s - mean) ** 2 / finite.length;
  sd = Math.sqrt(sd);
  if (how === 'rank') {
    const order = finite.slice().sort((a, b) => a - b);
    const rankOf = (s: number): number => {
      // mid-rank of s among the finite scores, scaled to [0, 1]
      let lo2 = 0;
      let hi2 = order.length;
      while (lo2 < hi2) {
        const m = (lo2 + hi2) >> 1;
        if (order[m]! < s) lo2 = m + 1;
        else hi2 = m;
      }
      let end = lo2;
      while (end < order.length && order[end] === s) end++;
      return order.length === 1 ? 1 : (lo2 + end - 1) / 2 / (order.length - 1);
    };
    for (let i = 0; i < scores.length; i++) out[i] = Number.isFinite(scores[i]!) ? rankOf(scores[i]!) : 0;
    return out;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (how === 'none') out[i] = Number.isFinite(s) ? s : lo;
    else if (how === 'minmax') out[i] = Number.isFinite(s) ? (hi === lo ? 0 : (s - lo) / (hi - lo)) : 0;
    else out[i] = sd === 0 ? 0 : ((Number.isFinite(s) ? s : lo) - mean) / sd;
  }
  return out;
}

/** Item id → its features: names (weight 1 each) or name → weight. */
export type ItemFeatures =
  | ReadonlyMap<Id, readonly string[] | Readonly<Record<string, number>>>
  | Iterable<readonly [Id, readonly string[] | Readonly<Record<string, number>>]>;

/** FeatureFactorization's hyperparameters by their canonical names (what `getConfig()` returns). */
export interface FeatureFactorizationConfig {
  /** Item features (alias `item_features`; not saved in the config; the learnt item vectors are saved in the state). */
  itemFeatures?: ItemFeatures;
  /** Give every item its own id feature too (default true): known items can diverge from their features. */
  identity?: boolean;
  /** Latent dimension of the user and feature vectors. Default 32. */
  factors?: number;
  /** Passes, each drawing one triple per interaction. Default 30. */
  epochs?: number;
  /** SGD step size (alias `learning_rate`). Default 0.05. */
  learningRate?: number;
  /** L2 weight on the factors and biases each step touches. Default 0.001. */
  regularization?: number;
  /** Seed of the initial factors and the sampling (alias `random_state`). Default 0. */
  seed?: number;
  /** All-items scoring engine, see {@link ScoringEngine}. Default `'auto'`. */
  scoring?: ScoringEngine;
}

const FEATURE_FACTORIZATION_ALIASES = {
  item_features: 'itemFeatures',
  learning_rate: 'learningRate',
  random_state: 'seed',
} as const;
const FEATURE_FACTORIZATION_SCHEMA: OptionSchema = {
  names: ['itemFeatures', 'identity', 'factors', 'epochs', 'learningRate', 'regularization', 'seed', 'scoring'],
  aliases: FEATURE_FACTORIZATION_ALIASES,
};

/**
 * FeatureFactorization: BPR over feature-based item vectors, as LightFM does: `qᵢ = Σ_f wᵢf e_f`,
 * `bᵢ = Σ_f wᵢf β_f` with each item's feature weights normalised to sum to 1, score
 * `x̂ᵤᵢ = pᵤ·qᵢ + bᵢ`. Negatives are drawn from the interaction distribution (as `implicit` does),
 * so items nobody has used are never pushed down, and they are scored from their features.
 *
 * Args (canonical name, then its aliases):
 * - `itemFeatures` (`item_features`): item id → feature names (weight 1 each) or name → weight. Not saved.
 * - `identity`: give every item its own id feature too. Default true.
 * - `factors`: latent dimension. Default 32.
 * - `epochs`: passes, one sampled triple per interaction. Default 30.
 * - `learningRate` (`learning_rate`): SGD step size. Default 0.05.
 * - `regularization`: L2 weight. Default 0.001.
 * - `seed` (`random_state`): default 0.
 * - `scoring`: all-items scoring engine, see {@link ScoringEngine}. Default `'auto'`.
 *
 * @example
 * ```ts
 * const features = new Map([['alien', ['Horror', 'Sci-Fi']], ['heat', ['Crime']]]);
 * const model = await new FeatureFactorization({ itemFeatures: features, factors: 16 }).fit(data);
 * model.recommend('ann', 10);
 * ```
 */
export class FeatureFactorization extends FactorRecommender {
  static override className = 'FeatureFactorization';
  /** The accepted aliases of FeatureFactorization's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof FEATURE_FACTORIZATION_ALIASES> = FEATURE_FACTORIZATION_ALIASES;
  /** The resolved `identity` option (see {@link FeatureFactorizationConfig.identity}). */
  readonly identity: boolean;
  /** The resolved `epochs` option (see {@link FeatureFactorizationConfig.epochs}). */
  readonly epochs: number;
  /** The resolved `learningRate` option (see {@link FeatureFactorizationConfig.learningRate}). */
  readonly learningRate: number;
  /** The resolved `regularization` option (see {@link FeatureFactorizationConfig.regularization}). */
  readonly regularization: number;
  /** The resolved `seed` option (see {@link FeatureFactorizationConfig.seed}). */
  readonly seed: number;
  private readonly features: Map<Id, readonly string[] | Readonly<Record<string, number>>> | undefined;

  constructor(given: WithAliases<FeatureFactorizationConfig, typeof FeatureFactorization.aliases> = {}) {
    const config = resolveOptions<FeatureFactorizationConfig>(
      'FeatureFactorization',
      given,
      FEATURE_FACTORIZATION_SCHEMA,
    );
    super(config.factors ?? 32, config.scoring);
    this.identity = config.identity ?? true;
    this.epochs = checkPositive('epochs', config.epochs ?? 30, true);
    this.learningRate = checkPositive('learningRate', config.learningRate ?? 0.05);
    this.regularization = checkNonNegative('regularization', config.regularization ?? 0.001);
    this.seed = config.seed ?? 0;
    this.features = config.itemFeatures === undefined ? undefined : new Map(config.itemFeatures);
  }

  /** Every option by its canonical name (what the constructor and `Recommender.load` take back). */
  getConfig(): ConfigDict {
    return {
      ...this.baseConfig(),
      identity: this.identity,
      epochs: this.epochs,
      learningRate: this.learningRate,
      regularization: this.regularization,
      seed: this.seed,
    };
  }

  /** Items nobody has used yet are scored too (from their features or text). */
  protected override get scoresItemsWithoutInteractions(): boolean {
    return true;
  }

  protected fitModel(data: Interactions): void {
    checkImplicitValues(data, 'FeatureFactorization');
    if (this.features === undefined && !this.identity) {
      throw new ValueError('FeatureFactorization needs itemFeatures, or identity: true.', {
        field: 'itemFeatures',
        value: undefined,
      });
    }
    // Item × feature CSR, rows summing to 1.
    const names = new Map<string, number>();
    const rows: [number, number][][] = [];
    for (let i = 0; i < data.numItems; i++) {
      const raw = this.features?.get(data.itemIds.id(i));
      const entries: [number, number][] = [];
      const pairs: [string, number][] =
        raw === undefined ? [] : Array.isArray(raw) ? raw.map((n) => [n, 1]) : Object.entries(raw);
      for (const [name, w] of pairs) {
        if (!(typeof w === 'number' && Number.isFinite(w) && w >= 0)) {
          throw new ValueError(
            `Feature ${describeValue(name)} of item ${describeValue(data.itemIds.id(i))} has weight ${describeValue(w)}; ` +
              'feature weights must be finite and non-negative.',
            { field: 'itemFeatures', value: w },
          );
        }
        let f = names.get(name);
        if (f === undefined) names.set(name, (f = names.size));
        entries.push([f, w]);
      }
      rows.push(entries);
    }
    const nNamed = names.size;
    rows.forEach((entries, i) => {
      if (this.identity) entries.push([nNamed + i, 1]);
      const total = entries.reduce((s, [, w]) => s + w, 0);
      for (const e of entries) e[1] = total === 0 ? 0 : e[1] / total;
    });
    const nFeatures = nNamed + (this.identity ? data.numItems : 0);
    const f = this.factors;
    const rng = createRng(this.seed);
    const init = (n: number): Float32Array => Float32Array.from({ length: n * f }, () => (rng.uniform() - 0.5) / f);
    const p = init(data.numUsers);
    const e = init(nFeatures);
    const beta = new Float32Array(nFeatures);
    const csr = data.byUser();
    const qi = new Float64Array(f);
    const qj = new Float64Array(f);
    const lr = this.learningRate;
    const reg = this.regularization;
    const itemVector = (i: number, q: Float64Array): number => {
      q.fill(0);
      let b = 0;
      for (const [ft, w] of rows[i]!) {
        for (let k = 0; k < f; k++) q[k]! += w * e[ft * f + k]!;
        b += w * beta[ft]!;
      }
      return b;
    };
    this.emit({ type: 'begin', label: 'FeatureFactorization', epochs: this.epochs });
    for (let epoch = 0; epoch < this.epochs; epoch++) {
      let correct = 0;
      for (let s = 0; s < data.size; s++) {
        const r = rng.int(data.size);
        const u = data.users[r]!;
        const i = data.items[r]!;
        const j = data.items[rng.int(data.size)]!;
        if (i === j || has(csr.indices, csr.indptr[u]!, csr.indptr[u + 1]!, j)) continue;
        const bi = itemVector(i, qi);
        const bj = itemVector(j, qj);
        let x = bi - bj;
        for (let k = 0; k < f; k++) x += p[u * f + k]! * (qi[k]! - qj[k]!);
        if (x > 0) correct++;
        const g = 1 / (1 + Math.exp(x));
        for (const [item, sign] of [
          [i, 1],
          [j, -1],
        ] as const) {
          for (const [ft, w] of rows[item]!) {
            const c = sign * g * w;
            for (let k = 0; k < f; k++)
              e[ft * f + k] = e[ft * f + k]! + lr * (c * p[u * f + k]! - reg * e[ft * f + k]!);
            beta[ft] = beta[ft]! + lr * (c - reg * beta[ft]!);
          }
        }
        for (let k = 0; k < f; k++) p[u * f + k] = p[u * f + k]! + lr * (g * (qi[k]! - qj[k]!) - reg * p[u * f + k]!);
      }
      this.emit({ type: 'epoch', epoch, epochs: this.epochs, metrics: { correctRanking: correct / data.size } });
    }
    // Materialise the item vectors and biases: scoring is then a plain factor model.
    const items = new Float32Array(data.numItems * f);
    const bias = new Float32Array(data.numItems);
    for (let i = 0; i < data.numItems; i++) {
      bias[i] = itemVector(i, qi);
      for (let k = 0; k < f; k++) items[i * f + k] = qi[k]!;
    }
    this.userFactors = p;
    this.itemFactors = items;
    this.itemBias = bias;
    this.popularity = undefined;
    this.emit({ type: 'end' });
  }
}

function has(sorted: Int32Array, lo: number, hi: number, value: number): boolean {
  hi--;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
