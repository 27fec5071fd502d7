/**
 * Metrics (kind `metric`), accumulated over batches: each batch contributes sufficient statistics
 * (sums and counts) computed on the device, read back together with the loss in one transfer, and
 * `result()` combines them. Names follow Keras (`'accuracy'`, `'categoricalAccuracy'`, `'auc'`, …).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ValueError,
  describeValue,
  deserializePlugin,
  hasPlugin,
  registerMetric,
  type ConfigDict,
  type Serializable,
  type SerializedPlugin,
} from '@plasticity/core';
import { pascalCase } from './initializers.js';

/** Base class of accumulated metrics. */
export abstract class Metric implements Serializable {
  /** The registered name this metric saves under. */
  static readonly className: string;
  /** Name in logs (`acc`, `auc`, …). */
  readonly name: string;
  /** Running sums of the batch statistics since the last `reset`. */
  protected totals: number[] = [];

  constructor(config: { name?: string } = {}, defaultName: string) {
    this.name = config.name ?? defaultName;
  }

  /** This batch's statistics as a 1-D tensor (summed into the running totals). */
  abstract batchStatistics(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): tf.Tensor1D;

  /** Adds a batch's statistics (already read back). */
  accumulate(stats: ArrayLike<number>): void {
    if (this.totals.length === 0) this.totals = new Array<number>(stats.length).fill(0);
    for (let i = 0; i < stats.length; i++) this.totals[i]! += stats[i]!;
  }

  /** The metric over everything accumulated since `reset`. */
  abstract result(): number;

  /** Convenience: update from tensors (one read-back). */
  update(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): void {
    const stats = tf.tidy(() => this.batchStatistics(yTrue, yPred, sampleWeight));
    this.accumulate(stats.dataSync());
    stats.dispose();
  }

  /** Clears the accumulated statistics (fit calls it at the start of each epoch). */
  reset(): void {
    this.totals = [];
  }

  /** The options that rebuild this metric (JSON-safe). */
  getConfig(): ConfigDict {
    return { name: this.name };
  }
}

/**
 * Sample weights [batch] (or per step, [batch, time], as a masked sequence output gives) with
 * trailing axes of size 1 up to `rank`, to broadcast against values of that rank.
 */
function expandWeight(weight: tf.Tensor, rank: number): tf.Tensor {
  return weight.rank >= rank
    ? weight
    : tf.reshape(weight, [...weight.shape, ...new Array<number>(rank - weight.rank).fill(1)]);
}

