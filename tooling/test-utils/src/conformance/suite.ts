/**
 * The conformance suite as vitest tests: one forward and one gradient test per case, on one
 * backend. Known gaps are listed per backend; a listed test must still fail (`it.fails`), so a gap
 * that gets fixed shows up and is removed from the list.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerBackendPlugin, useBackend, type BackendPlugin } from '@plasticity/core';
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
