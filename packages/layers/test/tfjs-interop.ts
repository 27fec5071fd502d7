/**
 * Test helpers shared by the tests that compare our models with `@tensorflow/tfjs-layers`
 * (import/export, recurrent layers, masking). Not part of the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createRng, randomTensor } from '@plasticity/core';
import { expectTensorsClose } from '@plasticity/test-utils';
import { expect } from 'vitest';
import type { Model } from '../src/index.js';

/** Seeded random tensors and weight randomizers; each call of `rand` uses the next seed. */
export function seededWeights(firstSeed: number, range: [number, number] = [-1, 1]) {
  let seed = firstSeed;
  const rand = (shape: number[], min = -1, max = 1): tf.Tensor => randomTensor(shape, createRng(seed++), { min, max });
  return {
    rand,
    /** Random values for every weight of a tfjs model (moving variances positive). */
    randomizeTfjs(model: tfl.LayersModel): void {
      const values = model.weights.map((w) =>
        w.originalName.includes('moving_variance')
          ? rand(w.shape as number[], 0.5, 1.5)
          : rand(w.shape as number[], ...range),
      );
      model.setWeights(values);
      tf.dispose(values);
    },
    /** Random values for every weight of our model. */
    randomizeOurs(model: Model): void {
      for (const w of model.weights) {
        const value = rand([...w.shape], ...range);
        w.assign(value);
        value.dispose();
      }
    },
  };
}

/** What `model.save` hands to an IO handler. */
export async function tfjsArtifacts(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

/** A value or list of values as a list. */
export const list = <T>(t: T | T[]): T[] => (Array.isArray(t) ? t : [t]);

/** Both models' predictions on `x` (one input or several) agree to 1e-5. */
export function predictBoth(ours: Model, theirs: tfl.LayersModel, x: tf.Tensor | tf.Tensor[]): void {
  const xs = list(x);
  const a = list(ours.predict(xs.length === 1 ? xs[0]! : xs));
  const b = list(theirs.predict(xs.length === 1 ? xs[0]! : xs));
  expect(a.length).toBe(b.length);
  a.forEach((t, i) => expectTensorsClose(t, b[i]!, { rtol: 1e-5, atol: 1e-5, label: `output ${i}` }));
  tf.dispose([...a, ...b]);
}
