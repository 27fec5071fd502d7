import { cpuBackend } from '@plasticity/backend-cpu';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
// Each loss against its formula computed in plain JavaScript, and each metric against its
// definition over several batches.
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@plasticity/core';
import { expectTensorsClose } from '@plasticity/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUC, Precision, R2Score, Recall, RootMeanSquaredError, getLoss, getMetric } from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

const yTrue = [
  [0.2, 0.8, 0.0],
  [1.0, 0.0, 0.5],
];
const yPred = [
  [0.1, 0.6, 0.3],
  [0.7, 0.2, 0.9],
];
const perRow = (f: (t: number, p: number) => number): number[] =>
  yTrue.map((row, i) => row.reduce((s, t, j) => s + f(t, yPred[i]![j]!), 0) / row.length);
const clip = (p: number): number => Math.min(Math.max(p, 1e-7), 1 - 1e-7);

function loss(name: string | object, t = yTrue, p = yPred): number[] {
  return Array.from(
    getLoss(name as never)
      .call(tf.tensor2d(t), tf.tensor2d(p))
      .dataSync(),
  );
}

describe('losses match their formulas', () => {
  it('regression losses', () => {
    expectTensorsClose(
      loss('mse'),
      perRow((t, p) => (t - p) ** 2),
    );
    expectTensorsClose(
      loss('mean_absolute_error'),
      perRow((t, p) => Math.abs(t - p)),
    );
    expectTensorsClose(
      loss('mape'),
      perRow((t, p) => (100 * Math.abs(t - p)) / Math.max(Math.abs(t), 1e-7)),
      { rtol: 1e-4 },
    );
    expectTensorsClose(
      loss('msle'),
      perRow((t, p) => (Math.log1p(Math.max(p, 1e-7)) - Math.log1p(Math.max(t, 1e-7))) ** 2),
    );
    expectTensorsClose(
      loss({ className: 'Huber', config: { delta: 0.3 } }),
      perRow((t, p) => {
        const e = Math.abs(t - p);
        return e <= 0.3 ? 0.5 * e * e : 0.3 * (e - 0.15);
      }),
    );
    expectTensorsClose(
      loss('logCosh'),
      perRow((t, p) => Math.log(Math.cosh(p - t))),
      { atol: 1e-6 },
    );
    expectTensorsClose(
      loss('poisson'),
      perRow((t, p) => p - t * Math.log(p + 1e-7)),
    );
  });

  it('cross-entropies from probabilities and logits, with label smoothing', () => {
    expectTensorsClose(
      loss('binaryCrossentropy'),
      perRow((t, p) => -(t * Math.log(clip(p)) + (1 - t) * Math.log(1 - clip(p)))),
      { rtol: 1e-4 },
    );
    const logits = [
      [2, -1, 0.5],
      [-3, 0.2, 1],
    ];
    const sig = (z: number): number => 1 / (1 + Math.exp(-z));
    const bceLogits = yTrue.map(
      (row, i) =>
        row.reduce(
          (s, t, j) => s - (t * Math.log(sig(logits[i]![j]!)) + (1 - t) * Math.log(1 - sig(logits[i]![j]!))),
          0,
        ) / 3,
    );
    expectTensorsClose(
      loss({ className: 'BinaryCrossentropy', config: { fromLogits: true } }, yTrue, logits),
      bceLogits,
      { rtol: 1e-5 },
    );
    const oneHot = [
      [0, 1, 0],
      [1, 0, 0],
    ];
    const probs = yPred.map((r) => r.map((v) => v / r.reduce((a, b) => a + b, 0)));
    expectTensorsClose(
      loss('categoricalCrossentropy', oneHot, yPred),
      oneHot.map((r, i) => -Math.log(probs[i]![r.indexOf(1)]!)),
      { rtol: 1e-5 },
    );
    const smoothed = oneHot.map((r) => r.map((v) => v * 0.9 + 0.1 / 3));
    const lse = (r: number[]): number => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    expectTensorsClose(
      loss({ className: 'CategoricalCrossentropy', config: { fromLogits: true, labelSmoothing: 0.1 } }, oneHot, logits),
      smoothed.map((r, i) => -r.reduce((s, t, j) => s + t * (logits[i]![j]! - lse(logits[i]!)), 0)),
      { rtol: 1e-5 },
    );
    const sparse = getLoss({ className: 'SparseCategoricalCrossentropy', config: { fromLogits: true } })
      .call(tf.tensor1d([1, 0], 'int32'), tf.tensor2d(logits))
      .dataSync();
    expectTensorsClose(sparse, [lse(logits[0]!) - logits[0]![1]!, lse(logits[1]!) - logits[1]![0]!], { rtol: 1e-5 });
  });

  it('divergence, similarity, hinge and focal losses', () => {
    expectTensorsClose(
      loss('kld'),
      yTrue.map((r, i) =>
        r.reduce((s, t, j) => {
          const a = Math.min(Math.max(t, 1e-7), 1);
          const b = Math.min(Math.max(yPred[i]![j]!, 1e-7), 1);
          return s + a * Math.log(a / b);
        }, 0),
      ),
      { rtol: 1e-4 },
    );
    const cos = yTrue.map((r, i) => {
      const p = yPred[i]!;
      const dot = r.reduce((s, t, j) => s + t * p[j]!, 0);
      return -dot / (Math.hypot(...r) * Math.hypot(...p));
    });
    expectTensorsClose(loss('cosineSimilarity'), cos, { rtol: 1e-5 });
    const labels = [
      [1, 0, 1],
      [0, 1, 1],
    ];
    const signed = labels.map((r) => r.map((v) => (v === 0 ? -1 : 1)));
    expectTensorsClose(
      loss('hinge', labels),
      signed.map((r, i) => r.reduce((s, t, j) => s + Math.max(0, 1 - t * yPred[i]![j]!), 0) / 3),
    );
    expectTensorsClose(
      loss('squaredHinge', labels),
      signed.map((r, i) => r.reduce((s, t, j) => s + Math.max(0, 1 - t * yPred[i]![j]!) ** 2, 0) / 3),
    );
    const focal = labels.map(
      (r, i) =>
        r.reduce((s, t, j) => {
          const p = clip(yPred[i]![j]!);
          const pt = t * p + (1 - t) * (1 - p);
          const alpha = t * 0.25 + (1 - t) * 0.75;
          return s - alpha * (1 - pt) ** 2 * Math.log(pt);
        }, 0) / 3,
    );
    expectTensorsClose(
      loss({ className: 'BinaryFocalCrossentropy', config: { applyClassBalancing: true } }, labels),
      focal,
      { rtol: 1e-5 },
    );
  });

  it('rejects unknown names and bad options', () => {
    expect(() => getLoss('meanCubedError')).toThrow(/Unknown loss "MeanCubedError"/);
    expect(() => getLoss({ className: 'CategoricalCrossentropy', config: { labelSmoothing: 2 } })).toThrow(ValueError);
  });
});

