/**
 * compile / fit / evaluate / trainOnBatch, and the gradient helper for custom training loops.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ShapeError,
  ValueError,
  createRng,
  describeValue,
  type ProgressEmitter,
  type TrainingListener,
} from '@plasticity/core';
import { Optimizer, deserializeOptimizer, type NamedGradients } from '@plasticity/optimizers';
import { CallbackList, History, type Callback, type Logs } from './callbacks.js';
import { toList, type Mask, type MaskArg } from './layer.js';
import { getLoss, type Loss, type LossIdentifier } from './losses.js';
import { getMetric, type Metric, type MetricIdentifier } from './metrics.js';
import type { Model } from './model.js';

/** Tensors for a model's inputs or outputs: one, a list (in order), or by name. */
export type TensorData = tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;

/** A batch from a dataset. */
export interface Batch {
  /** The inputs: `[batch, …]` per model input. */
  x: TensorData;
  /** The targets: `[batch, …]` per model output. */
  y: TensorData;
  /** Per-sample loss weights, shape `[batch]`. */
  sampleWeight?: tf.Tensor;
}

/** Batches to iterate each epoch (re-iterable: each epoch asks for a new iterator). */
export type Dataset = Iterable<Batch> | AsyncIterable<Batch>;

/**
 * What `model.compile(args)` takes: the optimizer, the loss (one, or one per output) and metrics.
 *
 * @example
 * ```ts
 * model.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
 * ```
 */
export interface CompileArgs {
  /** An optimizer instance, or a class name with default settings (`'adam'`, `'SGD'`). */
  optimizer: Optimizer | string;
  /** One loss for every output, a list per output, or a record by output name. */
  loss: LossIdentifier | LossIdentifier[] | Record<string, LossIdentifier>;
  /** Metrics for every output, or a record by output name. */
  metrics?: MetricIdentifier[] | Record<string, MetricIdentifier[]>;
  /** Weights of the outputs' losses in the total. */
  lossWeights?: number[] | Record<string, number>;
}

/** What `compile` stores on the model. */
export interface CompiledState {
  optimizer: Optimizer;
  losses: Loss[];
  lossWeights: number[];
  metrics: Metric[][];
  /** Lengths of each metric's batch statistics (measured once). */
  statSizes?: number[][];
  /** The arguments, for saving. */
  args: { loss: unknown; metrics: unknown; lossWeights: unknown };
}

function perOutput<T>(model: Model, value: T | T[] | Record<string, T>, what: string, fallback?: T): T[] {
  const names = model.outputNames;
  if (Array.isArray(value)) {
    if (value.length !== names.length) {
      throw new ValueError(
        `${what}: the model has ${names.length} outputs (${names.join(', ')}); got ${value.length} entries.`,
        {
          field: what,
          value: value.length,
        },
      );
    }
    return value;
  }
  if (
    value !== null &&
    typeof value === 'object' &&
    !(value as object).constructor?.name.match(/Loss|Metric|Optimizer/) &&
    Object.getPrototypeOf(value) === Object.prototype &&
    !('className' in (value as object))
  ) {
    const record = value as Record<string, T>;
    for (const key of Object.keys(record)) {
      if (!names.includes(key)) {
        throw new ValueError(`${what}: "${key}" is not an output of the model; outputs: ${names.join(', ')}.`, {
          field: what,
          value: key,
        });
      }
    }
    return names.map((n) => {
      const v = record[n] ?? fallback;
      if (v === undefined) throw new ValueError(`${what}: no entry for output "${n}".`, { field: what, value: n });
      return v;
    });
  }
  return names.map(() => value as T);
}

function resolveOptimizer(id: Optimizer | string): Optimizer {
  if (id instanceof Optimizer) return id;
  if (typeof id !== 'string') {
    throw new ValueError(`compile: optimizer must be an Optimizer or a class name; got ${describeValue(id)}.`, {
      field: 'optimizer',
      value: id,
    });
  }
  const names: Record<string, string> = {
    sgd: 'SGD',
    adam: 'Adam',
    adamw: 'AdamW',
    adamax: 'Adamax',
    nadam: 'Nadam',
    rmsprop: 'RMSprop',
    adagrad: 'Adagrad',
    adadelta: 'Adadelta',
    lion: 'Lion',
    lamb: 'Lamb',
  };
  return deserializeOptimizer({ className: names[id.toLowerCase()] ?? id, config: {} });
}

