import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import { bridgeMissingKernels, resolveThreads, wasmBackend } from './index.js';

describe('wasm backend plugin', () => {
  it('validates the threads option and resolves auto to the cores, at most 8', () => {
    expect(resolveThreads(undefined)).toBe(1);
    expect(resolveThreads(3)).toBe(3);
    expect(resolveThreads('auto', 2)).toBe(2);
    expect(resolveThreads('auto', 64)).toBe(8);
    for (const bad of [0, 9, 1.5, Number.NaN, 'many']) {
      expect(() => resolveThreads(bad as never)).toThrow(ValueError);
    }
    expect(() => resolveThreads(0)).toThrow(/threads must be an integer from 1 to 8 or 'auto'; got 0/);
  });

  it('fills exactly the kernels wasm lacks from the CPU backend, once', async () => {
    await wasmBackend.load();
    const wasmKernels = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
    for (const name of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'UnsortedSegmentSum']) {
      expect(wasmKernels.has(name)).toBe(true);
    }
    expect(bridgeMissingKernels('wasm')).toEqual([]);
    expect(wasmKernels.has('FFT')).toBe(false);
  });

  it('refuses to change the thread count after loading', async () => {
    await wasmBackend.load({ threads: 1 });
    await expect(wasmBackend.load({ threads: 2 })).rejects.toThrow(/already loaded with 1 thread\(s\)/);
  });
});
