/**
 * The plugin against the real `@tensorflow/tfjs-node` binding. Where the binding loads, this runs
 * the conformance suite on it and a file:// round trip. Where it does not (these development
 * machines: tfjs-node's install script must download libtensorflow), the suite cannot run, and
 * this file says so instead of skipping: its one test is titled `UNAVAILABLE HERE: …`, asserts
 * that the plugin reports the missing binding with the actionable reason, prints that reason, and
 * the closing line of `npm test` lists it (scripts/test-summary.mjs).
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerBackendPlugin, resolveIOHandler, useBackend } from '@plasticity/core';
import { defineConformanceSuite } from '@plasticity/test-utils/vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NOT_INSTALLED_REASON, nodeBackend } from './index.js';

const support = await nodeBackend.isSupported();

if (support.supported) {
  defineConformanceSuite({ plugin: nodeBackend, knownGaps: {} });

  describe('tfjs-node binding', () => {
    it('saves and loads file:// through core’s handler although tfjs-node routes file:// too', async () => {
      registerBackendPlugin(nodeBackend);
      await useBackend('tensorflow');
      const dir = await mkdtemp(join(tmpdir(), 'plasticity-node-'));
      try {
        const url = pathToFileURL(join(dir, 'm')).href;
        const w = tf.tensor1d([1, 2, 3]);
        const { data, specs } = await tf.io.encodeWeights({ w });
        await resolveIOHandler(url, 'save').save!({ modelTopology: {}, weightSpecs: specs, weightData: data });
        const loaded = await resolveIOHandler(url, 'load').load!();
        expect(Array.from(tf.io.decodeWeights(loaded.weightData!, loaded.weightSpecs!)['w']!.dataSync())).toEqual([
          1, 2, 3,
        ]);
        w.dispose();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
} else {
  const reason = support.reason ?? '(no reason given)';
  describe('tfjs-node binding', () => {
    it(`UNAVAILABLE HERE: the real-binding suite did not run: ${reason}`, () => {
      console.warn(`\n[backend-node] tfjs-node conformance NOT RUN on this machine: ${reason}\n`);
      // Passing means: the binding is absent and the plugin says precisely what to do about it.
      expect(
        reason === NOT_INSTALLED_REASON || reason.startsWith('@tensorflow/tfjs-node is installed but failed to load: '),
      ).toBe(true);
    });
  });
}
