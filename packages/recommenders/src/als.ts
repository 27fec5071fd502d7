/**
 * Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren & Volinsky 2008):
 * every observed weight `r` becomes a preference of 1 with confidence `c = 1 + alpha·r`, every
 * unobserved pair a preference of 0 with confidence 1. Each half-step solves, per user (then per
 * item), `(YᵀY + Yᵀ(Cᵤ − I)Y + λI) xᵤ = YᵀCᵤ pᵤ` with a few conjugate-gradient steps warm-started
 * from the previous factors, as the `implicit` library does (Takács et al. 2011), or exactly by
 * Cholesky (`solver: 'cholesky'`).
 *
 * @example
 * ```ts
 * const data = Interactions.fromArrays({ users, items, values: playCounts }, { duplicates: 'sum' });
 * const als = await new ALS({ factors: 32, iterations: 15, alpha: 2 }).fit(data);
 * als.recommend('ann', 10);
 * als.similarItems('song-1', 5);
 * ```
 */
import { createRng, ValueError, describeValue, type ConfigDict } from '@plasticity/core';
import type { Csr, Interactions } from './interactions.js';
import {
  FactorRecommender,
  checkImplicitValues,
  checkNonNegative,
  checkPositive,
  type ScoringEngine,
} from './internal/factor-model.js';
import { gram } from './internal/dense.js';
import { resolveOptions, type OptionAliases, type OptionSchema, type WithAliases } from './internal/options.js';

/**
 * ALS's hyperparameters by their canonical names (what `getConfig()` returns); the `implicit`
 * library's names, which are the same except `cg_steps` and `random_state`, are aliases.
 */
export interface ALSConfig {
  /** Latent dimensions. Default 64. */
  factors?: number;
  /** λ, the L2 penalty on every factor. Default 0.01. */
  regularization?: number;
  /** Confidence slope: `c = 1 + alpha·r`. Default 1. */
  alpha?: number;
  /** Alternations (users, then items). Default 15. */
  iterations?: number;
  /** `'cg'` (default): `cgSteps` conjugate-gradient steps per solve; `'cholesky'`: exact solves. */
  solver?: 'cg' | 'cholesky';
  /** Conjugate-gradient steps per user/item and half-step. Default 3. */
  cgSteps?: number;
  /** Seed of the initial factors. Default 0. */
  seed?: number;
  /** All-items scoring engine, see {@link ScoringEngine}. Default `'auto'`. */
  scoring?: ScoringEngine;
}

const ALS_ALIASES = { cg_steps: 'cgSteps', random_state: 'seed' } as const;
const ALS_SCHEMA: OptionSchema = {
  names: ['factors', 'regularization', 'alpha', 'iterations', 'solver', 'cgSteps', 'seed', 'scoring'],
  aliases: ALS_ALIASES,
};

/**
 * ALS: implicit-feedback matrix factorisation by alternating least squares (Hu, Koren & Volinsky
 * 2008; the `implicit` library's `AlternatingLeastSquares`). Score `x̂ᵤᵢ = xᵤ·yᵢ`; each observed
 * weight `r` is a preference of 1 with confidence `1 + alpha·r`, each unobserved pair a preference
 * of 0 with confidence 1, and both factor sets minimise the weighted squared error plus `λ‖·‖²`.
 *
 * Args (canonical name, then its aliases):
 * - `factors`: latent dimension. Default 64.
 * - `regularization`: λ, the L2 penalty on every factor. Default 0.01.
 * - `alpha`: confidence slope. Default 1.
 * - `iterations`: alternations (users, then items). Default 15.
 * - `solver`: `'cg'` (default, `cgSteps` conjugate-gradient steps per solve) or `'cholesky'` (exact).
 * - `cgSteps` (`cg_steps`): default 3.
 * - `seed` (`random_state`): the initial factors. Default 0.
 * - `scoring`: all-items scoring engine, see {@link ScoringEngine}. Default `'auto'`.
 *
 * @example
 * ```ts
 * const als = await new ALS({ factors: 32, iterations: 15, alpha: 2 }).fit(data);
 * als.recommend('ann', 10);
 * ```
 */
