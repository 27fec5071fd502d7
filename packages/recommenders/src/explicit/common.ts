/**
 * Shared pieces of the explicit-rating algorithms: config checks, per-row means, and the
 * Surprise baseline estimates (ALS or SGD) used by BaselineOnly, KNNBaseline and pearson_baseline.
 */
import { ArtifactError, ValueError, describeValue, type ConfigValue, type Rng } from '@plasticity/core';
import type { RecommenderState } from '../recommender.js';
import type { Csr, Interactions } from '../interactions.js';
import { optionLabel, type OptionSchema, type WithAliases } from '../internal/options.js';

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInt(owner: string, field: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new ValueError(`${owner}: ${field} must be an integer ≥ ${min}, got ${describeValue(value)}.`, {
      field,
      value,
    });
  }
  return value;
}

/** Throws unless `value` is a finite number ≥ `min` (or > `min` when `strict`). */
export function checkNumber(owner: string, field: string, value: number, min = 0, strict = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (strict && value === min)) {
    throw new ValueError(
      `${owner}: ${field} must be a finite number ${strict ? '>' : '≥'} ${min}, got ${describeValue(value)}.`,
      { field, value },
    );
  }
  return value;
}

/** The mean of each row's values (0 for an empty row). */
export function rowMeans(csr: Csr): Float64Array {
  const out = new Float64Array(csr.numRows);
  for (let r = 0; r < csr.numRows; r++) {
    const start = csr.indptr[r]!;
    const end = csr.indptr[r + 1]!;
    let sum = 0;
    for (let k = start; k < end; k++) sum += csr.values[k]!;
    out[r] = end > start ? sum / (end - start) : 0;
  }
  return out;
}

/**
 * How user and item biases are estimated (Surprise's `bsl_options`), by canonical names; the
 * aliases (`n_epochs`, `reg_u`, `reg_i`, `reg`, `learning_rate` and the
 * camelCase `nEpochs`, `regU`, `regI` of earlier releases) are accepted too.
 */
export interface BaselineOptions {
  /** `'als'` (default: alternating least squares) or `'sgd'` (Surprise: `method`). */
  method?: 'als' | 'sgd';
  /** Passes over the ratings (Surprise: `n_epochs`). Default 10 (ALS) or 20 (SGD). */
  epochs?: number;
  /** ALS: the item-bias regularisation, added to each item's rating count (Surprise: `reg_i`). Default 10. */
  regularizationItem?: number;
  /** ALS: the user-bias regularisation (Surprise: `reg_u`). Default 15. */
  regularizationUser?: number;
  /** SGD: L2 regularisation of both biases (Surprise: `reg`). Default 0.02. */
  regularization?: number;
  /** SGD: step size (Surprise: `learning_rate`). Default 0.005. */
  learningRate?: number;
}

/** The aliases of the baseline options: alias → canonical name. */
export const BASELINE_ALIASES = {
  n_epochs: 'epochs',
  nEpochs: 'epochs',
  reg_i: 'regularizationItem',
  regI: 'regularizationItem',
  reg_u: 'regularizationUser',
  regU: 'regularizationUser',
  reg: 'regularization',
  learning_rate: 'learningRate',
} as const;

/** The baseline options with their aliases (Surprise's `bsl_options` as written in Surprise). */
export type BaselineOptionsInput = WithAliases<BaselineOptions, typeof BASELINE_ALIASES>;

export const BASELINE_SCHEMA: OptionSchema = {
  names: ['method', 'epochs', 'regularizationItem', 'regularizationUser', 'regularization', 'learningRate'],
  aliases: BASELINE_ALIASES,
};

export type ResolvedBaselineOptions = Required<BaselineOptions>;

/**
 * Checks the (already canonical) baseline options `options` of `owner`; `given` and `schema` are
 * the owner's raw config and schema, so messages name what the user typed.
 */