describe('metrics accumulate over batches', () => {
  it('accuracy variants and top-k', () => {
    const acc = getMetric('accuracy', 'SparseCategoricalCrossentropy');
    acc.update(
      tf.tensor1d([0, 2]),
      tf.tensor2d([
        [0.9, 0.05, 0.05],
        [0.1, 0.8, 0.1],
      ]),
    );
    acc.update(tf.tensor1d([1]), tf.tensor2d([[0.2, 0.7, 0.1]]));
    expect(acc.result()).toBeCloseTo(2 / 3, 10);
    const top2 = getMetric({ className: 'TopKCategoricalAccuracy', config: { k: 2 } });
    top2.update(
      tf.tensor2d([
        [0, 0, 1],
        [1, 0, 0],
      ]),
      tf.tensor2d([
        [0.5, 0.2, 0.3],
        [0.1, 0.5, 0.4],
      ]),
    );
    expect(top2.result()).toBeCloseTo(0.5, 10);
    const binary = getMetric('accuracy', 'BinaryCrossentropy');
    binary.update(tf.tensor2d([[1], [0], [1]]), tf.tensor2d([[0.7], [0.6], [0.2]]));
    expect(binary.result()).toBeCloseTo(1 / 3, 10);
  });

  it('precision, recall, RMSE and R² over all batches, not batch means', () => {
    const p = new Precision();
    const r = new Recall();
    const batches: [number[], number[]][] = [
      [
        [1, 0, 1, 1],
        [0.9, 0.8, 0.2, 0.7],
      ],
      [
        [0, 1],
        [0.1, 0.6],
      ],
    ];
    for (const [t, s] of batches) {
      p.update(tf.tensor1d(t), tf.tensor1d(s));
      r.update(tf.tensor1d(t), tf.tensor1d(s));
    }
    // tp = 3 (0.9, 0.7, 0.6), fp = 1 (0.8), fn = 1 (0.2)
    expect(p.result()).toBeCloseTo(0.75, 10);
    expect(r.result()).toBeCloseTo(0.75, 10);
    const rmse = new RootMeanSquaredError();
    rmse.update(tf.tensor1d([1, 2]), tf.tensor1d([1, 4]));
    rmse.update(tf.tensor1d([0]), tf.tensor1d([3]));
    expect(rmse.result()).toBeCloseTo(Math.sqrt((0 + 4 + 9) / 3), 6);
    const r2 = new R2Score();
    const truth = [3, -0.5, 2, 7];
    const pred = [2.5, 0.0, 2, 8];
    r2.update(tf.tensor2d(truth.slice(0, 2), [2, 1]), tf.tensor2d(pred.slice(0, 2), [2, 1]));
    r2.update(tf.tensor2d(truth.slice(2), [2, 1]), tf.tensor2d(pred.slice(2), [2, 1]));
    expect(r2.result()).toBeCloseTo(0.9486081370449679, 5); // scikit-learn's documented example
  });

  it('AUC approaches the exact rank statistic', () => {
    const scores = Array.from({ length: 200 }, (_, i) => ((i * 7919) % 200) / 200);
    const labels = scores.map((s, i) => (s + ((i * 31) % 7) / 20 > 0.6 ? 1 : 0));
    let pairs = 0;
    let wins = 0;
    scores.forEach((s, i) =>
      scores.forEach((q, j) => {
        if (labels[i] === 1 && labels[j] === 0) {
          pairs++;
          wins += s > q ? 1 : s === q ? 0.5 : 0;
        }
      }),
    );
    const auc = new AUC({ numThresholds: 1000 });
    auc.update(tf.tensor1d(labels.slice(0, 100)), tf.tensor1d(scores.slice(0, 100)));
    auc.update(tf.tensor1d(labels.slice(100)), tf.tensor1d(scores.slice(100)));
    expect(auc.result()).toBeCloseTo(wins / pairs, 2);
  });
});