/** Configures the model for training. */
export function compile(model: Model, args: CompileArgs): void {
  const optimizer = resolveOptimizer(args.optimizer);
  const losses = perOutput(model, args.loss, 'loss').map((l) => getLoss(l));
  const lossWeights =
    args.lossWeights === undefined ? losses.map(() => 1) : perOutput(model, args.lossWeights, 'lossWeights', 1);
  // A list of metrics applies to every output; a record names them per output.
  const metricIds =
    args.metrics === undefined
      ? losses.map(() => [])
      : Array.isArray(args.metrics)
        ? losses.map(() => args.metrics as MetricIdentifier[])
        : perOutput<MetricIdentifier[]>(model, args.metrics, 'metrics', []);
  const metrics = metricIds.map((ids, i) =>
    toList(ids).map((id) => getMetric(id, (losses[i]!.constructor as { className?: string }).className)),
  );
  model.compiled = {
    optimizer,
    losses,
    lossWeights,
    metrics,
    args: { loss: args.loss, metrics: args.metrics ?? null, lossWeights: args.lossWeights ?? null },
  };
}

export function compiledState(model: Model): CompiledState {
  const state = model.compiled as CompiledState | undefined;
  if (state === undefined) {
    throw new ValueError(`Model "${model.name}" is not compiled; call model.compile({ optimizer, loss }) first.`, {
      field: 'compile',
      value: undefined,
    });
  }
  return state;
}

/** Orders `data` as the model's inputs (or outputs) and checks the batch sizes agree. */
export function orderTensors(model: Model, data: TensorData, which: 'inputs' | 'outputs'): tf.Tensor[] {
  const symbols = which === 'inputs' ? model.inputs : model.outputs;
  const names = which === 'inputs' ? model.inputs.map((s) => s.node!.layer.name) : model.outputNames;
  let list: tf.Tensor[];
  if (data instanceof tf.Tensor) list = [data];
  else if (Array.isArray(data)) list = data;
  else {
    list = names.map((n) => {
      const t = (data as Record<string, tf.Tensor>)[n];
      if (t === undefined)
        throw new ValueError(
          `No data for ${which === 'inputs' ? 'input' : 'output'} "${n}"; got keys ${Object.keys(data).join(', ')}.`,
          { field: which, value: n },
        );
      return t;
    });
  }
  if (symbols.length > 0 && list.length !== symbols.length) {
    throw new ValueError(`The model has ${symbols.length} ${which}; got ${list.length} tensors.`, {
      field: which,
      value: list.length,
    });
  }
  return list;
}

async function checkFinite(tensors: tf.Tensor[], what: string): Promise<void> {
  const flags = tf.tidy(() =>
    tf.stack(tensors.map((t) => (t.dtype === 'float32' ? tf.any(tf.logicalNot(tf.isFinite(t))) : tf.scalar(false)))),
  );
  const bad = await readBack(flags);
  const i = bad.findIndex((b) => b === 1);
  if (i >= 0) {
    throw new ValueError(`${what} ${i} contains NaN or Infinity; clean the data before training.`, {
      field: what,
      value: i,
    });
  }
}

function classWeights(y: tf.Tensor, classWeight: Record<number, number>): tf.Tensor {
  const classes =
    y.rank > 1 && y.shape[y.rank - 1]! > 1 ? tf.argMax(y, -1) : tf.cast(tf.reshape(y, [y.shape[0]!]), 'int32');
  const max = Math.max(...Object.keys(classWeight).map(Number)) + 1;
  const table = Array.from({ length: max }, (_, k) => classWeight[k] ?? 1);
  return tf.gather(tf.tensor1d(table), tf.minimum(classes, tf.scalar(max - 1, 'int32')));
}

