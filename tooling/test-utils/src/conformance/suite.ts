/**
 * The conformance suite as vitest tests: one forward and one gradient test per case, on one
 * backend. Known gaps are listed per backend; a listed test must still fail (`it.fails`), so a gap
 * that gets fixed shows up and is removed from the list.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  hasHostKernel,
  registerBackendPlugin,
  registerHostKernel,
  runHostKernel,
  useBackend,
  type BackendPlugin,
} from '@plasticity/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_CASES } from './cases.js';
import {
  DEFAULT_FORWARD_TOLERANCE,
  DEFAULT_GRADIENT_TOLERANCE,
  checkForward,
  checkForwardAsync,
  checkGradient,
  checkGradientAsync,
  hasGradient,
  type Tolerance,
} from './check.js';

export interface ConformanceSuiteOptions {
  /** The backend under test. It is registered and activated before the tests run. */
  plugin: BackendPlugin;
  /** Options passed to the plugin's `load`. */
  loadOptions?: unknown;
  /** Test title (`'<case> forward'` / `'<case> gradient'`) → why this backend fails it. */
  knownGaps?: Readonly<Record<string, string>>;
  forwardTolerance?: Tolerance;
  gradientTolerance?: Tolerance;
  /**
   * How results are read back: `'sync'` (`dataSync`, the default) or `'async'` (`await data()`),
   * for backends that cannot read synchronously (WebGPU in Node).
   */
  readback?: 'sync' | 'async';
}

/** Titles of every test the suite defines, for validating known-gap lists. */
export function conformanceTestTitles(): string[] {
  return CONFORMANCE_CASES.flatMap((c) => [`${c.name} forward`, ...(hasGradient(c) ? [`${c.name} gradient`] : [])]);
}

/** Defines the suite's tests for one backend (call it at the top level of a test file). */
export function defineConformanceSuite(options: ConformanceSuiteOptions): void {
  const gaps = options.knownGaps ?? {};
  const forwardTol = options.forwardTolerance ?? DEFAULT_FORWARD_TOLERANCE;
  const gradTol = options.gradientTolerance ?? DEFAULT_GRADIENT_TOLERANCE;
  describe(`conformance on ${options.plugin.name}`, () => {
    beforeAll(async () => {
      registerBackendPlugin(options.plugin);
      const choice = await useBackend(options.plugin.name, {
        options: { [options.plugin.name]: options.loadOptions },
      });
      expect(choice.backend).toBe(options.plugin.name);
      expect(tf.getBackend()).toBe(options.plugin.name);
    });

    it('known-gap list names only tests that exist', () => {
      const titles = new Set(conformanceTestTitles());
      expect(Object.keys(gaps).filter((t) => !titles.has(t))).toEqual([]);
    });

    if (options.plugin.hostMemory !== undefined) defineHostMemoryTests(options.plugin.name);

    for (const c of CONFORMANCE_CASES) {
      const define = (title: string, run: () => void | Promise<void>): void => {
        if (title in gaps) it.fails(`${title} [known gap: ${gaps[title]}]`, run);
        else it(title, run);
      };
      const async = options.readback === 'async';
      define(`${c.name} forward`, () => (async ? checkForwardAsync(c, forwardTol) : checkForward(c, forwardTol)));
      if (hasGradient(c)) {
        define(`${c.name} gradient`, () => (async ? checkGradientAsync(c, gradTol) : checkGradient(c, gradTol)));
      }
    }
  });
}

/**
 * A backend that lends its memory (`hostMemory`) must run host kernels: results equal a plain
 * JavaScript computation, int32 tensors are read as integers, views taken after a large
 * allocation (which may grow and move the wasm heap) still read the inputs, bad dtypes are refused,
 * and nothing leaks.
 */
function defineHostMemoryTests(backendName: string): void {
  describe('host kernels', () => {
    beforeAll(() => {
      registerHostKernel({
        name: 'ConformanceAxpyGather',
        inputs: ['x', 'y', 'index'],
        outputs: ([x, , index], attrs) => [
          { shape: [...x!.shape], dtype: 'float32' },
          { shape: [...index!.shape], dtype: 'int32' },
          { shape: [attrs['pad'] as number], dtype: 'float32' },
        ],
        run: ([x, y, index], [out, picked, pad], attrs) => {
          const a = attrs['a'] as number;
          for (let i = 0; i < out!.length; i++) out![i] = a * x![i]! + y![i]!;
          for (let i = 0; i < picked!.length; i++) picked![i] = index![i]! * 2;
          pad!.fill(1);
        },
      });
    });

    it('runs a host kernel with float32 and int32 inputs', () => {
      expect(hasHostKernel('ConformanceAxpyGather', backendName)).toBe(true);
      const before = tf.memory().numTensors;
      const xs = [1.5, -2, 3.25, 4, 0.5, -1];
      const ys = [0.5, 1, -1, 2, 8, 3];
      const x = tf.tensor2d(xs, [2, 3]);
      const y = tf.tensor2d(ys, [2, 3]);
      const index = tf.tensor1d([3, -7, 0], 'int32');
      // A large third output forces a heap growth on wasm between allocating and reading.
      const [out, picked, pad] = runHostKernel('ConformanceAxpyGather', { x, y, index }, { a: 3, pad: 1 << 23 });
      expect(out!.shape).toEqual([2, 3]);
      expect(Array.from(out!.dataSync())).toEqual(xs.map((v, i) => Math.fround(3 * v + ys[i]!)));
      expect(picked!.dtype).toBe('int32');
      expect(Array.from(picked!.dataSync())).toEqual([6, -14, 0]);
      expect(pad!.size).toBe(1 << 23);
      const total = tf.sum(pad!);
      expect(total.dataSync()[0]).toBe(1 << 23);
      tf.dispose([x, y, index, out!, picked!, pad!, total]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('refuses inputs of another dtype, naming the input', () => {
      const x = tf.tensor1d([1, 0], 'bool');
      const y = tf.tensor1d([1, 2]);
      const index = tf.tensor1d([1, 2], 'int32');
      expect(() => runHostKernel('ConformanceAxpyGather', { x, y, index }, { a: 1, pad: 1 })).toThrow(/"x" is bool/);
      tf.dispose([x, y, index]);
    });
  });
}
