/**
 * Small dense linear algebra on typed arrays (row-major) and on tensors, for the closed-form and
 * factor models. The typed-array versions are exact-ish float64; the tensor versions put the
 * O(n³) work into matMul, which a fast backend (wasm SIMD, WebGPU) runs far faster than JS loops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@plasticity/core';

/**
 * `out[b, i] = Σ_f a[users[b], f] · bT[i, f]`: the scores of every row of `bT` for the picked rows
 * of `a` (both `[*, f]` row-major). Written as dot products over contiguous rows, four items at a
 * time, which is what V8 turns into the tightest loop.
 */
export function scoreRows(
  a: Float32Array,
  users: Int32Array,
  bT: Float32Array,
  f: number,
  numItems: number,
  out: Float32Array,
): void {
  const x = new Float64Array(f);
  for (let b = 0; b < users.length; b++) {
    const uo = users[b]! * f;
    for (let k = 0; k < f; k++) x[k] = a[uo + k]!;
    const row = b * numItems;
    let i = 0;
    for (; i + 4 <= numItems; i += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      const o0 = i * f;
      const o1 = o0 + f;
      const o2 = o1 + f;
      const o3 = o2 + f;
      for (let k = 0; k < f; k++) {
        const xk = x[k]!;
        s0 += xk * bT[o0 + k]!;
        s1 += xk * bT[o1 + k]!;
        s2 += xk * bT[o2 + k]!;
        s3 += xk * bT[o3 + k]!;
      }
      out[row + i] = s0;
      out[row + i + 1] = s1;
      out[row + i + 2] = s2;
      out[row + i + 3] = s3;
    }
    for (; i < numItems; i++) {
      let s = 0;
      const o = i * f;
      for (let k = 0; k < f; k++) s += x[k]! * bT[o + k]!;
      out[row + i] = s;
    }
  }
}

/** The same product as {@link scoreRows} as one tensor matMul per call. */
export function scoreRowsTensor(
  a: Float32Array,
  users: Int32Array,
  itemsT: tf.Tensor2D,
  f: number,
  out: Float32Array,
): void {
  const block = new Float32Array(users.length * f);
  for (let b = 0; b < users.length; b++) block.set(a.subarray(users[b]! * f, users[b]! * f + f), b * f);
  const result = tf.tidy(() => tf.matMul(tf.tensor2d(block, [users.length, f]), itemsT));
  out.set(result.dataSync());
  result.dispose();
}

/** `Aᵀ A` (`[f, f]`, float64) of a row-major `[n, f]` matrix. */
export function gram(a: Float32Array, n: number, f: number): Float64Array {
  const g = new Float64Array(f * f);
  for (let r = 0; r < n; r++) {
    const o = r * f;
    for (let p = 0; p < f; p++) {
      const v = a[o + p]!;
      if (v === 0) continue;
      const gp = p * f;
      for (let q = p; q < f; q++) g[gp + q]! += v * a[o + q]!;
    }
  }
  for (let p = 0; p < f; p++) for (let q = 0; q < p; q++) g[p * f + q] = g[q * f + p]!;
  return g;
}

/**
 * Inverts a symmetric positive-definite `[n, n]` matrix in place by Gauss–Jordan elimination
 * without pivoting (stable for SPD matrices). n³ multiply-adds, rows contiguous in the inner loop.
 *
 * @throws ValueError when a pivot is not positive (the matrix is not positive definite).
 */
export function invertSpdInPlace(m: Float64Array, n: number): Float64Array {
  const pivotRow = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const pivot = m[k * n + k]!;
    if (!(pivot > 0)) {
      throw new ValueError(
        `The matrix is not positive definite (pivot ${k} is ${pivot}); increase the regularisation.`,
        { field: 'regularization', value: pivot },
      );
    }
    const inv = 1 / pivot;
    const ko = k * n;
    for (let j = 0; j < n; j++) pivotRow[j] = m[ko + j]! * inv;
    pivotRow[k] = inv;
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const io = i * n;
      const factor = m[io + k]!;
      if (factor === 0) continue;
      m[io + k] = 0;
      for (let j = 0; j < n; j++) m[io + j]! -= factor * pivotRow[j]!;
    }
    for (let j = 0; j < n; j++) m[ko + j] = pivotRow[j]!;
  }
  return m;
}

/**
 * The inverse of a symmetric positive-definite `[n, n]` tensor by recursive 2×2 block inversion
 * (Schur complements): all O(n³) work is matMul. Blocks of at most `leaf` rows are inverted on the
 * CPU in float64.
 */
export function invertSpdTensor(a: tf.Tensor2D, leaf = 256): tf.Tensor2D {
  const n = a.shape[0];
  if (n <= leaf) {
    const m = Float64Array.from(a.dataSync());
    return tf.tensor2d(Float32Array.from(invertSpdInPlace(m, n)), [n, n]);
  }
  const h = n >> 1;
  const a11 = tf.slice(a, [0, 0], [h, h]);
  const a12 = tf.slice(a, [0, h], [h, n - h]);
  const a22 = tf.slice(a, [h, h], [n - h, n - h]);
  const inv11 = invertSpdTensor(a11, leaf);
  a11.dispose();
  const t = tf.matMul(inv11, a12);
  const s = tf.tidy(() => tf.sub(a22, tf.matMul(tf.transpose(a12), t)) as tf.Tensor2D);
  a12.dispose();
  a22.dispose();
  const sInv = invertSpdTensor(s, leaf);
  s.dispose();
  const out = tf.tidy(() => {
    const b12 = tf.neg(tf.matMul(t, sInv));
    const b11 = tf.sub(inv11, tf.matMul(b12, tf.transpose(t)));
    return tf.concat([tf.concat([b11, b12], 1), tf.concat([tf.transpose(b12), sInv], 1)], 0) as tf.Tensor2D;
  });
  tf.dispose([inv11, t, sInv]);
  return out;
}

/** `x · y` over `f` entries at the given offsets. */
export function dot(x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, f: number): number {
  let s = 0;
  for (let k = 0; k < f; k++) s += x[xo + k]! * y[yo + k]!;
  return s;
}

/** Cosine similarity of row `i` of `[n, f]` `v` with every row, into `out`. */
export function cosineToAll(v: Float32Array, i: number, f: number, out: Float32Array): void {
  const n = out.length;
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) norms[j] = Math.sqrt(dot(v, j * f, v, j * f, f));
  const ni = norms[i]!;
  for (let j = 0; j < n; j++) {
    const d = ni * norms[j]!;
    out[j] = d === 0 ? 0 : dot(v, i * f, v, j * f, f) / d;
  }
}
