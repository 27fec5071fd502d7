import { cpuBackend } from '@plasticity/backend-cpu';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
// Every layer's forward pass against an independent reference (hand formulas, or the float64
// loop implementations in @plasticity/test-utils' conformance references), and its gradients
// against finite differences.
import * as tf from '@tensorflow/tfjs-core';
import { createRng, randomTensor, ShapeError, ValueError } from '@plasticity/core';
import { expectGradientsMatchFiniteDifferences, expectTensorsClose, reference as R } from '@plasticity/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Activation,
  Add,
  Average,
  AveragePooling1D,
  AveragePooling2D,
  BatchNormalization,
  Concatenate,
  Conv1D,
  Conv2D,
  Conv2DTranspose,
  Dense,
  DepthwiseConv2D,
  Dot,
  Dropout,
  Embedding,
  Flatten,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  LayerNormalization,
  MaxPooling1D,
  MaxPooling2D,
  Maximum,
  Minimum,
  Multiply,
  Permute,
  RepeatVector,
  Reshape,
  SeparableConv2D,
  Subtract,
  UpSampling2D,
  ZeroPadding2D,
  type Layer,
} from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

let seed = 100;
const rand = (shape: number[], scale = 1): tf.Tensor =>
  randomTensor(shape, createRng(seed++), { min: -scale, max: scale });
const nd = (t: tf.Tensor): R.Nd => R.nd([...t.shape], t.dataSync());
const close = (actual: tf.Tensor, expected: R.Nd, tol = 1e-4): void =>
  expectTensorsClose(actual, { values: expected.data, shape: expected.shape }, { rtol: tol, atol: tol });

/** Checks d(sum(layer(x) · w))/d(x) and /d(trainable weights) against finite differences. */
function gradientCheck(
  layer: Layer,
  x: tf.Tensor | tf.Tensor[],
  options: { weights?: boolean; training?: boolean } = {},
): void {
  const xs = Array.isArray(x) ? x : [x];
  const run = (input: tf.Tensor | tf.Tensor[]): tf.Tensor =>
    (layer.apply as (i: tf.Tensor | tf.Tensor[], a: { training: boolean }) => tf.Tensor)(input, {
      training: options.training ?? false,
    });
  const out = tf.tidy(() => run(x));
  const w = rand([...out.shape]);
  out.dispose();
  expectGradientsMatchFiniteDifferences((...args) => tf.sum(tf.mul(run(args.length === 1 ? args[0]! : args), w)), xs);
  if (options.weights !== false) {
    const loss = (): tf.Scalar => tf.sum(tf.mul(run(x), w));
    for (const variable of layer.trainableWeights) {
      // Autodiff through the variable vs central differences of the loss as the variable moves.
      const { grads } = tf.variableGrads(loss, [variable]);
      const analytic = grads[variable.name]!;
      const base = variable.dataSync().slice();
      const eps = 1e-2;
      const numeric = new Float32Array(base.length);
      for (let i = 0; i < base.length; i++) {
        const at = (delta: number): number => {
          const shifted = base.slice();
          shifted[i] = base[i]! + delta;
          variable.assign(tf.tensor(shifted, variable.shape));
          return tf.tidy(() => loss().dataSync()[0]!);
        };
        numeric[i] = (at(eps) - at(-eps)) / (2 * eps);
      }
      variable.assign(tf.tensor(base, variable.shape));
      expectTensorsClose(
        analytic,
        { values: numeric, shape: variable.shape },
        { rtol: 2e-2, atol: 2e-3, label: `gradient of ${variable.name}` },
      );
      analytic.dispose();
    }
  }
  w.dispose();
}