/**
 * Σ over outputs of weight · mean over the batch of (loss · sampleWeight), plus regularization. An
 * output with a mask the shape of its per-step losses ([batch, time] for a sequence) averages over
 * the unmasked steps only, as Keras (2.10+ and 3): Σ(loss · sampleWeight · mask) / (Σ mask + ε).
 */
function totalLoss(
  model: Model,
  state: CompiledState,
  ys: tf.Tensor[],
  preds: tf.Tensor[],
  sampleWeight: tf.Tensor | undefined,
  masks: Mask[] = [],
): tf.Scalar {
  const terms = state.losses.map((loss, i) => {
    const perSample = loss.call(ys[i]!, preds[i]!);
    const weighted =
      sampleWeight === undefined
        ? perSample
        : tf.mul(
            perSample,
            tf.reshape(sampleWeight, [perSample.shape[0]!, ...new Array<number>(perSample.rank - 1).fill(1)]),
          );
    const mask = masks[i];
    if (mask !== undefined && tf.util.arraysEqual(mask.shape, perSample.shape)) {
      const m = tf.cast(mask, weighted.dtype);
      const mean = tf.div(tf.sum(tf.mul(weighted, m)), tf.add(tf.sum(m), 1e-7));
      return tf.mul(mean, state.lossWeights[i]!);
    }
    return tf.mul(tf.mean(weighted), state.lossWeights[i]!);
  });
  let total = terms.length === 1 ? terms[0]! : tf.addN(terms);
  const reg = model.regularizationLoss();
  if (reg !== undefined) total = tf.add(total, reg);
  return total as tf.Scalar;
}

/**
 * The metric weights of an output: the sample weights, times the output's mask [batch, time] when
 * it has one over the steps of a sequence output ([batch, time, …]).
 */
function maskedWeight(sampleWeight: tf.Tensor | undefined, mask: Mask, pred: tf.Tensor): tf.Tensor | undefined {
  if (mask === undefined || mask.rank < 2 || mask.rank >= pred.rank) return sampleWeight;
  if (!tf.util.arraysEqual(mask.shape, pred.shape.slice(0, mask.rank))) return sampleWeight;
  const m = tf.cast(mask, 'float32');
  if (sampleWeight === undefined) return m;
  return tf.mul(m, tf.reshape(sampleWeight, [m.shape[0]!, ...new Array<number>(m.rank - 1).fill(1)]));
}

/** One mask (or undefined) per output. */
function outputMasks(mask: MaskArg, outputs: number): Mask[] {
  return outputs === 1 && !Array.isArray(mask) ? [mask] : Array.isArray(mask) ? mask : [];
}

function metricNames(model: Model, state: CompiledState): string[] {
  const multi = state.losses.length > 1;
  const names = model.outputNames;
  const out: string[] = ['loss'];
  state.metrics.forEach((ms, i) => {
    for (const m of ms) out.push(multi ? `${names[i]}_${m.name}` : m.name);
  });
  return out;
}

/** Gradients of a scalar loss with respect to chosen variables (default: the trainable ones). */
export function computeGradients(
  loss: () => tf.Scalar,
  variables?: tf.Variable[],
): { value: tf.Scalar; grads: NamedGradients } {
  if (variables !== undefined && variables.length === 0) {
    throw new ValueError('computeGradients: no variables to differentiate with respect to (is everything frozen?).', {
      field: 'variables',
      value: 0,
    });
  }
  return tf.variableGrads(loss, variables);
}

/**
 * Reads a tensor back and disposes it. `fit` and `evaluate` read asynchronously: on WebGL and
 * WebGPU a synchronous read stalls the page (and, on WebGPU in Chromium, goes through a canvas
 * copy that some drivers, e.g. SwiftShader, answer with zeros).
 */
async function readBack(t: tf.Tensor): Promise<Float32Array> {
  try {
    return Float32Array.from(await t.data());
  } finally {
    t.dispose();
  }
}

/**
 * One optimizer step on a batch; returns the loss and metric statistics as one tensor to read
 * back: `[loss, ...metric statistics]`.
 */