export class ALS extends FactorRecommender {
  static override className = 'ALS';
  /** The accepted aliases of ALS's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof ALS_ALIASES> = ALS_ALIASES;
  /** The resolved `regularization` option (see {@link ALSConfig.regularization}). */
  readonly regularization: number;
  /** The resolved `alpha` option (see {@link ALSConfig.alpha}). */
  readonly alpha: number;
  /** The resolved `iterations` option (see {@link ALSConfig.iterations}). */
  readonly iterations: number;
  /** The resolved `solver` option (see {@link ALSConfig.solver}). */
  readonly solver: 'cg' | 'cholesky';
  /** The resolved `cgSteps` option (see {@link ALSConfig.cgSteps}). */
  readonly cgSteps: number;
  /** The resolved `seed` option (see {@link ALSConfig.seed}). */
  readonly seed: number;

  constructor(given: WithAliases<ALSConfig, typeof ALS.aliases> = {}) {
    const config = resolveOptions<ALSConfig>('ALS', given, ALS_SCHEMA);
    super(config.factors ?? 64, config.scoring);
    this.regularization = checkNonNegative('regularization', config.regularization ?? 0.01);
    this.alpha = checkNonNegative('alpha', config.alpha ?? 1);
    this.iterations = checkPositive('iterations', config.iterations ?? 15, true);
    this.cgSteps = checkPositive('cgSteps', config.cgSteps ?? 3, true);
    this.seed = config.seed ?? 0;
    const solver = config.solver ?? 'cg';
    if (solver !== 'cg' && solver !== 'cholesky') {
      throw new ValueError(`solver must be 'cg' or 'cholesky', got ${describeValue(solver)}.`, {
        field: 'solver',
        value: solver,
      });
    }
    this.solver = solver;
  }

  /** Every option by its canonical name (what the constructor and `Recommender.load` take back). */
  getConfig(): ConfigDict {
    return {
      ...this.baseConfig(),
      regularization: this.regularization,
      alpha: this.alpha,
      iterations: this.iterations,
      solver: this.solver,
      cgSteps: this.cgSteps,
      seed: this.seed,
    };
  }

  protected fitModel(data: Interactions): void {
    checkImplicitValues(data, 'ALS');
    const f = this.factors;
    const rng = createRng(this.seed);
    const init = (n: number): Float32Array => Float32Array.from({ length: n * f }, () => rng.uniform() * 0.01);
    this.userFactors = init(data.numUsers);
    this.itemFactors = init(data.numItems);
    this.itemBias = undefined;
    this.popularity = undefined;
    const byUser = data.byUser();
    const byItem = data.byItem();
    this.emit({ type: 'begin', label: 'ALS', epochs: this.iterations });
    for (let it = 0; it < this.iterations; it++) {
      alsHalfStep(byUser, this.userFactors, this.itemFactors, this.options());
      alsHalfStep(byItem, this.itemFactors, this.userFactors, this.options());
      this.emit({ type: 'epoch', epoch: it, epochs: this.iterations, metrics: {} });
    }
    this.emit({ type: 'end' });
  }

  private options(): AlsSolveOptions {
    return {
      factors: this.factors,
      regularization: this.regularization,
      alpha: this.alpha,
      solver: this.solver,
      cgSteps: this.cgSteps,
    };
  }
}

export interface AlsSolveOptions {
  factors: number;
  regularization: number;
  alpha: number;
  solver: 'cg' | 'cholesky';
  cgSteps: number;
}

/**
 * One ALS half-step: re-solves every row `u` of `x` (`[rows, f]`) given the fixed `y`
 * (`[cols, f]`) and the weights in `csr` (rows × cols).
 */
