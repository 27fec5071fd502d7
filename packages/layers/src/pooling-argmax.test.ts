// MaxPooling1D/2D keep each window's argmax in the forward pass (kernels of our own on cpu and
// wasm) so that the gradient is a scatter. Forward values and gradients must equal tfjs's own
// maxPool and MaxPoolGrad kernels on the CPU backend, ties included (the first maximum in window
// order takes the gradient, as in TensorFlow), for overlapping, strided and 'same'-padded windows.
import * as tf from '@tensorflow/tfjs-core';
import { createRng, registerBackendPlugin, useBackend } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { wasmBackend } from '@plasticity/backend-wasm';
import { expectTensorsClose } from '@plasticity/test-utils';
import { describe, expect, it } from 'vitest';
import { MaxPooling1D, MaxPooling2D } from './index.js';

registerBackendPlugin(cpuBackend);
registerBackendPlugin(wasmBackend);

/** Values on a coarse grid, so that windows often hold equal maxima. */
function tied(shape: number[], seed: number): { values: Float32Array; shape: number[] } {
  const rng = createRng(seed);
  const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.int(5) / 4 - 0.5);
  return { values, shape };
}

/** The pooled values, d(sum(pool(x) · r))/dx and the loss, with `pool` under a recorded gradient. */
function valueAndGrad(
  pool: (x: tf.Tensor) => tf.Tensor,
  input: { values: Float32Array; shape: number[] },
): tf.Tensor[] {
  const init = tf.tensor(input.values, input.shape);
  const v = tf.variable(init);
  init.dispose();
  const y = tf.tidy(() => pool(v));
  const r = tf.tensor(
    Float32Array.from({ length: y.size }, (_, i) => ((i * 7) % 11) - 5),
    y.shape,
  );
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(pool(v), r)), [v]);
  const grad = grads[v.name]!;
  tf.dispose([v, r]);
  return [y, grad, value];
}

interface Case {
  name: string;
  shape: number[];
  make: () => MaxPooling1D | MaxPooling2D;
  reference: (x: tf.Tensor) => tf.Tensor;
}

const cases: Case[] = [
  {
    name: '2x2 stride 2 valid',
    shape: [2, 8, 6, 3],
    make: () => new MaxPooling2D({ poolSize: 2 }),
    reference: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'),
  },
  {
    name: '3x3 stride 2 same (clipped windows)',
    shape: [2, 7, 5, 4],
    make: () => new MaxPooling2D({ poolSize: 3, strides: 2, padding: 'same' }),
    reference: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'),
  },
  {
    name: '2x3 stride 1 valid (overlapping)',
    shape: [1, 5, 6, 2],
    make: () => new MaxPooling2D({ poolSize: [2, 3], strides: 1 }),
    reference: (x) => tf.maxPool(x as tf.Tensor4D, [2, 3], 1, 'valid'),
  },
  {
    name: '1-D pool 3 stride 2 same',
    shape: [3, 9, 5],
    make: () => new MaxPooling1D({ poolSize: 3, strides: 2, padding: 'same' }),
    reference: (x) =>
      tf.squeeze(tf.maxPool(tf.expandDims(x as tf.Tensor3D, 1) as tf.Tensor4D, [1, 3], [1, 2], 'same'), [1]),
  },
];

describe.each(['cpu', 'wasm'])('max pooling with argmax on %s', (backend) => {
  it.each(cases)('$name: values and gradients equal tfjs CPU maxPool', async ({ shape, make, reference }) => {
    const input = tied(shape, shape.length * 31 + shape[1]!);
    await useBackend('cpu');
    const expected = valueAndGrad(reference, input);
    const expectedValues = expected.map((t) => ({ data: t.dataSync().slice(), shape: t.shape }));
    tf.dispose(expected);
    await useBackend(backend);
    const layer = make();
    const before = tf.memory().numTensors;
    const actual = valueAndGrad((x) => layer.apply(x) as tf.Tensor, input);
    expect(tf.getKernel('PlasticityMaxPoolArgmax', backend)).toBeDefined();
    actual.forEach((t, i) => {
      const want = tf.tensor(expectedValues[i]!.data, expectedValues[i]!.shape);
      expectTensorsClose(t, want, { atol: 1e-6 });
      want.dispose();
    });
    tf.dispose(actual);
    expect(tf.memory().numTensors).toBe(before);
  });
});