function step(
  model: Model,
  state: CompiledState,
  xs: tf.Tensor[],
  ys: tf.Tensor[],
  sampleWeight: tf.Tensor | undefined,
  train: boolean,
): tf.Tensor1D {
  // Metric statistics are computed next to the loss: tf.variableGrads disposes every tensor made
  // inside the loss function (the predictions too), so they are kept out of that scope.
  const metricStats = (preds: tf.Tensor[], masks: Mask[]): tf.Tensor[] => {
    const parts: tf.Tensor[] = [];
    state.metrics.forEach((ms, i) => {
      // A masked output weighs its metrics by the mask too (per step), as Keras.
      const weight = maskedWeight(sampleWeight, masks[i], preds[i]!);
      for (const m of ms) parts.push(m.batchStatistics(ys[i]!, preds[i]!, weight));
    });
    return parts;
  };
  let kept: tf.Tensor | undefined;
  const stats = tf.tidy(() => {
    let value: tf.Scalar;
    if (train) {
      const computed = computeGradients(() => {
        const run = model.callWithMask(xs.length === 1 ? xs[0]! : xs, { training: true }, undefined);
        const preds = toList(run.outputs);
        const masks = outputMasks(run.mask, preds.length);
        const parts = metricStats(preds, masks);
        if (parts.length > 0) kept = tf.keep(tf.concat(parts));
        return totalLoss(model, state, ys, preds, sampleWeight, masks);
      }, model.trainableWeights);
      value = computed.value;
      state.optimizer.applyGradients(computed.grads);
    } else {
      const run = model.callWithMask(xs.length === 1 ? xs[0]! : xs, { training: false }, undefined);
      const preds = toList(run.outputs);
      const masks = outputMasks(run.mask, preds.length);
      const parts = metricStats(preds, masks);
      if (parts.length > 0) kept = tf.keep(tf.concat(parts));
      value = totalLoss(model, state, ys, preds, sampleWeight, masks);
    }
    return kept === undefined ? tf.reshape(value, [1]) : tf.concat([tf.reshape(value, [1]), kept]);
  });
  kept?.dispose();
  if (train) model.applyConstraints();
  return stats as tf.Tensor1D;
}

/** Options of `model.fit(x, y, options)` / `model.fit(dataset, options)` (Keras names). */
export interface FitOptions {
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Samples per gradient step when `x` is tensors. Default 32. */
  batchSize?: number;
  /** Fraction of the data (taken from the end, before shuffling, as Keras) held out for validation. */
  validationSplit?: number;
  /** Data evaluated after each epoch (`val_*` logs): `[x, y]`, `[x, y, sampleWeight]` or a dataset. */
  validationData?: [TensorData, TensorData] | [TensorData, TensorData, tf.Tensor] | Dataset;
  /** Shuffle the training samples every epoch (default true; seeded by `seed`). */
  shuffle?: boolean;
  /** Seed of the shuffling. Default 0. */
  seed?: number;
  /** Per-class weights for single-output classification: `{ 0: 1, 1: 5 }`. */
  classWeight?: Record<number, number>;
  /** Per-sample weights, shape [n]. */
  sampleWeight?: tf.Tensor;
  /** Callbacks called at train, epoch and batch boundaries (a `History` is always added). */
  callbacks?: Callback[];
  /** Epoch to start counting from (resuming). */
  initialEpoch?: number;
  /** Batches per epoch when `x` is a dataset (default: until the iterator ends). */
  stepsPerEpoch?: number;
  /** Progress events (a `ProgressEmitter` or a listener, e.g. `renderProgress()`). */
  progress?: ProgressEmitter | TrainingListener;
  /** Check inputs for NaN/Infinity first (default true). */
  checkInputs?: boolean;
}

interface Slices {
  xs: tf.Tensor[];
  ys: tf.Tensor[];
  sampleWeight: tf.Tensor | undefined;
}

function sampleCount(tensors: tf.Tensor[], what: string): number {
  const n = tensors[0]?.shape[0];
  if (n === undefined) throw new ValueError(`${what}: no data.`, { field: what, value: 0 });
  for (const t of tensors) {
    if (t.shape[0] !== n) {
      throw new ShapeError(
        `${what}: all tensors need the same number of samples; got ${tensors.map((x) => x.shape[0]).join(' and ')}.`,
      );
    }
  }
  if (n === 0) throw new ValueError(`${what}: the data is empty (0 samples).`, { field: what, value: 0 });
  return n;
}

