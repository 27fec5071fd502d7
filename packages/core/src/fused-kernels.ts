/**
 * Contracts of the kernels Plasticity packages call when a backend implements them, and replace
 * by portable code when none does. Core holds only the names and signatures; the backends own
 * the implementations (`src/kernels/<KernelName>.ts` in `@plasticity/backend-cpu` and
 * `@plasticity/backend-wasm`), and a user's backend can implement any of them too.
 *
 * - Tensor kernels ({@link ADAM_UPDATE_KERNEL}, {@link MAX_POOL_ARGMAX_KERNEL},
 *   {@link MAX_POOL_ARGMAX_GRAD_KERNEL}): a backend implements one by registering a tfjs kernel
 *   of that name for its backend (a SIMD WebAssembly kernel on wasm, a host kernel on the CPU);
 *   callers check `tf.getKernel(name, tf.getBackend())` and otherwise run ordinary ops.
 * - Array kernels ({@link MATRIX_FACTORIZATION_KERNELS}): routines over typed arrays in a memory
 *   of their own, provided through `BackendPlugin.arrayKernels` and found with `getArrayKernels`;
 *   callers otherwise run their JavaScript path.
 */

/**
 * One Adam/AdamW step of one float32 variable. Inputs `variable`, `grad`, `m`, `v` (same shape);
 * outputs `[variable', m', v']`; attributes {@link AdamUpdateAttrs}. In the order of the ops it
 * replaces (each rounded to float32):
 *
 *     g' = grad + l2·variable
 *     m' = beta1·m + (1 - beta1)·g'
 *     v' = beta2·v + (1 - beta2)·g'²
 *     variable' = keep·variable - (m' / (sqrt(v') / bias2Sqrt + epsilon)) · stepSize
 */
export const ADAM_UPDATE_KERNEL = 'PlasticityAdamUpdate';

/** Attributes of {@link ADAM_UPDATE_KERNEL}: one Adam/AdamW step, all scalars. */
export interface AdamUpdateAttrs {
  /** Decay of the first moment. */
  beta1: number;
  /** Decay of the second moment. */
  beta2: number;
  /** Added to the denominator. */
  epsilon: number;
  /** `sqrt(1 - beta2^t)` for step `t`. */
  bias2Sqrt: number;
  /** `learningRate / (1 - beta1^t)`. */
  stepSize: number;
  /** Coupled (L2) weight decay, added to the gradient; 0 for none. */
  l2: number;
  /** Decoupled (AdamW) decay factor of the weights, `1 - learningRate·weightDecay`; 1 for none. */
  keep: number;
}

/**
 * Max pooling over NHWC float32 `x` that also returns, for every output, the flat index into `x`
 * (batch included) of its window's first maximum in row-major window order (the cell
 * TensorFlow's gradient picks). Outputs `[y float32, argmax int32]`, both of the pooled shape;
 * attributes {@link MaxPoolArgmaxAttrs}. With {@link MAX_POOL_ARGMAX_GRAD_KERNEL} the backward
 * pass is a scatter instead of a second search of every window.
 */
export const MAX_POOL_ARGMAX_KERNEL = 'PlasticityMaxPoolArgmax';

/** Attributes of {@link MAX_POOL_ARGMAX_KERNEL}. */
export interface MaxPoolArgmaxAttrs {
  /** Window `[height, width]`. */
  filterSize: [number, number];
  /** Step between windows `[height, width]`. */
  strides: [number, number];
  /** `'valid'` or `'same'` padding (TensorFlow's rule). */
  pad: 'valid' | 'same';
}

/**
 * The gradient of {@link MAX_POOL_ARGMAX_KERNEL}: inputs `dy` (float32, pooled shape) and
 * `argmax`; attribute `inputShape`; output `dx` of `inputShape`, zero except
 * `dx[argmax[i]] += dy[i]`.
 */
export const MAX_POOL_ARGMAX_GRAD_KERNEL = 'PlasticityMaxPoolArgmaxGrad';

/**
 * The array-kernel contract (see `getArrayKernels`) of SGD matrix factorisation, used by
 * `@plasticity/recommenders`' SVD and NMF: the exports {@link MatrixFactorizationExports}. The wasm
 * plugin provides it in SIMD WebAssembly; without it those algorithms run their float64
 * JavaScript path.
 */
export const MATRIX_FACTORIZATION_KERNELS = 'PlasticityMatrixFactorization';

/**
 * The functions of {@link MATRIX_FACTORIZATION_KERNELS}. Every pointer is a byte offset into the
 * instance's memory. Factor rows are float32, padded with zeros to `stride` bytes (a multiple of
 * 16); zero padding stays zero under every update. Biases are float64.
 */
export interface MatrixFactorizationExports {
  /**
   * One SGD epoch of SVD over `n` ratings in visiting order, given as parallel arrays of user index
   * (int32 at `users`), item index (int32 at `items`) and rating (float32 at `ratings`). Per
   * rating: `err = r - (mu + bu + bi + q·p)`; the biases (float64 at `bu`, `bi`) step when `biased`
   * is 1 (`b += lr·(err - reg·b)`); then `p ← keepP·p + lrPu·err·q` and `q ← keepQ·q + lrQi·err·p`
   * (the old `p`), with `p` the user's row at `pu` and `q` the item's row at `qi`. Returns the sum
   * of squared errors.
   */
  svdEpoch(
    n: number,
    users: number,
    items: number,
    ratings: number,
    pu: number,
    qi: number,
    bu: number,
    bi: number,
    stride: number,
    mu: number,
    biased: number,
    lrBu: number,
    lrBi: number,
    regBu: number,
    regBi: number,
    lrPu: number,
    lrQi: number,
    keepP: number,
    keepQ: number,
  ): number;
  /**
   * One side of an NMF epoch: for each of `rows` CSR rows `a` (int32 `indptr` of `rows + 1`
   * entries, int32 `indices`, float32 `values`), with `est = own_a·other_b` for each entry `(b, r)`,
   * sets `num_a = Σ r·other_b` and `den_a = Σ est·other_b` (float32 rows at `num`, `den`). Returns
   * `Σ (r - est)²`.
   */
  nmfSide(
    rows: number,
    indptr: number,
    indices: number,
    values: number,
    own: number,
    other: number,
    num: number,
    den: number,
    stride: number,
  ): number;
  /**
   * NMF's multiplicative update of one side: for each row `a` with `n_a` CSR entries and each
   * factor `x ≠ 0`, `x ← x·num / (den + n_a·reg·x)`; factors equal to 0 stay 0.
   */
  nmfUpdate(rows: number, indptr: number, x: number, num: number, den: number, stride: number, reg: number): void;
  /**
   * Writes `rows` rows of `width` float32 draws of `N(mean, std²)`, rows `stride` bytes apart, to
   * `out`: the numbers `Rng.normal` of `@plasticity/core` draws, in order (PCG32, the polar
   * method, fdlibm's log). The generator's 64-bit state and increment are read from and written
   * back to `state` (little-endian, state first); `spare` is its pending second normal (NaN for
   * none), and the new one is returned.
   */
  normalFill(
    state: number,
    out: number,
    rows: number,
    width: number,
    stride: number,
    mean: number,
    std: number,
    spare: number,
  ): number;
}
