/**
 * What `compile` sets up and what the default train/test step computes: the compiled losses,
 * metrics and optimizers, the total loss (sample weights, masks, regularization), target-shape
 * checks, and the gradient helper for custom steps. The loop that drives the steps is `trainer.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, describeValue, type ProgressEmitter, type TrainingListener } from '@plasticity/core';
import { Optimizer, deserializeOptimizer, type NamedGradients } from '@plasticity/optimizers';
import type { Callback } from './callbacks.js';
import { toList, type Mask, type MaskArg } from './layer.js';
import { LOSS_CLASSES, SparseCategoricalCrossentropy, getLoss, type Loss, type LossIdentifier } from './losses.js';
import { getMetric, type Metric, type MetricIdentifier } from './metrics.js';
import type { Model } from './model.js';
import type { BatchSource, StepBatch } from './trainer.js';

/** Tensors for a model's inputs or outputs: one, a list (in order), or by name. */
export type TensorData = tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;

/**
 * A batch from a dataset.
 *
 * Fields:
 * - `x`: the inputs, each `[batch, …]`: one tensor, a list in input order, or a record by input name.
 * - `y`: the targets, one per output, the same way (may be omitted when a custom `trainStep`
 *   needs none, e.g. a GAN on unlabelled samples).
 * - `sampleWeight`: per-sample weights, shape `[batch]` (optional).
 */
export interface Batch {
  /** The inputs: `[batch, …]` per model input. */
  x: TensorData;
  /** The targets: `[batch, …]` per model output (omitted when a custom step needs none). */
  y?: TensorData;
  /** Per-sample loss weights, shape `[batch]`. */
  sampleWeight?: tf.Tensor;
}

/**
 * Batches to iterate each epoch: an iterable or async iterable of {@link Batch} (re-iterable:
 * each epoch asks for a new iterator), or a function of the epoch (from 0) that returns one, for
 * batches generated afresh every epoch (new negatives, new noise).
 *
 * @example
 * ```ts
 * const perEpoch: Dataset = (epoch) => makeBatches(epoch); // (epoch) => AsyncIterable<Batch>
 * await model.fit(perEpoch, { epochs: 5 });
 * ```
 */
export type Dataset = BatchSource<Batch>;

/**
 * Arguments of `model.compile`.
 *
 * @example
 * ```ts
 * model.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 * gan.compile({ optimizers: { d: new Adam({ beta1: 0.5 }), g: new Adam({ beta1: 0.5 }) } });
 * ```
 */
export interface CompileArgs {
  /**
   * An Optimizer instance, or a class name with default settings (`'adam'`, `'SGD'`). Compiling again with a
   * different optimizer disposes the previous one's state (moments, EMA); passing the same instance keeps it.
   */
  optimizer?: Optimizer | string;
  /**
   * Several named optimizers for a custom `trainStep` (a GAN's `{ d, g }`); reach them as `model.optimizers.d`.
   * `model.optimizer` is `optimizer`, or the first of these.
   */
  optimizers?: Record<string, Optimizer | string>;
  /**
   * One loss for every output, a list per output, or a record by output name. Needed by the default
   * `trainStep`/`testStep`; a custom step that computes its own loss may leave it out.
   */
  loss?: LossIdentifier | LossIdentifier[] | Record<string, LossIdentifier>;
  /** Metrics for every output (a list), or a record by output name. Default none. */
  metrics?: MetricIdentifier[] | Record<string, MetricIdentifier[]>;
  /** Weights of the outputs' losses in the total, a list per output or a record by output name. Default 1 each. */
  lossWeights?: number[] | Record<string, number>;
}

/**
 * What `compile` stores on the model (`model.compiled`).
 */