export function resolveBaselineOptions(
  owner: string,
  options: BaselineOptions = {},
  given: unknown = {},
  schema: OptionSchema = { names: ['baseline'], nested: { baseline: BASELINE_SCHEMA } },
): ResolvedBaselineOptions {
  const label = (name: string): string => optionLabel(given, schema, `baseline.${name}`);
  const method = options.method ?? 'als';
  if (method !== 'als' && method !== 'sgd') {
    throw new ValueError(`${owner}: ${label('method')} must be 'als' or 'sgd', got ${describeValue(method)}.`, {
      field: 'baseline.method',
      value: method,
    });
  }
  return {
    method,
    epochs: checkInt(owner, label('epochs'), options.epochs ?? (method === 'als' ? 10 : 20), 0),
    regularizationItem: checkNumber(owner, label('regularizationItem'), options.regularizationItem ?? 10),
    regularizationUser: checkNumber(owner, label('regularizationUser'), options.regularizationUser ?? 15),
    regularization: checkNumber(owner, label('regularization'), options.regularization ?? 0.02),
    learningRate: checkNumber(owner, label('learningRate'), options.learningRate ?? 0.005),
  };
}

export function baselineConfig(options: ResolvedBaselineOptions): { [key: string]: ConfigValue } {
  return { ...options };
}

/**
 * User and item biases `bu`, `bi` such that `mu + bu[u] + bi[i]` approximates the ratings, exactly
 * as Surprise's `compute_baselines`: ALS alternates closed-form item then user updates
 * (`bi = Σ(r - mu - bu) / (regularizationItem + |R(i)|)`, then `bu` likewise with `regularizationUser`); SGD visits the ratings
 * user by user with `b += lr (err - reg b)`.
 */
export function computeBaselines(
  data: Interactions,
  options: ResolvedBaselineOptions,
): { bu: Float64Array; bi: Float64Array; mu: number } {
  const mu = data.globalMean;
  const byUser = data.byUser();
  const byItem = data.byItem();
  const bu = new Float64Array(data.numUsers);
  const bi = new Float64Array(data.numItems);
  if (options.method === 'als') {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      for (let i = 0; i < byItem.numRows; i++) {
        const start = byItem.indptr[i]!;
        const end = byItem.indptr[i + 1]!;
        let dev = 0;
        for (let k = start; k < end; k++) dev += byItem.values[k]! - mu - bu[byItem.indices[k]!]!;
        bi[i] = dev / (options.regularizationItem + end - start);
      }
      for (let u = 0; u < byUser.numRows; u++) {
        const start = byUser.indptr[u]!;
        const end = byUser.indptr[u + 1]!;
        let dev = 0;
        for (let k = start; k < end; k++) dev += byUser.values[k]! - mu - bi[byUser.indices[k]!]!;
        bu[u] = dev / (options.regularizationUser + end - start);
      }
    }
  } else {
    const { regularization: reg, learningRate: lr } = options;
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      for (let u = 0; u < byUser.numRows; u++) {
        const end = byUser.indptr[u + 1]!;
        for (let k = byUser.indptr[u]!; k < end; k++) {
          const i = byUser.indices[k]!;
          const err = byUser.values[k]! - (mu + bu[u]! + bi[i]!);
          bu[u]! += lr * (err - reg * bu[u]!);
          bi[i]! += lr * (err - reg * bi[i]!);
        }
      }
    }
  }
  return { bu, bi, mu };
}

/**
 * A new user's bias with the item biases fixed: the regularised least-squares solution of the
 * baseline objective for one user (`Σ (r - mu - bi) / (lambda + n)`).
 */
export function foldInUserBias(
  items: Int32Array,
  ratings: Float64Array,
  mu: number,
  bi: ArrayLike<number>,
  lambda: number,
): number {
  let dev = 0;
  for (let k = 0; k < items.length; k++) dev += ratings[k]! - mu - bi[items[k]!]!;
  return dev / (lambda + items.length);
}

export function toFloat32(a: Float64Array): Float32Array {
  return Float32Array.from(a);
}

/**
 * Solves `A x = b` for a symmetric positive-definite `A` (`n × n`, row-major, overwritten) by
 * Cholesky; `b` is overwritten with `x`.
 */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= a[j * n + k]! * a[j * n + k]!;
    const l = Math.sqrt(Math.max(d, 1e-300));
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = s / l;
    }
  }
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= a[i * n + k]! * b[k]!;
    b[i] = s / a[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= a[k * n + i]! * b[k]!;
    b[i] = s / a[i * n + i]!;
  }
  return b;
}

