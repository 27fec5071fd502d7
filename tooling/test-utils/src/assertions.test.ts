import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoTensorLeaks, expectTensorsClose } from './assertions.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('expectTensorsClose', () => {
  it('accepts values within atol + rtol·|expected| and rejects the first beyond', () => {
    expectTensorsClose([1.0001, 100.01], [1, 100], { rtol: 1e-4, atol: 1e-4 });
    expect(() => expectTensorsClose([1.0003], [1], { rtol: 1e-4, atol: 1e-4 })).toThrow(
      /1 of 1 values differ beyond rtol=0.0001, atol=0.0001; worst at flat index 0: actual 1.0003, expected 1/,
    );
  });

  it('compares shapes when both sides have one', () => {
    const t = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expectTensorsClose(t, { values: [1, 2, 3, 4], shape: [2, 2] });
    expect(() => expectTensorsClose(t, { values: [1, 2, 3, 4], shape: [4] })).toThrow(
      /shape \[2,2\] differs from expected \[4\]/,
    );
    expect(() => expectTensorsClose(t, [1, 2, 3])).toThrow(/4 values differ in count from expected 3/);
    t.dispose();
  });

  it('matches NaN only with NaN and infinities only with themselves', () => {
    expectTensorsClose([Number.NaN, Infinity], [Number.NaN, Infinity]);
    expect(() => expectTensorsClose([0], [Number.NaN])).toThrow();
    expect(() => expectTensorsClose([Number.NaN], [0])).toThrow();
    expect(() => expectTensorsClose([1e30], [Infinity])).toThrow();
  });

  it('reports the worst of several mismatches', () => {
    expect(() => expectTensorsClose([0, 5, 2], [1, 1, 1], { rtol: 0, atol: 0.5, label: 'grad' })).toThrow(
      /^grad: 3 of 3 values differ .* worst at flat index 1: actual 5, expected 1$/,
    );
  });
});

describe('expectNoTensorLeaks', () => {
  it('passes for tidy work and fails naming the counts for a leak', async () => {
    await expectNoTensorLeaks(() => tf.tidy(() => tf.add(tf.ones([2]), 1).dataSync()));
    let kept: tf.Tensor | undefined;
    await expect(
      expectNoTensorLeaks(() => {
        kept = tf.ones([3]);
      }),
    ).rejects.toThrow(/tensor leak: (\d+) live tensors before, \d+ after \(expected a change of 0\)/);
    kept?.dispose();
    const result = await expectNoTensorLeaks(() => tf.zeros([1]), 1);
    result.dispose();
  });
});
