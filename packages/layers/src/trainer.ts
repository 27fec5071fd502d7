/**
 * The one training loop, shaped like Keras 3's `Trainer`: {@link fitLoop} and {@link evaluateLoop}
 * iterate batches, run callbacks and progress events, and call a host's `trainStep` / `testStep`.
 * A `Model` is such a host (`model.fit` is `fitLoop` with the default step); so is anything else
 * that trains — a GAN subclass, a multi-task wrapper, a recommender — by overriding or supplying
 * the step, never by copying the loop.
 *
 * A step returns named tensors ({@link StepLogs}); the loop reads all of them, and the deferred
 * NaN/Infinity checks of the optimizers the step used, back in ONE asynchronous read per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue, type ProgressEmitter, type TrainingListener } from '@plasticity/core';
import { deferFiniteChecks, resolveFiniteChecks, type DeferredFiniteCheck } from '@plasticity/optimizers';
import { CallbackList, History, type Callback, type Logs } from './callbacks.js';
import type { Metric } from './metrics.js';
import type { Model } from './model.js';

/**
 * A batch's statistics for a stateful {@link Metric}, as a step returns them: the loop reads
 * `stats` back with the rest of the step, calls `metric.accumulate` and logs `metric.result()`
 * (the metric over the epoch so far). The loop resets the metric the first time it sees it in an
 * epoch (or an evaluation).
 *
 * @example
 * ```ts
 * return { loss, accuracy: { metric: this.accuracy, stats: this.accuracy.batchStatistics(y, pred) } };
 * ```
 */
export interface MetricUpdate {
  /** The metric (e.g. one of `model.compiled.metrics`, or one a custom model owns). */
  readonly metric: Metric;
  /** `metric.batchStatistics(yTrue, yPred, sampleWeight)`, a 1-D tensor; the loop disposes it. */
  readonly stats: tf.Tensor;
}

/** One value a step reports: a scalar tensor (logged as its running mean) or a {@link MetricUpdate}. */
export type StepValue = tf.Tensor | MetricUpdate;

/**
 * What `trainStep` / `testStep` return: log name → value. Each name becomes a key of the batch and
 * epoch logs, of `history.history`, of the callbacks' logs (so `EarlyStopping({ monitor: 'g_loss' })`
 * works) and of the progress events; validation prefixes it with `val_`.
 *
 * - A scalar tensor (any rank, one element) is logged as its mean over the epoch so far, weighted
 *   by batch size (the batch logs are running means, as Keras).
 * - A {@link MetricUpdate} is accumulated into its metric, logged as `metric.result()`.
 *
 * The loop disposes every tensor a step returns (variables excepted) after reading it.
 *
 * @example
 * ```ts
 * override trainStep(batch: StepBatch): StepLogs {
 *   const dLoss = this.minimize(() => discriminatorLoss(batch.x[0]!), { optimizer: this.optimizers.d, variables: this.d.trainableWeights });
 *   const gLoss = this.minimize(() => generatorLoss(), { optimizer: this.optimizers.g, variables: this.g.trainableWeights });
 *   return { d_loss: dLoss, g_loss: gLoss };
 * }
 * ```
 */
export type StepLogs = Record<string, StepValue>;

/**
 * The batch `Model.trainStep` / `testStep` receive.
 */
export interface StepBatch {
  /** The inputs in the model's input order, each `[batch, …]`. */
  x: tf.Tensor[];
  /** The targets in the model's output order, each `[batch, …]` (`[]` when `fit` got no targets). */
  y: tf.Tensor[];
  /** Per-sample loss weights, `[batch]`, when given (`sampleWeight`, `classWeight`). */
  sampleWeight?: tf.Tensor;
  /** Samples in the batch (weights the running means of the logs). */
  size: number;
}

/**
 * What {@link fitLoop} drives. A `Model` is one; a non-Model (a multi-task wrapper, a
 * recommender) implements these three members itself, with any batch type `B`.
 */
export interface TrainingHost<B = StepBatch> {
  /** Set to true (by a callback or the step) to end the run after the current batch. */
  stopTraining: boolean;
  /** One optimization step on `batch`; synchronous; returns the batch's {@link StepLogs}. */
  trainStep(batch: B): StepLogs;
  /** The same as `trainStep` without updating anything (validation, `evaluateLoop`). */
  testStep(batch: B): StepLogs;
}

/**
 * Where batches come from: an iterable or async iterable (re-iterated every epoch), or a function
 * of the epoch (from 0) returning one, for batches generated per epoch (fresh negatives, shuffles).
 */
