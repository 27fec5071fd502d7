/**
 * The backend conformance cases: forward results and gradients of the ops that Plasticity's
 * layers, optimizers and recommenders use. Every case has a float64 reference in plain JavaScript
 * (reference.ts); gradients are checked against central finite differences of that reference.
 */
import type * as tfTypes from '@tensorflow/tfjs-core';
import * as R from './reference.js';
import type { Nd } from './reference.js';

type TF = typeof tfTypes;
type T = tfTypes.Tensor;

/** How an input is generated. Float inputs are seeded uniform draws, rounded to float32. */
export type InputSpec =
  { shape: number[]; kind?: 'float' | 'positive' } | { shape: number[]; kind: 'int'; values: number[] };

export interface ConformanceCase {
  /** Unique; used in test titles and in known-gap lists. */
  name: string;
  /** The op family, for grouping. */
  group: string;
  inputs: InputSpec[];
  forward: (tf: TF, ...x: T[]) => T;
  reference: (...x: Nd[]) => Nd;
  /** Check gradients of float inputs against finite differences (default true). */
  grad?: boolean;
  /** Forward tolerance override. */
  tolerance?: { rtol?: number; atol?: number };
}

const f = (...shape: number[]): InputSpec => ({ shape });
const ints = (shape: number[], values: number[]): InputSpec => ({ shape, kind: 'int', values });

const unary = (
  name: string,
  op: (tf: TF, x: T) => T,
  ref: (v: number) => number,
  kind: 'float' | 'positive' = 'float',
): ConformanceCase => ({
  name,
  group: 'elementwise',
  inputs: [{ shape: [3, 4], kind }],
  forward: (tf, x) => op(tf, x!),
  reference: (x) => R.map(x!, ref),
});

const binary = (
  name: string,
  op: (tf: TF, a: T, b: T) => T,
  ref: (a: number, b: number) => number,
  kinds: ['float' | 'positive', 'float' | 'positive'] = ['float', 'float'],
): ConformanceCase => ({
  name: `${name} (broadcast [2,3,4]×[3,1])`,
  group: 'elementwise',
  inputs: [
    { shape: [2, 3, 4], kind: kinds[0] },
    { shape: [3, 1], kind: kinds[1] },
  ],
  forward: (tf, a, b) => op(tf, a!, b!),
  reference: (a, b) => R.broadcast(a!, b!, ref),
});

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

