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
    for (const name of [
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter',
      'UnsortedSegmentSum',
    ]) {
      expect(wasmKernels.has(name)).toBe(true);
    }
    expect(bridgeMissingKernels('wasm')).toEqual([]);
    expect(wasmKernels.has('FFT')).toBe(false);
  });

  it("leaves no process listener of tfjs-backend-wasm's Emscripten glue once the backend has initialized", async () => {
    const { registerBackendPlugin, useBackend } = await import('@plasticity/core');
    registerBackendPlugin(wasmBackend);
    await useBackend('wasm');
    const glue = (listeners: unknown[]) => listeners.filter((l) => /ExitStatus|throw reason/.test(String(l)));
    expect(glue(process.listeners('uncaughtException'))).toEqual([]);
    expect(glue(process.listeners('unhandledRejection'))).toEqual([]);
  });

  it('refuses to change the thread count after loading', async () => {
    await wasmBackend.load({ threads: 1 });
    await expect(wasmBackend.load({ threads: 2 })).rejects.toThrow(/already loaded with 1 thread\(s\)/);
  });
});

describe('explicit-transpose matMul on wasm', () => {
  it('matches the stock kernel for every transpose flag and frees its intermediates', async () => {
    const { createRng, randomTensor, registerBackendPlugin, useBackend } = await import('@plasticity/core');
    const { setExplicitTransposeMatMul } = await import('./index.js');
    registerBackendPlugin(wasmBackend);
    await useBackend('wasm');
    const rng = createRng(3);
    const a = randomTensor([2, 7, 5], rng, { min: -1, max: 1 });
    const b = randomTensor([2, 7, 5], rng, { min: -1, max: 1 });
    const backend = tf.backend() as unknown as { numDataIds(): number };
    for (const [ta, tb] of [
      [true, false],
      [false, true],
    ] as const) {
      setExplicitTransposeMatMul(false);
      const stock = tf.matMul(a, b, ta, tb);
      setExplicitTransposeMatMul(true);
      const before = backend.numDataIds();
      const rewritten = tf.matMul(a, b, ta, tb);
      expect(backend.numDataIds()).toBe(before + 1); // only the result stays allocated
      expect(rewritten.shape).toEqual(stock.shape);
      const s = stock.dataSync();
      rewritten.dataSync().forEach((v, i) => expect(v).toBeCloseTo(s[i]!, 5));
      tf.dispose([stock, rewritten]);
    }
    tf.dispose([a, b]);
  });
});

describe('Conv2DBackpropInput on wasm', () => {
  it('matches the stock tfjs-backend-wasm kernel (valid, same, explicit pads, strided) and frees its intermediates', async () => {
    const { createRng, randomTensor, registerBackendPlugin, useBackend } = await import('@plasticity/core');
    const { setStockConv2DBackpropInput } = await import('./index.js');
    registerBackendPlugin(wasmBackend);
    await useBackend('wasm');
    const rng = createRng(5);
    type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
    const cases: { x: [number, number, number, number]; w: number[]; stride: number; pad: Pad }[] = [
      { x: [2, 7, 6, 3], w: [3, 3, 3, 4], stride: 1, pad: 'valid' },
      { x: [2, 7, 6, 3], w: [3, 2, 3, 4], stride: 1, pad: 'same' },
      { x: [1, 8, 8, 2], w: [5, 5, 2, 3], stride: 1, pad: 'same' },
      {
        x: [1, 6, 5, 2],
        w: [3, 3, 2, 2],
        stride: 1,
        pad: [
          [0, 0],
          [2, 1],
          [0, 2],
          [0, 0],
        ],
      },
      { x: [2, 9, 9, 2], w: [3, 3, 2, 3], stride: 2, pad: 'same' },
    ];
    const backend = tf.backend() as unknown as { numDataIds(): number };
    for (const c of cases) {
      const w = randomTensor(c.w, rng, { min: -1, max: 1 }) as tf.Tensor4D;
      const dyShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, w, c.stride, c.pad).shape);
      const dy = randomTensor(dyShape, rng, { min: -1, max: 1 }) as tf.Tensor4D;
      const shape = c.x;
      setStockConv2DBackpropInput(true);
      const stock = tf.conv2dTranspose(dy, w, shape, c.stride, c.pad);
      setStockConv2DBackpropInput(false);
      const before = backend.numDataIds();
      const ours = tf.conv2dTranspose(dy, w, shape, c.stride, c.pad);
      expect(backend.numDataIds()).toBe(before + 1); // only the result stays allocated
      expect(ours.shape).toEqual(stock.shape);
      const s = stock.dataSync();
      ours.dataSync().forEach((v, i) => expect(v).toBeCloseTo(s[i]!, 4));
      tf.dispose([w, dy, stock, ours]);
    }
  });
});