export type BatchSource<B> = Iterable<B> | AsyncIterable<B> | ((epoch: number) => Iterable<B> | AsyncIterable<B>);

/**
 * Options of {@link fitLoop}.
 */
export interface LoopOptions<B> {
  /** Epochs to run up to. Default 1. */
  epochs?: number;
  /** The epoch to start counting from, when resuming. Default 0. */
  initialEpoch?: number;
  /** Batches per epoch, when known, for the callbacks' `params` and the progress events. */
  steps?: number;
  /** Stop each epoch after this many batches. Default: when the source ends. */
  stepsPerEpoch?: number;
  /** Run at each batch and epoch; a `History` is appended and returned. */
  callbacks?: Callback[];
  /**
   * The model callbacks see as `this.model` (weights for EarlyStopping's restore, the optimizer for
   * ReduceLROnPlateau). Default: the host when it is a Model. Its `stopTraining` also ends the run.
   */
  callbackModel?: Model;
  /** A `ProgressEmitter` (e.g. a recommender's own) or a listener for the training events. */
  progress?: ProgressEmitter | TrainingListener;
  /** The `begin` event's label. Default `'fit'` (a recommender passes e.g. `'NeuMF'`). */
  label?: string;
  /** Batches for the host's `testStep` after each epoch, logged as `val_*`. */
  validationData?: BatchSource<B>;
  /** At most this many validation batches per evaluation. Default: all of them. */
  validationSteps?: number;
  /** A batch's sample count. Default: `batch.size`, else the first dimension of `batch.x`, else 1. */
  sizeOf?: (batch: B) => number;
}

function isMetricUpdate(value: StepValue): value is MetricUpdate {
  return !(value instanceof tf.Tensor) && value !== null && typeof value === 'object' && 'metric' in value;
}

/** The default `sizeOf`: `batch.size`, else the first dimension of the first tensor of `batch.x`, else 1. */
export function batchSizeOf(batch: unknown): number {
  if (batch instanceof tf.Tensor) return batch.shape[0] ?? 1;
  if (batch !== null && typeof batch === 'object') {
    const b = batch as { size?: unknown; x?: unknown };
    if (typeof b.size === 'number') return b.size;
    const x = Array.isArray(b.x) ? b.x[0] : b.x;
    if (x instanceof tf.Tensor) return x.shape[0] ?? 1;
    if (x !== null && typeof x === 'object') {
      const first = Object.values(x as object)[0];
      if (first instanceof tf.Tensor) return first.shape[0] ?? 1;
    }
  }
  return 1;
}

interface Entry {
  name: string;
  size: number;
  metric: Metric | undefined;
}

/** A step prepared for its one read-back: the values concatenated, and how to split them. */
interface PreparedStep {
  flat: tf.Tensor1D | undefined;
  layout: Entry[];
  checks: DeferredFiniteCheck[];
}

/**
 * Runs a step inside `tf.tidy` with the optimizers' NaN checks deferred, and flattens what it
 * returned, plus those checks, into one float32 tensor to read back.
 */
function prepareStep(run: () => StepLogs): PreparedStep {
  const layout: Entry[] = [];
  let checks: DeferredFiniteCheck[] = [];
  const returned: tf.Tensor[] = [];
  try {
    const flat = tf.tidy(() => {
      const deferred = deferFiniteChecks(run);
      checks = deferred.checks;
      const logs = deferred.result;
      if (logs === null || typeof logs !== 'object') {
        throw new ValueError(`A train/test step must return named tensors (StepLogs); got ${describeValue(logs)}.`, {
          field: 'step',
          value: logs,
        });
      }
      const parts: tf.Tensor[] = [];
      for (const [name, value] of Object.entries(logs)) {
        const metric = isMetricUpdate(value) ? value.metric : undefined;
        const t = isMetricUpdate(value) ? value.stats : value;
        if (!(t instanceof tf.Tensor)) {
          throw new ValueError(`Step log "${name}" must be a tensor or { metric, stats }; got ${describeValue(t)}.`, {
            field: name,
            value: t,
          });
        }
        returned.push(t);
        if (metric === undefined && t.size !== 1) {
          throw new ValueError(
            `Step log "${name}" has shape [${t.shape.join(',')}]; return scalars (e.g. tf.mean of it) or a ` +
              '{ metric, stats } update.',
            { field: name, value: t.shape },
          );
        }
        layout.push({ name, size: t.size, metric });
        parts.push(tf.reshape(t.dtype === 'float32' ? t : tf.cast(t, 'float32'), [-1]));
      }
      for (const check of checks) parts.push(check.sums);
      if (parts.length === 0) return undefined as unknown as tf.Tensor1D;
      // concat of one tensor clones it: `flat` must outlive the kept tensors disposed below.
      return tf.concat(parts) as tf.Tensor1D;
    }) as tf.Tensor1D | undefined;
    return { flat, layout, checks };
  } finally {
    // Kept tensors (a step's tf.keep, the checks) survive the tidy; the read needs only `flat`.
    tf.dispose(returned.filter((t) => !(t instanceof tf.Variable)));
    tf.dispose(checks.map((c) => c.sums));
  }
}