describe('Dense', () => {
  it('computes activation(x·W + b) and its gradients', () => {
    const layer = new Dense({ units: 3, activation: 'tanh', biasInitializer: 'randomNormal' });
    const x = rand([4, 5]);
    const y = layer.apply(x);
    const W = nd(layer.kernel!);
    const b = nd(layer.bias!);
    close(
      y,
      R.map(
        R.broadcast(R.matMul(nd(x), W), b, (p, q) => p + q),
        Math.tanh,
      ),
    );
    gradientCheck(layer, x);
    expect(() => layer.apply(rand([4, 6]))).toThrow(ShapeError);
    expect(() => layer.apply(rand([4, 6]))).toThrow(/built for 5 input features; got \[4,6\]/);
    expect(() => new Dense({ units: 0 })).toThrow(/units must be a positive integer; got 0/);
    expect(() => new Dense({ units: 2, activation: 'nope' })).toThrow(ValueError);
  });

  it('applies per position on rank-3 input', () => {
    const layer = new Dense({ units: 2 });
    const x = rand([2, 3, 4]);
    const y = layer.apply(x);
    expect(y.shape).toEqual([2, 3, 2]);
    close(tf.reshape(y, [6, 2]), R.matMul(nd(tf.reshape(x, [6, 4])), nd(layer.kernel!)));
  });
});

describe('convolutions', () => {
  it('Conv2D matches the reference convolution, same and valid, and its gradients', () => {
    for (const [padding, strides] of [
      ['same', 2],
      ['valid', 1],
    ] as const) {
      const layer = new Conv2D({ filters: 3, kernelSize: 3, strides, padding, useBias: false });
      const x = rand([2, 5, 5, 2]);
      close(layer.apply(x), R.conv2d(nd(x), nd(layer.kernel!), strides, padding));
      expect(layer.computeOutputShape([null, 5, 5, 2])).toEqual([null, ...layer.apply(x).shape.slice(1)]);
    }
    gradientCheck(
      new Conv2D({ filters: 2, kernelSize: 2, activation: 'relu', biasInitializer: 'ones' }),
      rand([1, 4, 4, 2]),
    );
  });

  it('Conv1D is a 2-D convolution of height 1', () => {
    const layer = new Conv1D({ filters: 2, kernelSize: 3, padding: 'same', useBias: false });
    const x = rand([2, 6, 3]);
    const y = layer.apply(x);
    const ref = R.conv2d(R.nd([2, 1, 6, 3], x.dataSync()), R.nd([1, 3, 3, 2], layer.kernel!.dataSync()), 1, 'same');
    close(y, R.nd([2, 6, 2], ref.data));
    gradientCheck(layer, x);
  });

  it('Conv2DTranspose matches the scatter definition', () => {
    const layer = new Conv2DTranspose({ filters: 2, kernelSize: 2, strides: 2, useBias: false });
    const x = rand([1, 3, 3, 2]);
    close(layer.apply(x), R.conv2dTransposeValid(nd(x), nd(layer.kernel!), 2));
    gradientCheck(layer, x);
  });

  it('DepthwiseConv2D and SeparableConv2D match the references', () => {
    const depthwise = new DepthwiseConv2D({ kernelSize: 3, padding: 'same', depthMultiplier: 2, useBias: false });
    const x = rand([1, 5, 5, 2]);
    close(depthwise.apply(x), R.depthwiseConv2d(nd(x), nd(depthwise.kernel!), 1, 'same'));
    gradientCheck(depthwise, x);
    const separable = new SeparableConv2D({ filters: 3, kernelSize: 3, padding: 'same', useBias: false });
    const y = separable.apply(x);
    const mid = R.depthwiseConv2d(nd(x), nd(separable.depthwiseKernel!), 1, 'same');
    const point = R.matMul(R.nd([25, 2], mid.data), R.nd([2, 3], separable.pointwiseKernel!.dataSync()));
    close(y, R.nd([1, 5, 5, 3], point.data));
  });

  it('rejects input of the wrong rank naming the layer', () => {
    const layer = new Conv2D({ filters: 1, kernelSize: 1, name: 'conv_rank' });
    expect(() => layer.apply(rand([2, 3]))).toThrow(
      /Layer "conv_rank" \(Conv2D\) expects input of rank 4; got shape \[2,3\]/,
    );
  });
});