export function alsHalfStep(csr: Csr, x: Float32Array, y: Float32Array, o: AlsSolveOptions): void {
  const f = o.factors;
  const yty = gram(y, csr.numCols, f);
  for (let k = 0; k < f; k++) yty[k * f + k]! += o.regularization;
  const xu = new Float64Array(f);
  const r = new Float64Array(f);
  const p = new Float64Array(f);
  const ap = new Float64Array(f);
  const a = o.solver === 'cholesky' ? new Float64Array(f * f) : undefined;
  for (let u = 0; u < csr.numRows; u++) {
    const start = csr.indptr[u]!;
    const end = csr.indptr[u + 1]!;
    const xo = u * f;
    if (a !== undefined) {
      // A = YᵀY + λI + Σ (c−1) yᵢyᵢᵀ, b = Σ c yᵢ.
      a.set(yty);
      r.fill(0);
      for (let e = start; e < end; e++) {
        const c = 1 + o.alpha * csr.values[e]!;
        const yo = csr.indices[e]! * f;
        for (let s = 0; s < f; s++) {
          const ys = y[yo + s]!;
          r[s]! += c * ys;
          const w = (c - 1) * ys;
          for (let t = 0; t < f; t++) a[s * f + t]! += w * y[yo + t]!;
        }
      }
      choleskySolve(a, r, f);
      for (let s = 0; s < f; s++) x[xo + s] = r[s]!;
      continue;
    }
    for (let s = 0; s < f; s++) xu[s] = x[xo + s]!;
    // r = b − A x = Σ (c − (c−1) yᵢ·x) yᵢ − (YᵀY + λI) x
    mulSym(yty, xu, r, f);
    for (let s = 0; s < f; s++) r[s] = -r[s]!;
    for (let e = start; e < end; e++) {
      const c = 1 + o.alpha * csr.values[e]!;
      const yo = csr.indices[e]! * f;
      let yx = 0;
      for (let s = 0; s < f; s++) yx += y[yo + s]! * xu[s]!;
      const w = c - (c - 1) * yx;
      for (let s = 0; s < f; s++) r[s]! += w * y[yo + s]!;
    }
    p.set(r);
    let rsold = 0;
    for (let s = 0; s < f; s++) rsold += r[s]! * r[s]!;
    if (rsold < 1e-20) continue;
    for (let step = 0; step < o.cgSteps; step++) {
      mulSym(yty, p, ap, f);
      for (let e = start; e < end; e++) {
        const c = 1 + o.alpha * csr.values[e]!;
        const yo = csr.indices[e]! * f;
        let yp = 0;
        for (let s = 0; s < f; s++) yp += y[yo + s]! * p[s]!;
        const w = (c - 1) * yp;
        for (let s = 0; s < f; s++) ap[s]! += w * y[yo + s]!;
      }
      let pap = 0;
      for (let s = 0; s < f; s++) pap += p[s]! * ap[s]!;
      const alpha = rsold / pap;
      let rsnew = 0;
      for (let s = 0; s < f; s++) {
        xu[s]! += alpha * p[s]!;
        r[s]! -= alpha * ap[s]!;
        rsnew += r[s]! * r[s]!;
      }
      if (rsnew < 1e-20) break;
      const beta = rsnew / rsold;
      for (let s = 0; s < f; s++) p[s] = r[s]! + beta * p[s]!;
      rsold = rsnew;
    }
    for (let s = 0; s < f; s++) x[xo + s] = xu[s]!;
  }
}

function mulSym(m: Float64Array, v: Float64Array, out: Float64Array, f: number): void {
  for (let s = 0; s < f; s++) {
    let acc = 0;
    const o = s * f;
    for (let t = 0; t < f; t++) acc += m[o + t]! * v[t]!;
    out[s] = acc;
  }
}

/** Solves `A x = b` for SPD `A` (`[f, f]`, overwritten by its Cholesky factor); `b` becomes `x`. */
function choleskySolve(a: Float64Array, b: Float64Array, f: number): void {
  for (let j = 0; j < f; j++) {
    let d = a[j * f + j]!;
    for (let k = 0; k < j; k++) d -= a[j * f + k]! * a[j * f + k]!;
    if (!(d > 0)) {
      throw new ValueError(`ALS: the normal equations are not positive definite; use regularization > 0.`, {
        field: 'regularization',
        value: d,
      });
    }
    const l = Math.sqrt(d);
    a[j * f + j] = l;
    for (let i = j + 1; i < f; i++) {
      let s = a[i * f + j]!;
      for (let k = 0; k < j; k++) s -= a[i * f + k]! * a[j * f + k]!;
      a[i * f + j] = s / l;
    }
  }
  for (let i = 0; i < f; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= a[i * f + k]! * b[k]!;
    b[i] = s / a[i * f + i]!;
  }
  for (let i = f - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < f; k++) s -= a[k * f + i]! * b[k]!;
    b[i] = s / a[i * f + i]!;
  }
}