export interface CompiledState {
  /** The main optimizer: `compile`'s `optimizer`, else the first of `optimizers`. */
  optimizer: Optimizer;
  /** Every optimizer by name (`optimizer` under the name `'optimizer'` when given). */
  optimizers: Record<string, Optimizer>;
  /** The loss of each output, in `model.outputNames` order (empty without a `loss`). */
  losses: Loss[];
  /** The weight of each output's loss in the total, in output order (empty without a `loss`). */
  lossWeights: number[];
  /** The metrics of each output, in output order (empty without a `loss`). */
  metrics: Metric[][];
  /** The `compile` arguments as given (names or instances), for saving the model. */
  args: {
    /** `compile`'s `loss` as given. */
    loss: unknown;
    /** `compile`'s `metrics` as given. */
    metrics: unknown;
    /** `compile`'s `lossWeights` as given. */
    lossWeights: unknown;
  };
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

/**
 * Configures the model for training (what `model.compile` runs). Re-compiling disposes the state
 * of the previous optimizers that the new configuration does not reuse.
 */
export function compile(model: Model, args: CompileArgs): void {
  if (args.optimizer === undefined && (args.optimizers === undefined || Object.keys(args.optimizers).length === 0)) {
    throw new ValueError('compile needs an optimizer, e.g. model.compile({ optimizer: new Adam(), loss: "mse" }).', {
      field: 'optimizer',
      value: undefined,
    });
  }
  const optimizers: Record<string, Optimizer> = {};
  if (args.optimizer !== undefined) optimizers['optimizer'] = resolveOptimizer(args.optimizer);
  for (const [name, id] of Object.entries(args.optimizers ?? {})) optimizers[name] = resolveOptimizer(id);
  const optimizer = Object.values(optimizers)[0]!;
  const losses =
    args.loss === undefined || args.loss === null ? [] : perOutput(model, args.loss, 'loss').map((l) => getLoss(l));
  const lossWeights =
    args.lossWeights === undefined ? losses.map(() => 1) : perOutput(model, args.lossWeights, 'lossWeights', 1);
  // A list of metrics applies to every output; a record names them per output.
  const outputs = losses.length > 0 ? losses.length : model.outputNames.length;
  const metricIds =
    args.metrics === undefined
      ? new Array<MetricIdentifier[]>(outputs).fill([])
      : Array.isArray(args.metrics)
        ? new Array<MetricIdentifier[]>(outputs).fill(args.metrics)
        : perOutput<MetricIdentifier[]>(model, args.metrics, 'metrics', []);
  const metrics = metricIds.map((ids, i) =>
    toList(ids).map((id) => getMetric(id, (losses[i]?.constructor as { className?: string } | undefined)?.className)),
  );
  // The previous optimizers' slots (moments, EMA copies) would otherwise stay allocated forever.
  const previous = model.compiled;
  if (previous !== undefined) {
    const kept = new Set(Object.values(optimizers));
    for (const old of new Set(Object.values(previous.optimizers ?? { optimizer: previous.optimizer }))) {
      if (!kept.has(old)) old.dispose();
    }
  }
  model.compiled = {
    optimizer,
    optimizers,
    losses,
    lossWeights,
    metrics,
    args: { loss: args.loss ?? null, metrics: args.metrics ?? null, lossWeights: args.lossWeights ?? null },
  };
}

/** The model's compiled state; throws the "not compiled" ValueError when `compile` was not called. */
export function compiledState(model: Model): CompiledState {
  const state = model.compiled;
  if (state === undefined) {
    throw new ValueError(`Model "${model.name}" is not compiled; call model.compile({ optimizer, loss }) first.`, {
      field: 'compile',
      value: undefined,
    });
  }
  return state;
}

/** Orders `data` as the model's inputs (or outputs) and checks the count agrees. */
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

/** Throws a ValueError naming the first tensor of `tensors` that holds NaN or ±Infinity (one async read). */
export async function checkFinite(tensors: tf.Tensor[], what: string): Promise<void> {
  if (tensors.length === 0) return;
  const flags = tf.tidy(() =>
    tf.stack(tensors.map((t) => (t.dtype === 'float32' ? tf.any(tf.logicalNot(tf.isFinite(t))) : tf.scalar(false)))),
  );
  let bad: ArrayLike<number>;
  try {
    bad = await flags.data();
  } finally {
    flags.dispose();
  }
  const i = Array.from(bad).findIndex((b) => b === 1);
  if (i >= 0) {
    throw new ValueError(`${what} ${i} contains NaN or Infinity; clean the data before training.`, {
      field: what,
      value: i,
    });
  }
}

/** Sample weights [n] from per-class weights of a single target (one-hot or class ids). */
export function classWeights(y: tf.Tensor, classWeight: Record<number, number>): tf.Tensor {
  return tf.tidy(() => {
    const classes =
      y.rank > 1 && y.shape[y.rank - 1]! > 1 ? tf.argMax(y, -1) : tf.cast(tf.reshape(y, [y.shape[0]!]), 'int32');
    const max = Math.max(...Object.keys(classWeight).map(Number)) + 1;
    const table = Array.from({ length: max }, (_, k) => classWeight[k] ?? 1);
    return tf.gather(tf.tensor1d(table), tf.minimum(classes, tf.scalar(max - 1, 'int32')));
  });
}

type Dims = readonly (number | null)[];

const sameDims = (a: Dims, b: Dims): boolean =>
  a.length === b.length && a.every((d, i) => d === null || b[i] === null || d === b[i]);

const BUILT_IN_LOSSES = new Set<unknown>(LOSS_CLASSES);

/**
 * Whether a target of shape `target` suits an output of shape `output` under `loss`: the same
 * shape, or one trailing axis of size 1 more or less; for sparse losses, the output's shape
 * without its class axis (with or without a trailing 1). `null` dimensions match anything. Losses
 * written by hand (functions, own subclasses) are not checked: they may want anything.
 */
function targetFits(loss: Loss | undefined, target: Dims, output: Dims): boolean {
  if (loss === undefined || !BUILT_IN_LOSSES.has(loss.constructor)) return true;
  if (loss instanceof SparseCategoricalCrossentropy) {
    const classless = output.slice(0, -1);
    return sameDims(target, classless) || sameDims(target, [...classless, 1]);
  }
  if (sameDims(target, output)) return true;
  if (target.length === output.length - 1) return output.at(-1) === 1 && sameDims(target, output.slice(0, -1));
  if (target.length === output.length + 1) return target.at(-1) === 1 && sameDims(target.slice(0, -1), output);
  return false;
}

const showDims = (d: Dims): string => `[${d.map((x) => (x === null ? 'null' : x)).join(',')}]`;

/**
 * Throws a ShapeError when a target does not fit its output (what would otherwise broadcast
 * silently, e.g. a `[N,3]` target against an `[N,1]` output). `outputShapes` may be symbolic
 * (`null` for unknown dimensions) or a batch's concrete prediction shapes.
 */
export function checkTargets(model: Model, ys: readonly tf.Tensor[], outputShapes: readonly Dims[]): void {
  const state = model.compiled;
  if (state === undefined) return;
  const names = model.outputNames;
  ys.forEach((y, i) => {
    const output = outputShapes[i];
    const loss = state.losses[i];
    if (output === undefined || targetFits(loss, y.shape, output)) return;
    const lossName = (loss!.constructor as { className?: string }).className ?? 'the loss';
    const name = names[i] ?? `output ${i}`;
    const wanted =
      loss instanceof SparseCategoricalCrossentropy
        ? `class ids of shape ${showDims(output.slice(0, -1))} (or with a trailing 1)`
        : `the output's shape`;
    throw new ShapeError(
      `The target for output "${name}" has shape ${showDims(y.shape)} but the output has shape ` +
        `${showDims(output)}; ${lossName} needs ${wanted}. Pass targets that match the output, or change ` +
        `the output (e.g. its units).`,
      { actual: y.shape, expected: output.map((d) => d ?? -1) },
    );
  });
}

/**
 * `y` reshaped to `pred`'s shape when the two differ only by a trailing axis of size 1 (`[N]` vs
 * `[N,1]`), which would otherwise broadcast to `[N,N]`; `y` itself otherwise.
 */
export function alignToPrediction(y: tf.Tensor, pred: tf.Tensor): tf.Tensor {
  if (y.rank === pred.rank || y.size !== pred.size || Math.abs(y.rank - pred.rank) !== 1) return y;
  const [long, short] = y.rank > pred.rank ? [y.shape, pred.shape] : [pred.shape, y.shape];
  if (long.at(-1) !== 1 || !tf.util.arraysEqual(long.slice(0, -1), short)) return y;
  return tf.reshape(y, pred.shape);
}

/** {@link alignToPrediction} for the built-in losses that compare targets element by element. */
function alignTarget(loss: Loss, y: tf.Tensor, pred: tf.Tensor): tf.Tensor {
  if (loss instanceof SparseCategoricalCrossentropy || !BUILT_IN_LOSSES.has(loss.constructor)) return y;
  return alignToPrediction(y, pred);
}

/**
 * Σ over outputs of weight · mean over the batch of (loss · sampleWeight), plus regularization. An
 * output with a mask the shape of its per-step losses ([batch, time] for a sequence) averages over
 * the unmasked steps only, as Keras (2.10+ and 3): Σ(loss · sampleWeight · mask) / (Σ mask + ε).
 */
export function totalLoss(
  model: Model,
  state: CompiledState,
  ys: tf.Tensor[],
  preds: tf.Tensor[],
  sampleWeight: tf.Tensor | undefined,
  masks: Mask[] = [],
): tf.Scalar {
  if (state.losses.length === 0) {
    throw new ValueError(
      `Model "${model.name}" was compiled without a loss; pass compile({ loss }) or override computeLoss/trainStep.`,
      { field: 'loss', value: undefined },
    );
  }
  if (ys.length !== state.losses.length) {
    throw new ValueError(
      `Model "${model.name}" has ${state.losses.length} outputs with a loss; got ${ys.length} targets. ` +
        'Pass targets y to fit/evaluate (or { x, y } batches).',
      { field: 'y', value: ys.length },
    );
  }
  checkTargets(
    model,
    ys,
    preds.map((p) => p.shape),
  );
  const terms = state.losses.map((loss, i) => {
    const perSample = loss.call(alignTarget(loss, ys[i]!, preds[i]!), preds[i]!);
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
export function maskedWeight(sampleWeight: tf.Tensor | undefined, mask: Mask, pred: tf.Tensor): tf.Tensor | undefined {
  if (mask === undefined || mask.rank < 2 || mask.rank >= pred.rank) return sampleWeight;
  if (!tf.util.arraysEqual(mask.shape, pred.shape.slice(0, mask.rank))) return sampleWeight;
  const m = tf.cast(mask, 'float32');
  if (sampleWeight === undefined) return m;
  return tf.mul(m, tf.reshape(sampleWeight, [m.shape[0]!, ...new Array<number>(m.rank - 1).fill(1)]));
}

/** One mask (or undefined) per output. */
export function outputMasks(mask: MaskArg, outputs: number): Mask[] {
  return outputs === 1 && !Array.isArray(mask) ? [mask] : Array.isArray(mask) ? mask : [];
}

/**
 * The log name of each compiled metric: `mae` for a single-output model, `<output>_<metric>`
 * (`cls_accuracy`) with several outputs.
 */
export function metricLogNames(model: Model, state: CompiledState): string[][] {
  const multi = state.metrics.length > 1;
  const names = model.outputNames;
  return state.metrics.map((ms, i) => ms.map((m) => (multi ? `${names[i]}_${m.name}` : m.name)));
}

/** What {@link computeGradients} returns; the caller disposes both. */
export interface ComputedGradients {
  /** The loss, a scalar. */
  value: tf.Scalar;
  /** The gradient of the loss for each variable, by variable name, each shaped as its variable. */
  grads: NamedGradients;
}

/**
 * Gradients of a scalar loss with respect to chosen variables (default: the trainable ones).
 *
 * Args:
 * - `loss`: computes the loss; tensors made inside it are freed when it returns (keep what you
 *   need with `tf.keep`, or compute it outside).
 * - `variables`: what to differentiate with respect to (default every trainable variable).
 *
 * Returns {@link ComputedGradients}: the loss, and a gradient per variable name (for
 * `optimizer.applyGradients`). The caller disposes both.
 *
 * @example
 * ```ts
 * const { value, grads } = computeGradients(() => tf.mean(tf.square(model.apply(x) as tf.Tensor)), model.trainableWeights);
 * optimizer.applyGradients(grads);
 * tf.dispose([value, ...Object.values(grads)]);
 * ```
 */
export function computeGradients(loss: () => tf.Scalar, variables?: tf.Variable[]): ComputedGradients {
  if (variables !== undefined && variables.length === 0) {
    throw new ValueError('computeGradients: no variables to differentiate with respect to (is everything frozen?).', {
      field: 'variables',
      value: 0,
    });
  }
  return tf.variableGrads(loss, variables);
}

/**
 * Options of `model.fit`.
 *
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 10, batchSize: 64, validationSplit: 0.1, callbacks: [new EarlyStopping()] });
 * ```
 */
export interface FitOptions {
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Samples per gradient step when `x` is tensors. Default 32. */
  batchSize?: number;
  /**
   * Fraction in (0, 1) of tensor data, taken from the end before shuffling (as Keras), held out and evaluated after
   * each epoch as `val_*` logs. Default none.
   */
  validationSplit?: number;
  /** Data evaluated after each epoch (`val_*` logs): `[x, y]`, `[x, y, sampleWeight]` or a dataset. */
  validationData?: [TensorData, TensorData] | [TensorData, TensorData, tf.Tensor] | Dataset;
  /** Batches of a validation dataset per evaluation. Default: all of them. */
  validationSteps?: number;
  /** Shuffle tensor data every epoch (seeded by `seed`). Default true. */
  shuffle?: boolean;
  /** Seed of the shuffling. Default 0. */
  seed?: number;
  /** Per-class loss weights for single-output classification, by class index: `{ 0: 1, 1: 5 }`. */
  classWeight?: Record<number, number>;
  /** Per-sample loss weights for tensor data, shape `[n]`. */
  sampleWeight?: tf.Tensor;
  /** Callbacks called at train, epoch and batch boundaries (a `History` is always added). */
  callbacks?: Callback[];
  /** The epoch to start counting from, when resuming. Default 0. */
  initialEpoch?: number;
  /** Batches per epoch from a dataset. Default: until its iterator ends. */
  stepsPerEpoch?: number;
  /** A `ProgressEmitter`, or a listener (e.g. `renderProgress()`), for the training events. */
  progress?: ProgressEmitter | TrainingListener;
  /** The `label` of the `begin` progress event. Default `'fit'`. */
  label?: string;
  /** Check tensor inputs and targets for NaN/Infinity once, asynchronously, before training. Default true. */
  checkInputs?: boolean;
}

/**
 * Options of `model.evaluate`.
 */
export interface EvaluateOptions {
  /** Samples per step when `x` is tensors. Default 32. */
  batchSize?: number;
  /** Per-sample loss weights for tensor data, shape `[n]`. */
  sampleWeight?: tf.Tensor;
  /** Batches of a dataset to evaluate. Default: all of them. */
  steps?: number;
}

/** The number of samples (shared first dimension) of `tensors`; throws on disagreement or none. */
export function sampleCount(tensors: tf.Tensor[], what: string): number {
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

/** Whether `x` is a dataset of batches (an iterable, async iterable or per-epoch function, not tensors). */
export function isDataset(x: unknown): x is Dataset {
  if (typeof x === 'function') return true;
  return (
    x !== null &&
    typeof x === 'object' &&
    !(x instanceof tf.Tensor) &&
    !Array.isArray(x) &&
    (Symbol.iterator in x || Symbol.asyncIterator in x)
  );
}

/** A dataset's `{ x, y, sampleWeight }` batch as the model's step batch (ordered lists, size). */
export function toStepBatch(model: Model, batch: Batch): StepBatch {
  if (batch === null || typeof batch !== 'object' || batch.x === undefined) {
    throw new ValueError(`A dataset batch must be { x, y?, sampleWeight? }; got ${describeValue(batch)}.`, {
      field: 'batch',
      value: batch,
    });
  }
  const x = orderTensors(model, batch.x, 'inputs');
  const y = batch.y === undefined ? [] : orderTensors(model, batch.y, 'outputs');
  return {
    x,
    y,
    ...(batch.sampleWeight === undefined ? {} : { sampleWeight: batch.sampleWeight }),
    size: x[0]?.shape[0] ?? 0,
  };
}