describe('pooling, padding, upsampling', () => {
  it('match the reference pools', () => {
    const x = rand([2, 5, 5, 3]);
    close(new MaxPooling2D({ poolSize: 2 }).apply(x), R.pool(nd(x), 2, 2, 'valid', 'max'));
    close(
      new AveragePooling2D({ poolSize: 3, strides: 2, padding: 'same' }).apply(x),
      R.pool(nd(x), 3, 2, 'same', 'avg'),
    );
    close(
      new GlobalAveragePooling2D().apply(x),
      R.reduce(nd(x), [1, 2], false, (v) => R.sumOf(v) / v.length),
    );
    const s = rand([2, 6, 3]);
    close(new MaxPooling1D({ poolSize: 2 }).apply(s), R.nd([2, 3, 3], maxPool1d(s)));
    close(new AveragePooling1D({ poolSize: 3, strides: 3 }).apply(s), avgPool1d(s, 3));
    close(
      new GlobalMaxPooling1D().apply(s),
      R.reduce(nd(s), [1], false, (v) => Math.max(...v)),
    );
    gradientCheck(new AveragePooling2D({ poolSize: 2, padding: 'same' }), rand([1, 3, 3, 1]), { weights: false });
  });

  it('ZeroPadding2D and UpSampling2D place values where they belong', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    expect(
      Array.from(
        new ZeroPadding2D({
          padding: [
            [1, 0],
            [0, 1],
          ],
        })
          .apply(x)
          .dataSync(),
      ),
    ).toEqual([0, 0, 0, 1, 2, 0, 3, 4, 0]);
    expect(Array.from(new UpSampling2D({ size: [1, 2] }).apply(x).dataSync())).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
  });
});

function maxPool1d(s: tf.Tensor): number[] {
  const v = s.arraySync() as number[][][];
  return v.flatMap((seq) =>
    [0, 1, 2].flatMap((i) => [0, 1, 2].map((c) => Math.max(seq[2 * i]![c]!, seq[2 * i + 1]![c]!))),
  );
}

function avgPool1d(s: tf.Tensor, k: number): R.Nd {
  const v = s.arraySync() as number[][][];
  const out = v.flatMap((seq) =>
    [0, 1].flatMap((i) => [0, 1, 2].map((c) => (seq[k * i]![c]! + seq[k * i + 1]![c]! + seq[k * i + 2]![c]!) / 3)),
  );
  return R.nd([2, 2, 3], out);
}

describe('normalization', () => {
  it('BatchNormalization: batch statistics while training, moving statistics otherwise', () => {
    const bn = new BatchNormalization({ momentum: 0.8, epsilon: 1e-3 });
    const x = rand([6, 3], 2);
    const y = bn.apply(x, { training: true });
    const mean = R.reduce(nd(x), [0], false, (v) => R.sumOf(v) / v.length);
    const variance = R.reduce(nd(x), [0], false, (v) => {
      const m = R.sumOf(v) / v.length;
      return R.sumOf(v.map((z) => (z - m) ** 2)) / v.length;
    });
    const expected = R.nd(
      [6, 3],
      Array.from(nd(x).data, (v, i) => (v - mean.data[i % 3]!) / Math.sqrt(variance.data[i % 3]! + 1e-3)),
    );
    close(y, expected);
    close(
      bn.movingMean!,
      R.map(mean, (m) => 0.2 * m),
    );
    close(
      bn.movingVariance!,
      R.map(variance, (v) => 0.8 + 0.2 * v),
    );
    const inference = bn.apply(x, { training: false });
    close(
      inference,
      R.nd(
        [6, 3],
        Array.from(
          nd(x).data,
          (v, i) => (v - 0.2 * mean.data[i % 3]!) / Math.sqrt(0.8 + 0.2 * variance.data[i % 3]! + 1e-3),
        ),
      ),
    );
    gradientCheck(new BatchNormalization(), rand([5, 2]), { training: true });
  });

  it('a frozen BatchNormalization runs in inference mode and leaves its statistics alone', () => {
    const bn = new BatchNormalization();
    const x = rand([4, 2]);
    bn.apply(x, { training: true });
    const before = bn.movingMean!.dataSync().slice();
    bn.trainable = false;
    const y = bn.apply(x, { training: true });
    expect(bn.movingMean!.dataSync()).toEqual(before);
    expectTensorsClose(y, bn.apply(x, { training: false }));
  });

  it('LayerNormalization normalizes each sample over the last axis', () => {
    const ln = new LayerNormalization({ epsilon: 1e-5 });
    const x = rand([3, 4], 3);
    const rows = x.arraySync() as number[][];
    const expected = rows.flatMap((r) => {
      const m = R.sumOf(r) / r.length;
      const v = R.sumOf(r.map((z) => (z - m) ** 2)) / r.length;
      return r.map((z) => (z - m) / Math.sqrt(v + 1e-5));
    });
    close(ln.apply(x), R.nd([3, 4], expected));
    gradientCheck(ln, x);
  });
});