/** A metric that is a weighted mean of per-sample values. */
export abstract class MeanMetric extends Metric {
  /** Per-sample values `[batch]` (or per step) whose weighted mean is the metric. */
  protected abstract values(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor;
  batchStatistics(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): tf.Tensor1D {
    let v = this.values(yTrue, yPred);
    if (v.rank > 1) v = tf.mean(v, -1);
    if (sampleWeight === undefined) return tf.stack([tf.sum(v), tf.scalar(v.size)]) as tf.Tensor1D;
    const w = tf.broadcastTo(expandWeight(sampleWeight, v.rank), v.shape);
    return tf.stack([tf.sum(tf.mul(v, w)), tf.sum(w)]) as tf.Tensor1D;
  }
  result(): number {
    const [sum = 0, count = 0] = this.totals;
    return count === 0 ? 0 : sum / count;
  }
}

const f32 = (t: tf.Tensor): tf.Tensor => tf.cast(t, 'float32');

/**
 * Share of predictions on the right side of `threshold`: mean of `(yPred > threshold) == yTrue`.
 *
 * Args (config): `threshold` (default 0.5), `name` (default `binary_accuracy`).
 */
export class BinaryAccuracy extends MeanMetric {
  static override readonly className = 'BinaryAccuracy';
  /** Probability above which a prediction counts as 1. */
  readonly threshold: number;
  constructor(config: { name?: string; threshold?: number } = {}) {
    super(config, 'binary_accuracy');
    this.threshold = config.threshold ?? 0.5;
  }
  protected values(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return f32(tf.equal(f32(tf.greater(yPred, this.threshold)), f32(tf.greater(yTrue, 0.5))));
  }
  override getConfig(): ConfigDict {
    return { ...super.getConfig(), threshold: this.threshold };
  }
}

/** Share of samples whose arg-max prediction is the one-hot label's class (`yTrue` `[batch, classes]`). */
export class CategoricalAccuracy extends MeanMetric {
  static override readonly className = 'CategoricalAccuracy';
  constructor(config: { name?: string } = {}) {
    super(config, 'categorical_accuracy');
  }
  protected values(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return f32(tf.equal(tf.argMax(yTrue, -1), tf.argMax(yPred, -1)));
  }
}

function sparseLabels(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.cast(yTrue.rank === yPred.rank ? tf.squeeze(yTrue, [-1]) : yTrue, 'int32');
}

/** Share of samples whose arg-max prediction equals the integer label (`yTrue` `[batch]` or `[batch, 1]`). */
export class SparseCategoricalAccuracy extends MeanMetric {
  static override readonly className = 'SparseCategoricalAccuracy';
  constructor(config: { name?: string } = {}) {
    super(config, 'sparse_categorical_accuracy');
  }
  protected values(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return f32(tf.equal(sparseLabels(yTrue, yPred), tf.cast(tf.argMax(yPred, -1), 'int32')));
  }
}

/** Whether the true class is among the k highest scores. */
export class TopKCategoricalAccuracy extends MeanMetric {
  static override readonly className: string = 'TopKCategoricalAccuracy';
  /** How many of the highest scores count. Default 5. */
  readonly k: number;
  constructor(config: { name?: string; k?: number } = {}) {
    super(config, 'top_k_categorical_accuracy');
    this.k = config.k ?? 5;
  }
  /** The true class index per sample, from one-hot labels. */
  protected trueClass(yTrue: tf.Tensor, _yPred: tf.Tensor): tf.Tensor {
    return tf.cast(tf.argMax(yTrue, -1), 'int32');
  }
  protected values(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const classes = yPred.shape[yPred.rank - 1]!;
    const truth = this.trueClass(yTrue, yPred);
    const trueScore = tf.sum(tf.mul(yPred, tf.oneHot(tf.reshape(truth, [-1]), classes).reshape(yPred.shape)), -1, true);
    // Rank = how many classes score strictly higher than the true class.
    const higher = tf.sum(f32(tf.greater(yPred, trueScore)), -1);
    return f32(tf.less(higher, this.k));
  }
  override getConfig(): ConfigDict {
    return { ...super.getConfig(), k: this.k };
  }
}

/** Top-k accuracy with integer labels (`yTrue` `[batch]`). */
export class SparseTopKCategoricalAccuracy extends TopKCategoricalAccuracy {
  static override readonly className: string = 'SparseTopKCategoricalAccuracy';
  constructor(config: { name?: string; k?: number } = {}) {
    super({ name: config.name ?? 'sparse_top_k_categorical_accuracy', k: config.k ?? 5 });
  }
  protected override trueClass(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return sparseLabels(yTrue, yPred);
  }
}

/** Mean squared error, accumulated over the epoch (`metrics: ['mse']`). */
export class MeanSquaredErrorMetric extends MeanMetric {
  static override readonly className = 'MeanSquaredErrorMetric';
  constructor(config: { name?: string } = {}) {
    super(config, 'mse');
  }
  protected values(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return tf.squaredDifference(yPred, yTrue);
  }
}

/** Mean absolute error, accumulated over the epoch (`metrics: ['mae']`). */
export class MeanAbsoluteErrorMetric extends MeanMetric {
  static override readonly className = 'MeanAbsoluteErrorMetric';
  constructor(config: { name?: string } = {}) {
    super(config, 'mae');
  }
  protected values(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return tf.abs(tf.sub(yPred, yTrue));
  }
}

/** √(mean squared error) over everything seen (not a mean of batch RMSEs). */
export class RootMeanSquaredError extends MeanMetric {
  static override readonly className = 'RootMeanSquaredError';
  constructor(config: { name?: string } = {}) {
    super(config, 'rmse');
  }
  protected values(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return tf.squaredDifference(yPred, yTrue);
  }
  override result(): number {
    return Math.sqrt(super.result());
  }
}

/** Precision or recall of `yPred > threshold` against `yTrue > 0.5`. */
abstract class ConfusionMetric extends Metric {
  /** Probability above which a prediction counts as positive. Default 0.5. */
  readonly threshold: number;
  constructor(config: { name?: string; threshold?: number }, name: string) {
    super(config, name);
    this.threshold = config.threshold ?? 0.5;
  }
  batchStatistics(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): tf.Tensor1D {
    const predicted = f32(tf.greater(yPred, this.threshold));
    const actual = f32(tf.greater(yTrue, 0.5));
    const w =
      sampleWeight === undefined
        ? tf.onesLike(predicted)
        : tf.broadcastTo(expandWeight(sampleWeight, predicted.rank), predicted.shape);
    const tp = tf.sum(tf.mul(tf.mul(predicted, actual), w));
    const fp = tf.sum(tf.mul(tf.mul(predicted, tf.sub(1, actual)), w));
    const fn = tf.sum(tf.mul(tf.mul(tf.sub(1, predicted), actual), w));
    return tf.stack([tp, fp, fn]) as tf.Tensor1D;
  }
  override getConfig(): ConfigDict {
    return { ...super.getConfig(), threshold: this.threshold };
  }
}

/** True positives / predicted positives, over the epoch, of `yPred > threshold` (default 0.5). */
export class Precision extends ConfusionMetric {
  static override readonly className = 'Precision';
  constructor(config: { name?: string; threshold?: number } = {}) {
    super(config, 'precision');
  }
  result(): number {
    const [tp = 0, fp = 0] = this.totals;
    return tp + fp === 0 ? 0 : tp / (tp + fp);
  }
}

/** True positives / actual positives, over the epoch, of `yPred > threshold` (default 0.5). */
export class Recall extends ConfusionMetric {
  static override readonly className = 'Recall';
  constructor(config: { name?: string; threshold?: number } = {}) {
    super(config, 'recall');
  }
  result(): number {
    const [tp = 0, , fn = 0] = this.totals;
    return tp + fn === 0 ? 0 : tp / (tp + fn);
  }
}

/**
 * ROC AUC from confusion counts at `numThresholds` evenly spaced thresholds in [0, 1], with the
 * trapezoidal rule (Keras' default summation), for binary targets and scores.
 */
export class AUC extends Metric {
  static override readonly className = 'AUC';
  /** Number of thresholds of the ROC curve approximation. Default 200. */
  readonly numThresholds: number;
  constructor(config: { name?: string; numThresholds?: number } = {}) {
    super(config, 'auc');
    this.numThresholds = config.numThresholds ?? 200;
    if (!Number.isInteger(this.numThresholds) || this.numThresholds < 3) {
      throw new ValueError(`AUC: numThresholds must be an integer >= 3; got ${describeValue(this.numThresholds)}.`, {
        field: 'numThresholds',
        value: this.numThresholds,
      });
    }
  }
  private thresholds(): number[] {
    const n = this.numThresholds;
    const eps = 1e-7;
    return Array.from({ length: n }, (_, i) => (i === 0 ? -eps : i === n - 1 ? 1 + eps : i / (n - 1)));
  }
  batchStatistics(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): tf.Tensor1D {
    const p = tf.reshape(yPred, [1, -1]);
    const actual = f32(tf.greater(tf.reshape(yTrue, [1, -1]), 0.5));
    const w =
      sampleWeight === undefined
        ? tf.onesLike(actual)
        : tf.reshape(tf.broadcastTo(expandWeight(sampleWeight, yPred.rank), yPred.shape), [1, -1]);
    const t = tf.tensor2d(this.thresholds(), [this.numThresholds, 1]);
    const above = f32(tf.greater(p, t)); // [thresholds, samples]
    const tp = tf.sum(tf.mul(above, tf.mul(actual, w)), 1);
    const fp = tf.sum(tf.mul(above, tf.mul(tf.sub(1, actual), w)), 1);
    const pos = tf.sum(tf.mul(actual, w));
    const neg = tf.sum(tf.mul(tf.sub(1, actual), w));
    return tf.concat([tp, fp, tf.stack([pos, neg])]) as tf.Tensor1D;
  }
  result(): number {
    const n = this.numThresholds;
    if (this.totals.length === 0) return 0;
    const tp = this.totals.slice(0, n);
    const fp = this.totals.slice(n, 2 * n);
    const pos = this.totals[2 * n]!;
    const neg = this.totals[2 * n + 1]!;
    if (pos === 0 || neg === 0) return 0;
    let auc = 0;
    for (let i = 0; i < n - 1; i++) {
      const tpr0 = tp[i]! / pos;
      const tpr1 = tp[i + 1]! / pos;
      const fpr0 = fp[i]! / neg;
      const fpr1 = fp[i + 1]! / neg;
      auc += ((fpr0 - fpr1) * (tpr0 + tpr1)) / 2;
    }
    return auc;
  }
  override getConfig(): ConfigDict {
    return { ...super.getConfig(), numThresholds: this.numThresholds };
  }
}

/** Coefficient of determination over everything seen: 1 − SS_res / SS_tot (per output, averaged). */
export class R2Score extends Metric {
  static override readonly className = 'R2Score';
  constructor(config: { name?: string } = {}) {
    super(config, 'r2');
  }
  batchStatistics(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor1D {
    const y = tf.reshape(yTrue, [yTrue.shape[0]!, -1]);
    const p = tf.reshape(yPred, [yPred.shape[0]!, -1]);
    // per output: Σy, Σy², Σ(y−p)², count
    return tf.concat([
      tf.sum(y, 0),
      tf.sum(tf.square(y), 0),
      tf.sum(tf.squaredDifference(y, p), 0),
      tf.fill([y.shape[1]!], y.shape[0]!),
    ]) as tf.Tensor1D;
  }
  result(): number {
    const k = this.totals.length / 4;
    if (k === 0) return 0;
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const sy = this.totals[j]!;
      const syy = this.totals[k + j]!;
      const res = this.totals[2 * k + j]!;
      const n = this.totals[3 * k + j]!;
      const tot = syy - (sy * sy) / n;
      sum += tot === 0 ? 0 : 1 - res / tot;
    }
    return sum / k;
  }
}

/** Every built-in metric class, in registration order. */
export const METRIC_CLASSES = [
  BinaryAccuracy,
  CategoricalAccuracy,
  SparseCategoricalAccuracy,
  TopKCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  MeanSquaredErrorMetric,
  MeanAbsoluteErrorMetric,
  RootMeanSquaredError,
  Precision,
  Recall,
  AUC,
  R2Score,
] as const;

/** Registers the built-in metrics with core (idempotent). */
export function registerBuiltinMetrics(): void {
  for (const cls of METRIC_CLASSES) registerMetric(cls);
}

const ALIASES: Record<string, string> = {
  acc: 'CategoricalAccuracy',
  mse: 'MeanSquaredErrorMetric',
  meanSquaredError: 'MeanSquaredErrorMetric',
  mae: 'MeanAbsoluteErrorMetric',
  meanAbsoluteError: 'MeanAbsoluteErrorMetric',
  rmse: 'RootMeanSquaredError',
  auc: 'AUC',
  r2: 'R2Score',
  topK: 'TopKCategoricalAccuracy',
};

/**
 * A metric as `compile` accepts it: a name or Keras alias (`'accuracy'`, `'mae'`, `'auc'`), an instance or `{ className, config }`.
 */
export type MetricIdentifier = string | Metric | SerializedPlugin;

/**
 * Resolves a metric. `'accuracy'` (or `'acc'`) picks binary, categorical or sparse categorical
 * accuracy from the loss (as Keras does; pass `lossClassName` for that) and logs it under the name
 * given.
 */
export function getMetric(id: MetricIdentifier, lossClassName?: string): Metric {
  if (id instanceof Metric) return id;
  registerBuiltinMetrics();
  if (typeof id === 'string') {
    const camel = id.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (camel === 'accuracy' || camel === 'acc') {
      const className =
        lossClassName === 'BinaryCrossentropy' || lossClassName === 'BinaryFocalCrossentropy'
          ? 'BinaryAccuracy'
          : lossClassName === 'SparseCategoricalCrossentropy'
            ? 'SparseCategoricalAccuracy'
            : 'CategoricalAccuracy';
      // Logged under the name the user wrote, as Keras does: 'accuracy' → logs.accuracy, 'acc' → logs.acc.
      return deserializePlugin<Metric>('metric', { className, config: { name: camel } });
    }
    const className = ALIASES[camel] ?? (hasPlugin('metric', id) ? id : pascalCase(camel));
    return deserializePlugin<Metric>('metric', { className, config: {} });
  }
  return deserializePlugin<Metric>('metric', id);
}
