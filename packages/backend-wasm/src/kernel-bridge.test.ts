import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tfjsCpu, tfjsWasm } from '#tfjs-modules';
import { CPU_ONLY_KERNELS, bridgeMissingKernels, bridgeMissingKernelsLazily } from './kernel-bridge.js';

const names = (backend: string): string[] => tf.getKernelsForBackend(backend).map((k) => k.kernelName);

describe('CPU-bridged kernels on wasm', () => {
  it('CPU_ONLY_KERNELS is what tfjs-backend-cpu has and tfjs-backend-wasm lacks', async () => {
    // Before any bridge runs in this process: the wasm registry holds tfjs-backend-wasm's own kernels.
    await tfjsWasm();
    const stockWasm = new Set(names('wasm'));
    expect(CPU_ONLY_KERNELS.filter((n) => stockWasm.has(n))).toEqual([]);
    tfjsCpu();
    const notBridged = new Set(['Complex', 'ComplexAbs', 'FFT', 'IFFT', 'Imag', 'Real', 'StaticRegexReplace', 'Draw']);
    const expected = names('cpu').filter((n) => !stockWasm.has(n) && !notBridged.has(n));
    expect([...CPU_ONLY_KERNELS].sort()).toEqual(expected.sort());
  });

  it('the lazy bridges run the CPU kernel and match it (UnsortedSegmentSum, Einsum with its array of inputs)', async () => {
    const { version_wasm } = await tfjsWasm();
    expect(bridgeMissingKernelsLazily('wasm', version_wasm).sort()).toEqual([...CPU_ONLY_KERNELS].sort());
    expect(bridgeMissingKernelsLazily('wasm', version_wasm)).toEqual([]); // idempotent
    expect(bridgeMissingKernels('wasm')).toEqual([]); // the eager path finds nothing left to add
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const ids = tf.tensor1d([2, 0, 2], 'int32');
    const summed = tf.unsortedSegmentSum(x, ids, 3);
    expect(summed.arraySync()).toEqual([
      [3, 4],
      [0, 0],
      [6, 8],
    ]);
    const product = tf.einsum('ij,kj->ik', x, x); // x·xᵀ
    expect(Array.from(product.dataSync())).toEqual([5, 11, 17, 11, 25, 39, 17, 39, 61]);
    tf.dispose([x, ids, summed, product]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