/** Whether `x` is a dataset of batches (an iterable or async iterable, not a tensor or list). */
export function isDataset(x: unknown): x is Dataset {
  return (
    x !== null &&
    typeof x === 'object' &&
    !(x instanceof tf.Tensor) &&
    !Array.isArray(x) &&
    (Symbol.iterator in x || Symbol.asyncIterator in x)
  );
}

async function* iterate(dataset: Dataset): AsyncGenerator<Batch> {
  if (Symbol.asyncIterator in dataset) yield* dataset as AsyncIterable<Batch>;
  else yield* dataset as Iterable<Batch>;
}

function resetMetrics(state: CompiledState): void {
  for (const ms of state.metrics) for (const m of ms) m.reset();
}

/** Splits a flat read-back into loss + each metric's statistics and accumulates them. */
function absorb(state: CompiledState, values: Float32Array, sizes: number[][]): number {
  let offset = 1;
  state.metrics.forEach((ms, i) => {
    ms.forEach((m, j) => {
      const n = sizes[i]![j]!;
      m.accumulate(values.subarray(offset, offset + n));
      offset += n;
    });
  });
  return values[0]!;
}

function statSizes(model: Model, state: CompiledState, xs: tf.Tensor[], ys: tf.Tensor[]): number[][] {
  // Statistics lengths depend only on shapes: measure them once, on one sample, and keep them.
  if (state.metrics.every((ms) => ms.length === 0)) return state.metrics.map(() => []);
  if (state.statSizes !== undefined) return state.statSizes;
  state.statSizes = tf.tidy(() => {
    const x1 = xs.map((t) => tf.slice(t, 0, 1));
    const preds = toList(model.call(x1.length === 1 ? x1[0]! : x1, { training: false }));
    return state.metrics.map((ms, i) => ms.map((m) => m.batchStatistics(tf.slice(ys[i]!, 0, 1), preds[i]!).size));
  });
  return state.statSizes;
}

function metricLogs(model: Model, state: CompiledState, loss: number, prefix = ''): Logs {
  const names = metricNames(model, state);
  const logs: Logs = { [`${prefix}loss`]: loss };
  let k = 1;
  for (const ms of state.metrics) for (const m of ms) logs[`${prefix}${names[k++]}`] = m.result();
  return logs;
}

/** Evaluates on tensors or a dataset; returns `{ loss, ...metrics }`. */
export async function evaluate(
  model: Model,
  x: TensorData | Dataset,
  y?: TensorData,
  options: { batchSize?: number; sampleWeight?: tf.Tensor } = {},
): Promise<Logs> {
  const state = compiledState(model);
  resetMetrics(state);
  let lossSum = 0;
  let count = 0;
  let sizes: number[][] | undefined;
  const run = async (xs: tf.Tensor[], ys: tf.Tensor[], w: tf.Tensor | undefined): Promise<void> => {
    sizes ??= statSizes(model, state, xs, ys);
    const n = xs[0]!.shape[0]!;
    const values = await readBack(step(model, state, xs, ys, w, false));
    lossSum += absorb(state, values, sizes) * n;
    count += n;
  };
  if (isDataset(x)) {
    for await (const batch of iterate(x))
      await run(orderTensors(model, batch.x, 'inputs'), orderTensors(model, batch.y, 'outputs'), batch.sampleWeight);
  } else {
    if (y === undefined)
      throw new ValueError('evaluate needs targets y (or a dataset of { x, y } batches).', {
        field: 'y',
        value: undefined,
      });
    const xs = orderTensors(model, x, 'inputs');
    const ys = orderTensors(model, y, 'outputs');
    const n = sampleCount([...xs, ...ys], 'evaluate');
    const batchSize = options.batchSize ?? 32;
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const bx = xs.map((t) => tf.slice(t, start, size));
      const by = ys.map((t) => tf.slice(t, start, size));
      const bw = options.sampleWeight === undefined ? undefined : tf.slice(options.sampleWeight, start, size);
      try {
        await run(bx, by, bw);
      } finally {
        tf.dispose([...bx, ...by, ...(bw === undefined ? [] : [bw])]);
      }
    }
  }
  return metricLogs(model, state, count === 0 ? 0 : lossSum / count);
}

