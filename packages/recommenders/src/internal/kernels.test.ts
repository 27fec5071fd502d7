// SVD's and NMF's kernels through the MATRIX_FACTORIZATION_KERNELS contract, as the wasm plugin
// provides them (its committed bytes are checked with the rest of the one wasm build in
// @plasticity/backend-wasm): the kernel paths agree with the JavaScript paths, and without a
// provider the JavaScript paths run.
import { describe, expect, it } from 'vitest';
import {
  ValueError,
  createRng,
  deterministicLog,
  registerBackendPlugin,
  unregisterBackendPlugin,
} from '@plasticity/core';
import { wasmBackend } from '@plasticity/backend-wasm';
import { Interactions } from '../interactions.js';
import { NMF } from '../explicit/nmf.js';
import { SVD } from '../explicit/svd.js';
import { RNG_SCRATCH_BYTES, fillNormal, instantiateKernels, setKernelsEnabled } from './kernels.js';

registerBackendPlugin(wasmBackend);

/** Random ratings on 1..5 for about `density` of the pairs (every user and item rated at least once). */
function randomRatings(seed: number, nUsers: number, nItems: number, density: number): Interactions {
  const rng = createRng(seed);
  const users: number[] = [];
  const items: number[] = [];
  const values: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    for (let i = 0; i < nItems; i++) {
      if (u % nItems !== i && i % nUsers !== u && rng.uniform() >= density) continue;
      users.push(u);
      items.push(i);
      values.push(1 + rng.int(5));
    }
  }
  return Interactions.fromArrays({ users, items, values }, { ratingScale: [1, 5] });
}

async function withoutKernels<T>(run: () => Promise<T>): Promise<T> {
  setKernelsEnabled(false);
  try {
    return await run();
  } finally {
    setKernelsEnabled(true);
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!));
  return worst;
}