const matMulCases: ConformanceCase[] = (
  [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const
).flatMap(([ta, tb]) => [
  {
    name: `matMul transposeA=${ta} transposeB=${tb}`,
    group: 'matMul',
    inputs: [f(...(ta ? [5, 3] : [3, 5])), f(...(tb ? [4, 5] : [5, 4]))],
    forward: (tf: TF, a?: T, b?: T) => tf.matMul(a!, b!, ta, tb),
    reference: (a?: Nd, b?: Nd) => R.matMul(a!, b!, ta, tb),
  },
  {
    name: `batched matMul transposeA=${ta} transposeB=${tb}`,
    group: 'matMul',
    inputs: [f(...(ta ? [2, 5, 3] : [2, 3, 5])), f(...(tb ? [2, 4, 5] : [2, 5, 4]))],
    forward: (tf: TF, a?: T, b?: T) => tf.matMul(a!, b!, ta, tb),
    reference: (a?: Nd, b?: Nd) => R.matMul(a!, b!, ta, tb),
  },
]);

/** Every case, in a stable order. */
export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  ...matMulCases,
  {
    name: 'fused matMul + bias + relu',
    group: 'matMul',
    inputs: [f(4, 6), f(6, 5), f(5)],
    forward: (tf, a, b, bias) => tf.fused.matMul({ a: a!, b: b!, bias: bias!, activation: 'relu' }),
    reference: (a, b, bias) =>
      R.map(
        R.broadcast(R.matMul(a!, b!), bias!, (x, y) => x + y),
        (v) => Math.max(0, v),
      ),
  },
  {
    name: 'conv2d valid stride 1',
    group: 'conv',
    inputs: [f(2, 5, 5, 2), f(3, 3, 2, 3)],
    forward: (tf, x, w) => tf.conv2d(x as tfTypes.Tensor4D, w as tfTypes.Tensor4D, 1, 'valid'),
    reference: (x, w) => R.conv2d(x!, w!, 1, 'valid'),
  },
  {
    name: 'conv2d same stride 2',
    group: 'conv',
    inputs: [f(1, 6, 5, 3), f(3, 3, 3, 2)],
    forward: (tf, x, w) => tf.conv2d(x as tfTypes.Tensor4D, w as tfTypes.Tensor4D, 2, 'same'),
    reference: (x, w) => R.conv2d(x!, w!, 2, 'same'),
  },
  {
    name: 'conv2d same dilation 2',
    group: 'conv',
    inputs: [f(1, 6, 6, 2), f(2, 2, 2, 2)],
    forward: (tf, x, w) => tf.conv2d(x as tfTypes.Tensor4D, w as tfTypes.Tensor4D, 1, 'same', 'NHWC', 2),
    reference: (x, w) => R.conv2d(x!, w!, 1, 'same', 2),
  },
  {
    name: 'depthwiseConv2d same stride 1',
    group: 'conv',
    inputs: [f(1, 5, 5, 2), f(3, 3, 2, 2)],
    forward: (tf, x, w) => tf.depthwiseConv2d(x as tfTypes.Tensor4D, w as tfTypes.Tensor4D, 1, 'same'),
    reference: (x, w) => R.depthwiseConv2d(x!, w!, 1, 'same'),
  },
  {
    name: 'conv2dTranspose valid stride 2',
    group: 'conv',
    inputs: [f(1, 3, 3, 2), f(2, 2, 3, 2)],
    forward: (tf, x, w) => tf.conv2dTranspose(x as tfTypes.Tensor4D, w as tfTypes.Tensor4D, [1, 6, 6, 3], 2, 'valid'),
    reference: (x, w) => R.conv2dTransposeValid(x!, w!, 2),
  },
  {
    name: 'maxPool 2x2 stride 2 valid',
    group: 'pooling',
    inputs: [f(2, 4, 4, 2)],
    forward: (tf, x) => tf.maxPool(x as tfTypes.Tensor4D, 2, 2, 'valid'),
    reference: (x) => R.pool(x!, 2, 2, 'valid', 'max'),
  },
  {
    name: 'maxPool 3x3 stride 2 same',
    group: 'pooling',
    inputs: [f(1, 5, 5, 2)],
    forward: (tf, x) => tf.maxPool(x as tfTypes.Tensor4D, 3, 2, 'same'),
    reference: (x) => R.pool(x!, 3, 2, 'same', 'max'),
  },
  {
    name: 'avgPool 2x2 stride 2 valid',
    group: 'pooling',
    inputs: [f(2, 4, 4, 2)],
    forward: (tf, x) => tf.avgPool(x as tfTypes.Tensor4D, 2, 2, 'valid'),
    reference: (x) => R.pool(x!, 2, 2, 'valid', 'avg'),
  },
  {
    name: 'avgPool 3x3 stride 2 same',
    group: 'pooling',
    inputs: [f(1, 5, 5, 2)],
    forward: (tf, x) => tf.avgPool(x as tfTypes.Tensor4D, 3, 2, 'same'),
    reference: (x) => R.pool(x!, 3, 2, 'same', 'avg'),
  },
  {
    name: 'sum over axis 1',
    group: 'reduction',
    inputs: [f(3, 4, 2)],
    forward: (tf, x) => tf.sum(x!, 1),
    reference: (x) => R.reduce(x!, [1], false, R.sumOf),
  },
  {
    name: 'sum over all axes',
    group: 'reduction',
    inputs: [f(3, 4)],
    forward: (tf, x) => tf.sum(x!),
    reference: (x) => R.reduce(x!, [0, 1], false, R.sumOf),
  },
  {
    name: 'mean over axis -1 keepDims',
    group: 'reduction',
    inputs: [f(3, 5)],
    forward: (tf, x) => tf.mean(x!, -1, true),
    reference: (x) => R.reduce(x!, [-1], true, (v) => R.sumOf(v) / v.length),
  },
  {
    name: 'max over axis 0',
    group: 'reduction',
    inputs: [f(4, 3)],
    forward: (tf, x) => tf.max(x!, 0),
    reference: (x) => R.reduce(x!, [0], false, (v) => Math.max(...v)),
  },
  {
    name: 'min over axis 1',
    group: 'reduction',
    inputs: [f(4, 3)],
    forward: (tf, x) => tf.min(x!, 1),
    reference: (x) => R.reduce(x!, [1], false, (v) => Math.min(...v)),
  },
  {
    name: 'logSumExp over axis 1',
    group: 'reduction',
    inputs: [f(3, 4)],
    forward: (tf, x) => tf.logSumExp(x!, 1),
    reference: (x) => R.reduce(x!, [1], false, (v) => Math.log(R.sumOf(v.map(Math.exp)))),
  },
  {
    name: 'moments variance over axis 0',
    group: 'reduction',
    inputs: [f(5, 3)],
    forward: (tf, x) => tf.moments(x!, 0).variance,
    reference: (x) =>
      R.reduce(x!, [0], false, (v) => {
        const m = R.sumOf(v) / v.length;
        return R.sumOf(v.map((y) => (y - m) ** 2)) / v.length;
      }),
  },
  {
    name: 'softmax last axis',
    group: 'softmax',
    inputs: [f(3, 5)],
    forward: (tf, x) => tf.softmax(x!),
    reference: (x) => R.softmax(x!),
  },
  {
    name: 'logSoftmax last axis',
    group: 'softmax',
    inputs: [f(3, 5)],
    forward: (tf, x) => tf.logSoftmax(x!),
    reference: (x) => R.softmax(x!, true),
  },
  {
    name: 'gather axis 0 (embedding lookup, repeated ids)',
    group: 'gather',
    inputs: [f(5, 3), ints([4], [4, 0, 2, 0])],
    forward: (tf, x, i) => tf.gather(x!, i!, 0),
    reference: (x, i) => R.gather(x!, Array.from(i!.data), 0),
  },
  {
    name: 'gather axis 1',
    group: 'gather',
    inputs: [f(2, 5, 2), ints([3], [1, 4, 1])],
    forward: (tf, x, i) => tf.gather(x!, i!, 1),
    reference: (x, i) => R.gather(x!, Array.from(i!.data), 1),
  },
  {
    name: 'scatterND rows with duplicate indices',
    group: 'scatter',
    inputs: [ints([3, 1], [2, 0, 2]), f(3, 4)],
    forward: (tf, i, u) => tf.scatterND(i!, u!, [4, 4]),
    reference: (i, u) => {
      const out = R.nd([4, 4]);
      Array.from(i!.data).forEach((row, k) => {
        for (let c = 0; c < 4; c++) out.data[row * 4 + c]! += u!.data[k * 4 + c]!;
      });
      return out;
    },
  },
  {
    name: 'unsortedSegmentSum',
    group: 'scatter',
    inputs: [f(5, 2), ints([5], [1, 0, 1, 2, 1])],
    forward: (tf, x, s) => tf.unsortedSegmentSum(x!, s as tfTypes.Tensor1D, 3),
    reference: (x, s) => {
      const out = R.nd([3, 2]);
      Array.from(s!.data).forEach((seg, k) => {
        for (let c = 0; c < 2; c++) out.data[seg * 2 + c]! += x!.data[k * 2 + c]!;
      });
      return out;
    },
  },
  {
    name: 'oneHot depth 4',
    group: 'gather',
    inputs: [ints([3], [3, 0, 1])],
    forward: (tf, i) => tf.oneHot(i!, 4),
    reference: (i) =>
      R.nd(
        [3, 4],
        Array.from(i!.data).flatMap((v) => [0, 1, 2, 3].map((c) => (c === v ? 1 : 0))),
      ),
  },
  {
    name: 'argMax axis 1',
    group: 'reduction',
    inputs: [f(4, 5)],
    forward: (tf, x) => tf.argMax(x!, 1),
    reference: (x) => R.reduce(x!, [1], false, (v) => v.indexOf(Math.max(...v))),
    grad: false,
  },
  {
    name: 'transpose [0,2,1]',
    group: 'shape',
    inputs: [f(2, 3, 4)],
    forward: (tf, x) => tf.transpose(x!, [0, 2, 1]),
    reference: (x) => R.transpose(x!, [0, 2, 1]),
  },
  {
    name: 'concat axis 1',
    group: 'shape',
    inputs: [f(2, 3), f(2, 2)],
    forward: (tf, a, b) => tf.concat([a!, b!], 1),
    reference: (a, b) =>
      R.nd(
        [2, 5],
        [0, 1].flatMap((r) => [...a!.data.subarray(r * 3, r * 3 + 3), ...b!.data.subarray(r * 2, r * 2 + 2)]),
      ),
  },
  {
    name: 'slice [1,1] size [2,2]',
    group: 'shape',
    inputs: [f(3, 4)],
    forward: (tf, x) => tf.slice(x!, [1, 1], [2, 2]),
    reference: (x) => R.nd([2, 2], [x!.data[5]!, x!.data[6]!, x!.data[9]!, x!.data[10]!]),
  },
  {
    name: 'reshape then tile',
    group: 'shape',
    inputs: [f(2, 3)],
    forward: (tf, x) => tf.tile(tf.reshape(x!, [3, 2]), [2, 1]),
    reference: (x) => R.nd([6, 2], [...x!.data, ...x!.data]),
  },
  {
    name: 'where(x > 0, x, 0.1x)',
    group: 'elementwise',
    inputs: [f(3, 4)],
    forward: (tf, x) => tf.where(tf.greater(x!, 0), x!, tf.mul(x!, 0.1)),
    reference: (x) => R.map(x!, (v) => (v > 0 ? v : 0.1 * v)),
  },
  {
    name: 'clipByValue [-0.5, 0.5]',
    group: 'elementwise',
    inputs: [f(3, 4)],
    forward: (tf, x) => tf.clipByValue(x!, -0.5, 0.5),
    reference: (x) => R.map(x!, (v) => Math.min(0.5, Math.max(-0.5, v))),
  },
  unary('exp', (tf, x) => tf.exp(x), Math.exp),
  unary('log', (tf, x) => tf.log(x), Math.log, 'positive'),
  unary('log1p', (tf, x) => tf.log1p(x), Math.log1p, 'positive'),
  unary('sqrt', (tf, x) => tf.sqrt(x), Math.sqrt, 'positive'),
  unary(
    'rsqrt',
    (tf, x) => tf.rsqrt(x),
    (v) => 1 / Math.sqrt(v),
    'positive',
  ),
  unary(
    'reciprocal',
    (tf, x) => tf.reciprocal(x),
    (v) => 1 / v,
    'positive',
  ),
  unary(
    'square',
    (tf, x) => tf.square(x),
    (v) => v * v,
  ),
  unary('abs', (tf, x) => tf.abs(x), Math.abs),
  unary(
    'neg',
    (tf, x) => tf.neg(x),
    (v) => -v,
  ),
  unary('tanh', (tf, x) => tf.tanh(x), Math.tanh),
  unary('sigmoid', (tf, x) => tf.sigmoid(x), sigmoid),
  unary(
    'logSigmoid',
    (tf, x) => tf.logSigmoid(x),
    (v) => Math.log(sigmoid(v)),
  ),
  unary(
    'softplus',
    (tf, x) => tf.softplus(x),
    (v) => Math.log1p(Math.exp(v)),
  ),
  unary(
    'relu',
    (tf, x) => tf.relu(x),
    (v) => Math.max(0, v),
  ),
  unary(
    'relu6 of 8x',
    (tf, x) => tf.relu6(tf.mul(x, 8)),
    (v) => Math.min(6, Math.max(0, 8 * v)),
  ),
  unary(
    'leakyRelu 0.2',
    (tf, x) => tf.leakyRelu(x, 0.2),
    (v) => (v > 0 ? v : 0.2 * v),
  ),
  unary(
    'elu',
    (tf, x) => tf.elu(x),
    (v) => (v > 0 ? v : Math.exp(v) - 1),
  ),
  unary(
    'selu',
    (tf, x) => tf.selu(x),
    (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (Math.exp(v) - 1)),
  ),
  unary('sin', (tf, x) => tf.sin(x), Math.sin),
  unary('cos', (tf, x) => tf.cos(x), Math.cos),
  unary('erf', (tf, x) => tf.erf(x), erf),
  {
    name: 'cumsum axis 1',
    group: 'elementwise',
    inputs: [f(2, 4)],
    forward: (tf, x) => tf.cumsum(x!, 1),
    reference: (x) =>
      R.nd(
        [2, 4],
        [0, 1].flatMap((r) => [1, 2, 3, 4].map((n) => R.sumOf(Array.from(x!.data.subarray(r * 4, r * 4 + n))))),
      ),
  },
  binary(
    'add',
    (tf, a, b) => tf.add(a, b),
    (a, b) => a + b,
  ),
  binary(
    'sub',
    (tf, a, b) => tf.sub(a, b),
    (a, b) => a - b,
  ),
  binary(
    'mul',
    (tf, a, b) => tf.mul(a, b),
    (a, b) => a * b,
  ),
  binary(
    'div',
    (tf, a, b) => tf.div(a, b),
    (a, b) => a / b,
    ['float', 'positive'],
  ),
  binary(
    'pow',
    (tf, a, b) => tf.pow(a, b),
    (a, b) => a ** b,
    ['positive', 'float'],
  ),
  binary('maximum', (tf, a, b) => tf.maximum(a, b), Math.max),
  binary('minimum', (tf, a, b) => tf.minimum(a, b), Math.min),
  binary(
    'squaredDifference',
    (tf, a, b) => tf.squaredDifference(a, b),
    (a, b) => (a - b) ** 2,
  ),
];

/** erf by its Maclaurin series (converges fast for |x| <= 3; inputs here are in [-1, 1]). */
function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
