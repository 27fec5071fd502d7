// The wasm plugin provides MATRIX_FACTORIZATION_KERNELS from registration on, without loading the
// tfjs wasm backend; each instance has a memory of its own sized to the request; beyond wasm32's
// 4 GiB it declines (the caller's JavaScript path runs). SVD/NMF results against their JavaScript
// path are tested in @plasticity/recommenders (src/internal/kernels.test.ts).
import {
  MATRIX_FACTORIZATION_KERNELS,
  getArrayKernels,
  registerBackendPlugin,
  unregisterBackendPlugin,
  type MatrixFactorizationExports,
} from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import { wasmBackend } from '../index.js';
import { matrixFactorizationKernels } from './MatrixFactorization.js';

describe('MatrixFactorization array kernels', () => {
  it('are provided while the wasm plugin is registered', () => {
    unregisterBackendPlugin('wasm');
    expect(getArrayKernels(MATRIX_FACTORIZATION_KERNELS)).toBeUndefined();
    registerBackendPlugin(wasmBackend);
    expect(getArrayKernels(MATRIX_FACTORIZATION_KERNELS)).toBe(matrixFactorizationKernels);
    unregisterBackendPlugin('wasm');
    expect(getArrayKernels(MATRIX_FACTORIZATION_KERNELS)).toBeUndefined();
    registerBackendPlugin(wasmBackend);
  });

  it('instantiate with a memory of their own, at least the bytes asked for, and decline beyond 4 GiB', async () => {
    const small = (await matrixFactorizationKernels.instantiate(100))!;
    const large = (await matrixFactorizationKernels.instantiate(3 * 65536 + 1))!;
    expect(small.memory.buffer.byteLength).toBe(65536);
    expect(large.memory.buffer.byteLength).toBe(4 * 65536);
    expect(large.memory).not.toBe(small.memory);
    expect(await matrixFactorizationKernels.instantiate(2 ** 32)).toBeUndefined();
  });

  it('nmfUpdate applies x · num / (den + n·reg·x) and keeps zero factors at zero', async () => {
    const { exports, memory } = (await matrixFactorizationKernels.instantiate(4096))!;
    const f: MatrixFactorizationExports = exports;
    // Two rows of 4 factors (stride 16 bytes): row 0 has 2 CSR entries, row 1 has 3.
    new Int32Array(memory.buffer, 0, 3).set([0, 2, 5]);
    const x = new Float32Array(memory.buffer, 64, 8);
    const num = new Float32Array(memory.buffer, 128, 8);
    const den = new Float32Array(memory.buffer, 192, 8);
    x.set([1, 2, 0, 0.5, 3, 1, 2, 4]);
    num.set([2, 1, 5, 1, 3, 3, 1, 2]);
    den.set([1, 2, 1, 4, 2, 1, 2, 1]);
    const reg = 0.1;
    const rowsOf = [2, 2, 2, 2, 3, 3, 3, 3];
    // In float32, operation by operation as the kernel rounds: x · (num / (den + (reg·n)·x)).
    const f32 = Math.fround;
    const expected = Array.from(x, (xi, k) => {
      const c = f32(f32(reg) * rowsOf[k]!);
      return xi === 0 ? 0 : f32(xi * f32(num[k]! / f32(den[k]! + f32(c * xi))));
    });
    f.nmfUpdate(2, 0, 64, 128, 192, 16, reg);
    expect(Array.from(x)).toEqual(expected);
    expect(x[2]).toBe(0);
    // Against the formula in float64, to single precision.
    expected.forEach((e, k) => {
      const xi = [1, 2, 0, 0.5, 3, 1, 2, 4][k]!;
      const exact = xi === 0 ? 0 : (xi * num[k]!) / (den[k]! + rowsOf[k]! * reg * xi);
      expect(Math.abs(e - exact)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(exact)));
    });
  });
});