/** One gradient step on one batch; returns the batch's `{ loss, ...metrics }`. */
export function trainOnBatch(
  model: Model,
  x: TensorData,
  y: TensorData,
  options: { sampleWeight?: tf.Tensor } = {},
): Logs {
  const state = compiledState(model);
  const xs = orderTensors(model, x, 'inputs');
  const ys = orderTensors(model, y, 'outputs');
  sampleCount([...xs, ...ys], 'trainOnBatch');
  const sizes = statSizes(model, state, xs, ys);
  resetMetrics(state);
  const stats = step(model, state, xs, ys, options.sampleWeight, true);
  const values = stats.dataSync() as Float32Array;
  stats.dispose();
  return metricLogs(model, state, absorb(state, values, sizes));
}

/** Trains the model; returns the History callback. */
export async function fit(
  model: Model,
  x: TensorData | Dataset,
  y: TensorData | undefined,
  options: FitOptions = {},
): Promise<History> {
  const state = compiledState(model);
  const epochs = options.epochs ?? 1;
  const initialEpoch = options.initialEpoch ?? 0;
  const batchSize = options.batchSize ?? 32;
  for (const [field, value, min] of [
    ['epochs', epochs, 1],
    ['batchSize', batchSize, 1],
    ['initialEpoch', initialEpoch, 0],
  ] as const) {
    if (!Number.isInteger(value) || value < min) {
      throw new ValueError(`fit: ${field} must be an integer >= ${min}; got ${describeValue(value)}.`, {
        field,
        value,
      });
    }
  }
  const history = new History();
  // History runs last, so it records what other callbacks add to the logs (e.g. lr).
  const callbacks = [...(options.callbacks ?? []), history];
  model.stopTraining = false;

  let train: Slices | undefined;
  let validation: Slices | undefined;
  let validationSet: Dataset | undefined;
  const owned: tf.Tensor[] = [];
  if (!isDataset(x)) {
    if (y === undefined)
      throw new ValueError('fit needs targets y (or a dataset of { x, y } batches).', { field: 'y', value: undefined });
    let xs = orderTensors(model, x, 'inputs');
    let ys = orderTensors(model, y, 'outputs');
    const n = sampleCount([...xs, ...ys], 'fit');
    if (options.checkInputs !== false) {
      await checkFinite(xs, 'Input');
      await checkFinite(ys, 'Target');
    }
    let sampleWeight = options.sampleWeight;
    if (options.classWeight !== undefined) {
      if (ys.length !== 1)
        throw new ValueError('classWeight needs a single-output model; use sampleWeight.', {
          field: 'classWeight',
          value: ys.length,
        });
      const cw = classWeights(ys[0]!, options.classWeight);
      owned.push(cw);
      sampleWeight = sampleWeight === undefined ? cw : tf.mul(sampleWeight, cw);
      if (sampleWeight !== cw) owned.push(sampleWeight);
    }
    if (options.validationSplit !== undefined) {
      const split = options.validationSplit;
      if (!(split > 0 && split < 1))
        throw new ValueError(`fit: validationSplit must be in (0, 1); got ${describeValue(split)}.`, {
          field: 'validationSplit',
          value: split,
        });
      const nVal = Math.floor(n * split);
      if (nVal === 0 || nVal === n)
        throw new ValueError(`fit: validationSplit ${split} of ${n} samples leaves an empty split.`, {
          field: 'validationSplit',
          value: split,
        });
      const cut = n - nVal;
      const head = (t: tf.Tensor): tf.Tensor => tf.slice(t, 0, cut);
      const tail = (t: tf.Tensor): tf.Tensor => tf.slice(t, cut, nVal);
      validation = {
        xs: xs.map(tail),
        ys: ys.map(tail),
        sampleWeight: sampleWeight === undefined ? undefined : tail(sampleWeight),
      };
      xs = xs.map(head);
      ys = ys.map(head);
      sampleWeight = sampleWeight === undefined ? undefined : head(sampleWeight);
      owned.push(
        ...xs,
        ...ys,
        ...validation.xs,
        ...validation.ys,
        ...(sampleWeight === undefined ? [] : [sampleWeight]),
        ...(validation.sampleWeight === undefined ? [] : [validation.sampleWeight]),
      );
    }
    train = { xs, ys, sampleWeight };
  }
  if (options.validationData !== undefined) {
    if (isDataset(options.validationData)) validationSet = options.validationData;
    else {
      const [vx, vy, vw] = options.validationData as [TensorData, TensorData, tf.Tensor?];
      validation = { xs: orderTensors(model, vx, 'inputs'), ys: orderTensors(model, vy, 'outputs'), sampleWeight: vw };
    }
  }

  const n = train === undefined ? undefined : train.xs[0]!.shape[0]!;
  const steps = n === undefined ? options.stepsPerEpoch : Math.ceil(n / batchSize);
  const list = new CallbackList(callbacks, {
    model,
    epochs,
    ...(steps === undefined ? {} : { steps }),
    ...(options.progress === undefined ? {} : { progress: options.progress }),
    label: 'fit',
  });
  const rng = createRng(options.seed ?? 0);
  let sizes: number[][] | undefined;
  let failure: unknown;
  await list.trainBegin();
  try {
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      await list.epochBegin(epoch);
      resetMetrics(state);
      let lossSum = 0;
      let seen = 0;
      const runBatch = async (
        batch: number,
        xs: tf.Tensor[],
        ys: tf.Tensor[],
        w: tf.Tensor | undefined,
      ): Promise<void> => {
        await list.batchBegin(batch);
        sizes ??= statSizes(model, state, xs, ys);
        const size = xs[0]!.shape[0]!;
        const loss = absorb(state, await readBack(step(model, state, xs, ys, w, true)), sizes);
        lossSum += loss * size;
        seen += size;
        await list.batchEnd(epoch, batch, metricLogs(model, state, loss));
      };
      if (train !== undefined) {
        const order =
          options.shuffle === false ? undefined : tf.tensor1d(Int32Array.from(rng.permutation(n!)), 'int32');
        for (let b = 0; b < steps! && !model.stopTraining; b++) {
          const start = b * batchSize;
          const size = Math.min(batchSize, n! - start);
          const pick = (t: tf.Tensor): tf.Tensor =>
            order === undefined ? tf.slice(t, start, size) : tf.tidy(() => tf.gather(t, tf.slice(order, start, size)));
          const bx = train.xs.map(pick);
          const by = train.ys.map(pick);
          const bw = train.sampleWeight === undefined ? undefined : pick(train.sampleWeight);
          try {
            await runBatch(b, bx, by, bw);
          } finally {
            tf.dispose([...bx, ...by, ...(bw === undefined ? [] : [bw])]);
          }
        }
        order?.dispose();
      } else {
        let b = 0;
        for await (const batch of iterate(x as Dataset)) {
          if (model.stopTraining || (options.stepsPerEpoch !== undefined && b >= options.stepsPerEpoch)) break;
          await runBatch(
            b++,
            orderTensors(model, batch.x, 'inputs'),
            orderTensors(model, batch.y, 'outputs'),
            batch.sampleWeight,
          );
        }
      }
      const logs = metricLogs(model, state, seen === 0 ? 0 : lossSum / seen);
      if (validation !== undefined || validationSet !== undefined) {
        const v =
          validationSet !== undefined
            ? await evaluate(model, validationSet)
            : await evaluate(model, validation!.xs, validation!.ys, {
                batchSize,
                ...(validation!.sampleWeight === undefined ? {} : { sampleWeight: validation!.sampleWeight }),
              });
        for (const [k, value] of Object.entries(v)) logs[`val_${k}`] = value;
      }
      await list.epochEnd(epoch, logs);
      if (model.stopTraining) {
        if (epoch < epochs - 1) list.markStopped();
        break;
      }
    }
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    await list.trainEnd(failure);
    tf.dispose(owned);
  }
  return history;
}
