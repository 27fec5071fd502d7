/**
 * Contracts of the fused kernels Plasticity packages call when the active backend implements
 * them, and replace by ordinary ops when it does not. A backend plugin implements one by
 * registering a tfjs kernel of that name (the wasm plugin in SIMD WebAssembly; the optimizers
 * package registers a host kernel for the CPU backend); a user's backend can do the same.
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
