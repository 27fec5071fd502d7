import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import './tfjs-side-effects.js';
import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('tfjs gradient registration', () => {
  it('registers a gradient for every kernel tfjs-core ships one for', () => {
    // The kernel names come from tfjs-core's own gradient configs (`kernelName: RealDiv`, …).
    const require = createRequire(import.meta.url);
    const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    const source = readFileSync(entry, 'utf8');
    const files = [...source.matchAll(/from '(\.\/gradients\/\w+)'/g)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(90);
    const kernels = files.map((file) => {
      const text = readFileSync(join(dirname(entry), `${file}.js`), 'utf8');
      const name = /kernelName: (\w+)/.exec(text)?.[1];
      return String((tf as unknown as Record<string, unknown>)[name ?? ''] ?? name);
    });
    const missing = kernels.filter((kernel) => tf.getGradient(kernel) == null);
    expect(missing).toEqual([]);
  });

  it('adds the chained tensor methods (x.mul(y))', () => {
    const y = tf.tidy(() => tf.scalar(3).mul(tf.scalar(4)).add(1).dataSync()[0]);
    expect(y).toBe(13);
  });

  it('differentiates a softmax cross-entropy over matMul exactly', () => {
    // d/dW mean_i(-log softmax(x_i W)[t_i]) = x^T (softmax(xW) - onehot(t)) / n
    const x = tf.tensor2d([
      [1, 2],
      [0.5, -1],
    ]);
    const w = tf.variable(
      tf.tensor2d([
        [0.1, -0.2, 0.3],
        [0.0, 0.4, -0.1],
      ]),
    );
    const targets = tf.oneHot(tf.tensor1d([2, 0], 'int32'), 3);
    const { grads } = tf.variableGrads(() =>
      tf.mean(tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(tf.matMul(x, w))), 1))),
    );
    const p = tf.softmax(tf.matMul(x, w));
    const expected = tf.div(tf.matMul(x, tf.sub(p, targets), true, false), 2);
    expect(Array.from(grads[w.name]!.dataSync())).toEqual(
      Array.from(expected.dataSync()).map((v) => expect.closeTo(v, 6)),
    );
    tf.dispose([x, w, targets, p, expected, grads[w.name]!]);
  });
});