describe('merge layers', () => {
  it('compute their elementwise formulas, with broadcasting, and gradients', () => {
    const a = rand([2, 3]);
    const b = rand([2, 3]);
    const A = nd(a);
    const B = nd(b);
    close(
      new Add().apply([a, b]) as tf.Tensor,
      R.broadcast(A, B, (p, q) => p + q),
    );
    close(
      new Subtract().apply([a, b]) as tf.Tensor,
      R.broadcast(A, B, (p, q) => p - q),
    );
    close(
      new Multiply().apply([a, b]) as tf.Tensor,
      R.broadcast(A, B, (p, q) => p * q),
    );
    close(
      new Average().apply([a, b]) as tf.Tensor,
      R.broadcast(A, B, (p, q) => (p + q) / 2),
    );
    close(new Maximum().apply([a, b]) as tf.Tensor, R.broadcast(A, B, Math.max));
    close(new Minimum().apply([a, b]) as tf.Tensor, R.broadcast(A, B, Math.min));
    const c = new Concatenate().apply([a, rand([2, 2])]) as tf.Tensor;
    expect(c.shape).toEqual([2, 5]);
    const dot = new Dot({ normalize: true }).apply([a, b]) as tf.Tensor;
    const rowsA = a.arraySync() as number[][];
    const rowsB = b.arraySync() as number[][];
    const cos = rowsA.map((r, i) => {
      const s = rowsB[i]!;
      const d = R.sumOf(r.map((v, k) => v * s[k]!));
      return d / Math.sqrt(R.sumOf(r.map((v) => v * v)) * R.sumOf(s.map((v) => v * v)));
    });
    close(dot, R.nd([2, 1], cos));
    gradientCheck(new Multiply(), [a, b], { weights: false });
    expect(() => new Add().apply([a])).toThrow(/merges a list of at least two inputs/);
    expect(() => new Add().apply([a, rand([2, 4])])).toThrow(ShapeError);
  });
});

describe('shape and utility layers', () => {
  it('Flatten, Reshape, Permute, RepeatVector, Activation', () => {
    const x = rand([2, 3, 4]);
    expect(new Flatten().apply(x).shape).toEqual([2, 12]);
    expect(new Reshape({ targetShape: [4, -1] }).computeOutputShape([null, 3, 4])).toEqual([null, 4, 3]);
    close(new Permute({ dims: [2, 1] }).apply(x), R.transpose(nd(x), [0, 2, 1]));
    const v = rand([2, 3]);
    const repeated = new RepeatVector({ n: 2 }).apply(v);
    expect(repeated.shape).toEqual([2, 2, 3]);
    close(
      new Activation({ activation: 'sigmoid' }).apply(v),
      R.map(nd(v), (z) => 1 / (1 + Math.exp(-z))),
    );
    expect(() => new Permute({ dims: [1, 1] })).toThrow(/permutation of 1..2/);
  });

  it('Dropout drops a seeded fraction while training and scales the rest', () => {
    const d = new Dropout({ rate: 0.25, seed: 3 });
    const x = tf.ones([100, 100]);
    const y = d.apply(x, { training: true });
    const values = y.dataSync();
    const kept = values.filter((v) => v !== 0);
    expect(Math.abs(kept.length / values.length - 0.75)).toBeLessThan(0.02);
    expect(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    expect(d.apply(x, { training: false })).toBe(x);
  });

  it('Embedding gathers rows and accumulates gradients of repeated ids', () => {
    const e = new Embedding({ inputDim: 5, outputDim: 3 });
    const ids = tf.tensor2d(
      [
        [1, 4],
        [1, 0],
      ],
      [2, 2],
      'int32',
    );
    const y = e.apply(ids);
    const table = e.embeddings!.arraySync() as number[][];
    close(
      y,
      R.nd(
        [2, 2, 3],
        [1, 4, 1, 0].flatMap((i) => table[i]!),
      ),
    );
    const { grads } = tf.variableGrads(() => tf.sum(e.apply(ids)), [e.embeddings!]);
    expect(Array.from(grads[e.embeddings!.name]!.dataSync())).toEqual([1, 1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  });
});
