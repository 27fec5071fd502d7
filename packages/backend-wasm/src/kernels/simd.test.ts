// Our SIMD WebAssembly kernels on the wasm backend (that the committed module equals a fresh
// compilation of simd.wat is checked with every module of the build in wasm-build.test.ts): the
// fused Adam kernel matches the update written out in float64 here;
// Identity shares memory instead of copying and keeps the data alive after the input is disposed.
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL, registerBackendPlugin, runHostKernel, useBackend } from '@plasticity/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setSharedIdentity, wasmBackend } from '../index.js';

beforeAll(async () => {
  registerBackendPlugin(wasmBackend);
  await useBackend('wasm');
});

describe('SIMD kernels on wasm', () => {
  it('the fused Adam update equals the formula, in the vector body and the scalar tail', () => {
    const n = 10; // two 4-wide vectors and a tail of 2
    const w = Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i + 1)));
    const g = Array.from({ length: n }, (_, i) => Math.fround(Math.cos(3 * i) / 2));
    const m = Array.from({ length: n }, (_, i) => Math.fround(0.1 * (i - 4)));
    const v = Array.from({ length: n }, (_, i) => Math.fround(0.01 * (i + 1)));
    const attrs = { beta1: 0.9, beta2: 0.99, epsilon: 1e-6, bias2Sqrt: 0.2, stepSize: 0.05, l2: 0.1, keep: 0.999 };
    const before = tf.memory().numTensors;
    const inputs = { variable: tf.tensor1d(w), grad: tf.tensor1d(g), m: tf.tensor1d(m), v: tf.tensor1d(v) };
    const outputs = runHostKernel(ADAM_UPDATE_KERNEL, inputs, attrs);
    const [wOut, mOut, vOut] = outputs.map((t) => Array.from(t.dataSync()));
    for (let i = 0; i < n; i++) {
      const gi = g[i]! + attrs.l2 * w[i]!;
      const mi = attrs.beta1 * m[i]! + (1 - attrs.beta1) * gi;
      const vi = attrs.beta2 * v[i]! + (1 - attrs.beta2) * gi * gi;
      const wi = attrs.keep * w[i]! - (mi / (Math.sqrt(vi) / attrs.bias2Sqrt + attrs.epsilon)) * attrs.stepSize;
      expect(mOut![i]).toBeCloseTo(mi, 6);
      expect(vOut![i]).toBeCloseTo(vi, 6);
      expect(wOut![i]).toBeCloseTo(wi, 5);
    }
    tf.dispose([...Object.values(inputs), ...outputs]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses mismatched shapes, naming the input', () => {
    const inputs = { variable: tf.zeros([4]), grad: tf.zeros([3]), m: tf.zeros([4]), v: tf.zeros([4]) };
    expect(() =>
      runHostKernel(ADAM_UPDATE_KERNEL, inputs, {
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
        bias2Sqrt: 1,
        stepSize: 1,
        l2: 0,
        keep: 1,
      }),
    ).toThrow(/"grad" must be float32 of shape \[4\]/);
    tf.dispose(Object.values(inputs));
  });

  it('Identity shares the memory and keeps it alive until both are disposed', () => {
    const before = tf.memory();
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const y = tf.clone(x); // the Identity kernel
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers + 1); // one buffer for both
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  });

  it('setSharedIdentity(false) restores the copying kernel and true the sharing one', () => {
    const x = tf.tensor1d([5, 6]);
    try {
      setSharedIdentity(false);
      const before = tf.memory().numDataBuffers;
      const copy = tf.clone(x);
      expect(tf.memory().numDataBuffers).toBe(before + 1);
      expect(Array.from(copy.dataSync())).toEqual([5, 6]);
      copy.dispose();
    } finally {
      setSharedIdentity(true);
    }
    const before = tf.memory().numDataBuffers;
    const shared = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(before);
    tf.dispose([x, shared]);
  });
});