/**
 * Running logs of an epoch (or an evaluation): means of scalar step logs weighted by batch size,
 * and the accumulated results of metrics.
 */
class LogTracker {
  private readonly slots = new Map<string, { sum: number; weight: number } | Metric>();

  reset(): void {
    this.slots.clear();
  }

  absorb(step: PreparedStep, values: Float32Array<ArrayBufferLike>, size: number): void {
    let offset = 0;
    for (const entry of step.layout) {
      if (entry.metric !== undefined) {
        if (this.slots.get(entry.name) !== entry.metric) {
          entry.metric.reset();
          this.slots.set(entry.name, entry.metric);
        }
        entry.metric.accumulate(values.subarray(offset, offset + entry.size));
      } else {
        let slot = this.slots.get(entry.name);
        if (slot === undefined || !('sum' in slot)) {
          slot = { sum: 0, weight: 0 };
          this.slots.set(entry.name, slot);
        }
        slot.sum += values[offset]! * size;
        slot.weight += size;
      }
      offset += entry.size;
    }
  }

  logs(prefix = ''): Logs {
    const out: Logs = {};
    for (const [name, slot] of this.slots) {
      out[`${prefix}${name}`] = 'sum' in slot ? (slot.weight === 0 ? 0 : slot.sum / slot.weight) : slot.result();
    }
    return out;
  }
}

/** The checks' values: what follows the step's own logs in the read-back. */
function settle(step: PreparedStep, values: Float32Array<ArrayBufferLike>, tracker: LogTracker, size: number): void {
  const own = step.layout.reduce((n, e) => n + e.size, 0);
  if (step.checks.length > 0) resolveFiniteChecks(step.checks, values.subarray(own));
  tracker.absorb(step, values, size);
}

/** Runs a step and reads its values back in one asynchronous read. */
async function readStep(run: () => StepLogs, tracker: LogTracker, size: number): Promise<void> {
  const step = prepareStep(run);
  let values: Float32Array<ArrayBufferLike> = new Float32Array(0);
  if (step.flat !== undefined) {
    try {
      values = (await step.flat.data()) as Float32Array;
    } finally {
      step.flat.dispose();
    }
  }
  settle(step, values, tracker, size);
}

/**
 * Runs one step and reads it back synchronously (`trainOnBatch`, a synchronous API). Returns the
 * step's logs (metrics over this batch only).
 */
export function runStepSync(run: () => StepLogs, size: number): Logs {
  const step = prepareStep(run);
  let values: Float32Array<ArrayBufferLike> = new Float32Array(0);
  if (step.flat !== undefined) {
    try {
      values = step.flat.dataSync() as Float32Array;
    } finally {
      step.flat.dispose();
    }
  }
  const tracker = new LogTracker();
  settle(step, values, tracker, size);
  return tracker.logs();
}

/** The batches of `source` for `epoch` (calls a per-epoch function), as one async generator. */
export async function* iterateSource<B>(source: BatchSource<B>, epoch: number): AsyncGenerator<B> {
  const items = typeof source === 'function' ? source(epoch) : source;
  if (items === null || typeof items !== 'object' || !(Symbol.asyncIterator in items || Symbol.iterator in items)) {
    throw new ValueError(`A batch source must give an iterable or async iterable; got ${describeValue(items)}.`, {
      field: 'data',
      value: items,
    });
  }
  if (Symbol.asyncIterator in items) yield* items as AsyncIterable<B>;
  else yield* items as Iterable<B>;
}

function checkCount(field: string, value: number | undefined, min: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min) {
    throw new ValueError(`fit: ${field} must be an integer >= ${min}; got ${describeValue(value)}.`, {
      field,
      value,
    });
  }
}