/**
 * Ridge regression for one new user of a factor model: finds `[bu, pu]` (or `pu` alone when
 * `biased` is false) minimising `Σ (y - bu - q_i·pu)² + lambdaB bu² + lambdaP |pu|²` over the
 * user's items, with the item factors `q` (`[numItems, f]`) fixed.
 */
export function ridgeFoldIn(
  items: Int32Array,
  targets: Float64Array,
  q: Float32Array,
  f: number,
  biased: boolean,
  lambdaB: number,
  lambdaP: number,
): { bu: number; pu: Float64Array } {
  const off = biased ? 1 : 0;
  const n = f + off;
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  const x = new Float64Array(n);
  for (let k = 0; k < items.length; k++) {
    const base = items[k]! * f;
    if (biased) x[0] = 1;
    for (let c = 0; c < f; c++) x[c + off] = q[base + c]!;
    const y = targets[k]!;
    for (let r = 0; r < n; r++) {
      b[r]! += x[r]! * y;
      for (let c = 0; c <= r; c++) a[r * n + c]! += x[r]! * x[c]!;
    }
  }
  for (let r = 0; r < n; r++) {
    for (let c = r + 1; c < n; c++) a[r * n + c] = a[c * n + r]!;
    a[r * n + r]! += r < off ? lambdaB : lambdaP;
  }
  // Keep the system definite even with no ratings and zero regularisation.
  for (let r = 0; r < n; r++) a[r * n + r]! += 1e-12;
  solveSpd(a, b, n);
  return { bu: biased ? b[0]! : 0, pu: b.subarray(off) };
}

/** Cosine similarity of row `i` of `[rows, f]` factors to every row, written into `out`. */
export function factorCosine(factors: Float32Array, f: number, i: number, out: Float32Array): void {
  const rows = out.length;
  let ni = 0;
  for (let c = 0; c < f; c++) ni += factors[i * f + c]! * factors[i * f + c]!;
  for (let j = 0; j < rows; j++) {
    let dot = 0;
    let nj = 0;
    const base = j * f;
    for (let c = 0; c < f; c++) {
      const v = factors[base + c]!;
      dot += factors[i * f + c]! * v;
      nj += v * v;
    }
    const denom = Math.sqrt(ni * nj);
    out[j] = denom > 0 ? dot / denom : 0;
  }
}

/** A saved state array, checked: a missing or mistyped one is an {@link ArtifactError}. */
export function stateF32(state: RecommenderState, name: string): Float32Array {
  const a = state.arrays[name];
  if (!(a instanceof Float32Array))
    throw new ArtifactError('artifacts', `state array "${name}" is missing or not float32.`);
  return a;
}

export function stateI32(state: RecommenderState, name: string): Int32Array {
  const a = state.arrays[name];
  if (!(a instanceof Int32Array))
    throw new ArtifactError('artifacts', `state array "${name}" is missing or not int32.`);
  return a;
}

export interface VisitOrder {
  users: Int32Array;
  positions: Int32Array;
}

/**
 * The order SGD visits the ratings in: users in a random order, each user's ratings (CSR
 * positions, kept within the user's row range) in a random order — the order Surprise visits a
 * trainset built from shuffled ratings (as its KFold makes). With `shuffle` false: users by index,
 * ratings by item index.
 */
export function visitOrder(csr: Csr, rng: Rng | undefined): VisitOrder {
  const users = new Int32Array(csr.numRows);
  const positions = new Int32Array(csr.indices.length);
  for (let k = 0; k < positions.length; k++) positions[k] = k;
  if (rng === undefined) {
    for (let u = 0; u < users.length; u++) users[u] = u;
    return { users, positions };
  }
  users.set(rng.permutation(csr.numRows));
  for (let u = 0; u < csr.numRows; u++) rng.shuffle(positions.subarray(csr.indptr[u]!, csr.indptr[u + 1]!));
  return { users, positions };
}