describe('WebAssembly kernels', () => {
  it('come from the registered wasm plugin; without a provider SVD runs its JavaScript path', async () => {
    expect(await instantiateKernels(100)).toBeDefined();
    const data = randomRatings(2, 12, 9, 0.4);
    const config = { nFactors: 4, nEpochs: 3, seed: 1 };
    const js = await withoutKernels(() => new SVD(config).fit(data));
    unregisterBackendPlugin('wasm');
    try {
      expect(await instantiateKernels(100)).toBeUndefined();
      const fallback = await new SVD(config).fit(data);
      // The float64 JavaScript path, bit for bit (setKernelsEnabled(false) forces the same one).
      expect(fallback.userFactors).toEqual(js.userFactors);
      expect(fallback.itemFactors).toEqual(js.itemFactors);
    } finally {
      registerBackendPlugin(wasmBackend);
    }
    expect(await instantiateKernels(100)).toBeDefined();
  });

  it('load in Node 20 (WebAssembly SIMD), each fit with its own memory, and can be turned off', async () => {
    const small = await instantiateKernels(100);
    const large = await instantiateKernels(3 * 65536 + 1);
    expect(small).toBeDefined();
    expect(small!.memory.buffer.byteLength).toBe(65536);
    expect(large!.memory.buffer.byteLength).toBe(4 * 65536);
    expect(large!.memory).not.toBe(small!.memory);
    // Beyond wasm32's 4 GiB: the JS path takes over.
    expect(await instantiateKernels(2 ** 32)).toBeUndefined();
    await withoutKernels(async () => expect(await instantiateKernels(100)).toBeUndefined());
  });

  it('fillNormal draws exactly rng.normal’s numbers and leaves the generator in the same state', async () => {
    const instance = (await instantiateKernels(RNG_SCRATCH_BYTES + 4 * 30001))!;
    const fast = createRng(42);
    const reference = createRng(42);
    // Odd lengths carry the polar method's spare normal across calls.
    for (const [length, mean, std] of [
      [5, 0, 1],
      [30001, 0.5, 0.1],
      [0, 0, 1],
      [8, -1, 2],
    ] as const) {
      const got = new Float32Array(instance.memory.buffer, RNG_SCRATCH_BYTES, length);
      fillNormal(fast, got, mean, std, { instance, scratchAt: 0 });
      const expected = Float32Array.from({ length }, () => reference.normal(mean, std));
      expect(got).toEqual(expected);
      // The JS path (rng.normal itself, float64) on a fresh pair of generators agrees too.
      const js = new Float64Array(length);
      fillNormal(createRng(length), js, mean, std);
      const again = createRng(length);
      expect(js).toEqual(Float64Array.from({ length }, () => again.normal(mean, std)));
    }
    expect(fast.getState()).toEqual(reference.getState());
    expect([fast.nextUint32(), fast.normal(), fast.uniform()]).toEqual([
      reference.nextUint32(),
      reference.normal(),
      reference.uniform(),
    ]);
    const foreign = new Float32Array(4);
    expect(() => fillNormal(fast, foreign, 0, 1, { instance, scratchAt: 0 })).toThrow(ValueError);
  });

  it('the kernel’s log is fdlibm’s, bit for bit as core’s deterministicLog', async () => {
    const { exports } = (await instantiateKernels(16))!;
    const log = (exports as unknown as { log(x: number): number }).log;
    const rng = createRng(1);
    const inputs = [1, 2, 0.5, Math.E, 1 + 2 ** -52, 1 - 2 ** -53, 0.75, 1.5, 1e-310, 5e-324, 1e300, 0, -1, Infinity];
    for (let k = 0; k < 2000; k++) inputs.push(rng.uniform(), rng.uniform() * 1e6, 2 ** (rng.int(2000) - 1000));
    const mismatches = inputs.filter((x) => !Object.is(log(x), deterministicLog(x)));
    expect(mismatches).toEqual([]);
    expect(log(Number.NaN)).toBeNaN();
  });

  it('fillNormal fills rows of `width` draws `stride` apart, leaving the padding alone', async () => {
    const instance = (await instantiateKernels(RNG_SCRATCH_BYTES + 4 * 7 * 4))!;
    const reference = createRng(8);
    const expected = Float64Array.from({ length: 7 * 3 }, () => reference.normal(1, 0.5));
    for (const kernels of [{ instance, scratchAt: 0 }, undefined]) {
      const out = new Float32Array(instance.memory.buffer, RNG_SCRATCH_BYTES, 7 * 4).fill(-99);
      fillNormal(createRng(8), out, 1, 0.5, kernels, { width: 3, stride: 4 });
      for (let r = 0; r < 7; r++) {
        for (let c = 0; c < 3; c++) expect(out[r * 4 + c]).toBe(Math.fround(expected[r * 3 + c]!));
        expect(out[r * 4 + 3]).toBe(-99);
      }
    }
  });

  it('SVD: the kernel and the JS path learn the same factors and biases (float32 vs float64, 1e-4)', async () => {
    const data = randomRatings(3, 40, 30, 0.3);
    // 3, 12 and 21 factors: one vector, pairs only, pairs and an odd vector (and padding).
    for (const nFactors of [3, 12, 21]) {
      for (const biased of [true, false]) {
        const config = { nFactors, nEpochs: 5, biased, seed: 5, lrAll: 0.01 };
        const wasm = await new SVD(config).fit(data);
        const js = await withoutKernels(() => new SVD(config).fit(data));
        expect(maxAbsDiff(wasm.userFactors, js.userFactors)).toBeLessThan(1e-4);
        expect(maxAbsDiff(wasm.itemFactors, js.itemFactors)).toBeLessThan(1e-4);
        // The factors moved from their initialisation (so the comparison is not of untouched draws).
        const init = await new SVD({ ...config, nEpochs: 0 }).fit(data);
        expect(maxAbsDiff(wasm.itemFactors, init.itemFactors)).toBeGreaterThan(1e-3);
        for (const [u, i] of [
          [0, 0],
          [7, 3],
          [39, 29],
        ] as const) {
          expect(wasm.predict(u, i).estimate).toBeCloseTo(js.predict(u, i).estimate, 4);
        }
      }
    }
  });

  it('NMF: the kernel and the JS path learn the same factors (float32 vs float64, relative 1e-4)', async () => {
    const data = randomRatings(4, 35, 25, 0.3);
    for (const nFactors of [2, 15, 16]) {
      const config = { nFactors, nEpochs: 8, seed: 6 };
      const wasm = await new NMF(config).fit(data);
      const js = await withoutKernels(() => new NMF(config).fit(data));
      // Every user-item estimate is q_i·p_u, so all of them together pin down the factors.
      let worst = 0;
      for (let u = 0; u < 35; u++) {
        for (let i = 0; i < 25; i++) {
          const y = js.predict(u, i).estimate;
          worst = Math.max(worst, Math.abs(wasm.predict(u, i).estimate - y) / Math.max(1, Math.abs(y)));
        }
      }
      expect(worst).toBeLessThan(1e-4);
      // Eight epochs moved the estimates away from the initial factors' (so the check has teeth).
      const init = await new NMF({ ...config, nEpochs: 0 }).fit(data);
      expect(Math.abs(init.predict(3, 4).estimate - js.predict(3, 4).estimate)).toBeGreaterThan(1e-2);
    }
  });
});