/**
 * Runs `host.testStep` over `data` in inference mode and returns the logs over all of it
 * (`{ loss, ...metrics }` for a Model), one asynchronous read per step.
 *
 * Args:
 * - `host`: the {@link TrainingHost}.
 * - `data`: the batches ({@link BatchSource}; a function gets epoch 0, or `options.epoch`).
 * - `options.steps`: at most this many batches; `options.sizeOf`: a batch's sample count;
 *   `options.prefix`: prepended to every log name (`'val_'`).
 *
 * @example
 * ```ts
 * const logs = await evaluateLoop(host, batches, { steps: 10 }); // { loss: 0.12, ... }
 * ```
 */
export async function evaluateLoop<B>(
  host: TrainingHost<B>,
  data: BatchSource<B>,
  options: { steps?: number; sizeOf?: (batch: B) => number; prefix?: string; epoch?: number } = {},
): Promise<Logs> {
  checkCount('steps', options.steps, 1);
  const sizeOf = options.sizeOf ?? batchSizeOf;
  const tracker = new LogTracker();
  let b = 0;
  for await (const batch of iterateSource(data, options.epoch ?? 0)) {
    if (options.steps !== undefined && b >= options.steps) break;
    await readStep(() => host.testStep(batch), tracker, sizeOf(batch));
    b++;
  }
  return tracker.logs(options.prefix);
}

/**
 * The training loop: for each epoch, iterates `data`, runs `host.trainStep` on every batch (one
 * asynchronous read of its logs per step), reports running logs to the callbacks and the progress
 * events, evaluates `validationData` with `testStep`, and returns the `History`.
 *
 * Events: `begin` (label, epochs, steps), `batch` (running means), `epoch` (the epoch's logs with
 * `val_*`), `end` (the last logs; `stopped` when a callback ended it early; `error` on failure).
 *
 * Args:
 * - `host`: the {@link TrainingHost} (a Model, or a wrapper with its own step).
 * - `data`: the training batches ({@link BatchSource}).
 * - `options`: {@link LoopOptions}.
 *
 * @example
 * ```ts
 * // A recommender's fit: its own batches per epoch, its own progress emitter and label.
 * const host = { stopTraining: false, trainStep: (b: MyBatch) => ({ loss: step(b) }), testStep: (b: MyBatch) => ({ loss: evalLoss(b) }) };
 * const history = await fitLoop(host, (epoch) => batchesFor(epoch), { epochs: 5, steps, progress: this.progress, label: 'NeuMF' });
 * ```
 */
export async function fitLoop<B>(
  host: TrainingHost<B>,
  data: BatchSource<B>,
  options: LoopOptions<B> = {},
): Promise<History> {
  const epochs = options.epochs ?? 1;
  const initialEpoch = options.initialEpoch ?? 0;
  checkCount('epochs', epochs, 1);
  checkCount('initialEpoch', initialEpoch, 0);
  checkCount('stepsPerEpoch', options.stepsPerEpoch, 1);
  checkCount('validationSteps', options.validationSteps, 1);
  const sizeOf = options.sizeOf ?? batchSizeOf;
  const history = new History();
  // History runs last, so it records what other callbacks add to the logs (e.g. lr).
  const callbacks = [...(options.callbacks ?? []), history];
  const model = options.callbackModel ?? (host as unknown as Model);
  host.stopTraining = false;
  if (model !== undefined) model.stopTraining = false;
  const stopped = (): boolean => host.stopTraining || model?.stopTraining === true;
  const steps = options.steps ?? options.stepsPerEpoch;
  const list = new CallbackList(callbacks, {
    model,
    epochs,
    ...(steps === undefined ? {} : { steps }),
    ...(options.progress === undefined ? {} : { progress: options.progress }),
    label: options.label ?? 'fit',
  });
  const tracker = new LogTracker();
  let failure: unknown;
  await list.trainBegin();
  try {
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      await list.epochBegin(epoch);
      tracker.reset();
      let b = 0;
      for await (const batch of iterateSource(data, epoch)) {
        if (stopped() || (options.stepsPerEpoch !== undefined && b >= options.stepsPerEpoch)) break;
        await list.batchBegin(b);
        await readStep(() => host.trainStep(batch), tracker, sizeOf(batch));
        await list.batchEnd(epoch, b, tracker.logs());
        b++;
      }
      const logs = tracker.logs();
      if (options.validationData !== undefined) {
        Object.assign(
          logs,
          await evaluateLoop(host, options.validationData, {
            ...(options.validationSteps === undefined ? {} : { steps: options.validationSteps }),
            sizeOf,
            prefix: 'val_',
            epoch,
          }),
        );
      }
      await list.epochEnd(epoch, logs);
      if (stopped()) {
        if (epoch < epochs - 1) list.markStopped();
        break;
      }
    }
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    await list.trainEnd(failure);
  }
  return history;
}
