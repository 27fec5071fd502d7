/**
 * Functional `Model` (a graph of layers from symbolic inputs to symbolic outputs) and
 * `Sequential`. A model is itself a layer, so models nest.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, createRng, describeValue, registerLayer, type ConfigDict } from '@plasticity/core';
import type { Optimizer } from '@plasticity/optimizers';
import type { Callback, Logs } from './callbacks.js';
import type { History } from './callbacks.js';
import { InputLayer, input } from './layers/core.js';
import { saveWeights, writeModel } from './saving.js';
import {
  alignToPrediction,
  checkFinite,
  checkTargets,
  classWeights,
  compile,
  compiledState,
  computeGradients,
  isDataset,
  maskedWeight,
  metricLogNames,
  orderTensors,
  outputMasks,
  sampleCount,
  toStepBatch,
  totalLoss,
  type CompileArgs,
  type CompiledState,
  type Dataset,
  type EvaluateOptions,
  type FitOptions,
  type TensorData,
} from './training.js';
import {
  evaluateLoop,
  fitLoop,
  iterateSource,
  runStepSync,
  type BatchSource,
  type StepBatch,
  type StepLogs,
} from './trainer.js';
import {
  Layer,
  SymbolicTensor,
  toList,
  type CallArgs,
  type LayerConfig,
  type LayerWeight,
  type Mask,
  type MaskArg,
  type MaskedOutputs,
  type Node,
  type Shape,
} from './layer.js';

/** Options of a functional {@link Model}. */
export interface ModelConfig {
  /** The symbolic inputs, from `input({ shape })`; a list for several inputs. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The symbolic outputs, from `layer.apply(...)`; a list (or several heads) for several outputs. */
  outputs: SymbolicTensor | SymbolicTensor[];
  /** Model name. Default generated (`model`, `model_1`, …). */
  name?: string;
}

function formatShape(shape: Shape | Shape[]): string {
  const one = (s: Shape): string => `[${s.map((d) => (d === null ? 'null' : d)).join(',')}]`;
  return shape.length > 0 && Array.isArray(shape[0]) ? (shape as Shape[]).map(one).join(' ') : one(shape as Shape);
}

/**
 * What {@link Model.forward} returns: one prediction and one mask per output, in output order.
 */
export interface ForwardOutputs {
  /** The predictions, one per output, each `[batch, …]`. */
  yPred: tf.Tensor[];
  /** The mask of each output (undefined where it has none). */
  masks: Mask[];
}

/**
 * What {@link Model.computeLoss} receives.
 */
export interface ComputeLossArgs {
  /** The inputs in input order, each `[batch, …]` (optional: the default loss does not use them). */
  x?: tf.Tensor[];
  /** The targets, one per output, each `[batch, …]`. */
  y: tf.Tensor[];
  /** The predictions, one per output, as {@link Model.forward} returns them. */
  yPred: tf.Tensor[];
  /** Per-sample loss weights, `[batch]`. */
  sampleWeight?: tf.Tensor;
  /** One mask (or undefined) per output, as {@link Model.forward} returns them. */
  masks?: Mask[];
  /** Whether a training step asks (false in `testStep`). */
  training?: boolean;
}

/** `tf.keep` every tensor of a step's logs (to outlive `tf.variableGrads`'s scope). */
function keepStepLogs(logs: StepLogs): StepLogs {
  for (const value of Object.values(logs)) tf.keep(value instanceof tf.Tensor ? value : value.stats);
  return logs;
}

/**
 * Batches of tensors, in order or shuffled with a seeded permutation each epoch (`seed` given).
 * Each batch's slices are freed when the loop asks for the next one (or stops).
 */
function tensorSource(
  xs: tf.Tensor[],
  ys: tf.Tensor[],
  sampleWeight: tf.Tensor | undefined,
  batchSize: number,
  seed?: number,
): BatchSource<StepBatch> {
  const n = xs[0]?.shape[0] ?? ys[0]?.shape[0] ?? 0;
  const rng = seed === undefined ? undefined : createRng(seed);
  return function* () {
    const order = rng === undefined ? undefined : tf.tensor1d(Int32Array.from(rng.permutation(n)), 'int32');
    try {
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        const pick = (t: tf.Tensor): tf.Tensor =>
          order === undefined ? tf.slice(t, start, size) : tf.tidy(() => tf.gather(t, tf.slice(order, start, size)));
        const batch: StepBatch = {
          x: xs.map(pick),
          y: ys.map(pick),
          ...(sampleWeight === undefined ? {} : { sampleWeight: pick(sampleWeight) }),
          size,
        };
        try {
          yield batch;
        } finally {
          tf.dispose([...batch.x, ...batch.y, ...(batch.sampleWeight === undefined ? [] : [batch.sampleWeight])]);
        }
      }
    } finally {
      order?.dispose();
    }
  };
}

/**
 * A graph of layers from symbolic inputs to symbolic outputs, and the trainer: `compile`, then
 * `fit` / `evaluate` / `predict` run the one training loop over the overridable
 * {@link Model.trainStep}, {@link Model.testStep}, {@link Model.predictStep} and
 * {@link Model.computeLoss} (Keras 3's `Trainer`). Subclass it and override a step for a GAN or a
 * contrastive loss; every callback and progress event keeps working.
 *
 * Args (config):
 * - `inputs`: symbolic inputs from `input()`; `outputs`: symbolic outputs of layers applied to them.
 * - `name`: the model's name (default from the class). `{ name }` alone makes a model without a
 *   graph, for a subclass whose steps use models it holds (override `layers` to expose them).
 *
 * @example
 * ```ts
 * const x = input({ shape: [4] });
 * const model = new Model({ inputs: x, outputs: new Dense({ units: 1 }).apply(new Dense({ units: 8, activation: 'relu' }).apply(x)) });
 * model.compile({ optimizer: 'adam', loss: 'mse' });
 * await model.fit(xs, ys, { epochs: 5 });
 * ```
 */
export class Model extends Layer {
  static override readonly className: string = 'Model';

  /** The symbolic inputs, in `predict`/`fit` order. */
  inputs: SymbolicTensor[] = [];
  /** The symbolic outputs, in `predict` order. */
  outputs: SymbolicTensor[] = [];
  private graphLayers: Layer[] = [];
  private nodes: Node[] = [];
  /** Training configuration, set by `compile`. */
  compiled: CompiledState | undefined;
  /** Set by a callback to end `fit` after the current batch. */
  stopTraining = false;

  constructor(config: ModelConfig | (LayerConfig & { name?: string })) {
    super({ ...(config.name === undefined ? {} : { name: config.name }) });
    if ('inputs' in config && 'outputs' in config) this.initGraph(toList(config.inputs), toList(config.outputs));
  }

  /** (Re)builds the execution plan from symbolic inputs and outputs. */
  protected initGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): void {
    for (const t of [...inputs, ...outputs]) {
      if (!(t instanceof SymbolicTensor)) {
        throw new ValueError(
          `Model inputs and outputs must be symbolic tensors (from input() and layer.apply); got ${describeValue(t)}.`,
          {
            field: 'inputs',
            value: t,
          },
        );
      }
    }
    for (const t of inputs) {
      if (!(t.node?.layer instanceof InputLayer)) {
        throw new ValueError(
          `Model inputs must come from input(); "${t.name}" is the output of layer "${t.node?.layer.name}".`,
          {
            field: 'inputs',
            value: t.name,
          },
        );
      }
    }
    const order: Node[] = [];
    const visited = new Set<Node>();
    const visiting = new Set<Node>();
    const inputIds = new Set(inputs.map((t) => t.id));
    const visit = (t: SymbolicTensor): void => {
      const node = t.node!;
      if (visited.has(node)) return;
      if (visiting.has(node)) throw new ValueError('The layer graph has a cycle.', { field: 'outputs', value: t.name });
      if (node.layer instanceof InputLayer) {
        if (!inputIds.has(t.id)) {
          throw new ValueError(
            `Output depends on input "${node.layer.name}", which is not among the model's inputs; pass it in inputs.`,
            { field: 'inputs', value: node.layer.name },
          );
        }
      }
      visiting.add(node);
      for (const i of node.inputs) visit(i);
      visiting.delete(node);
      visited.add(node);
      order.push(node);
    };
    for (const t of outputs) visit(t);
    for (const t of inputs) visit(t);
    this.inputs = inputs;
    this.outputs = outputs;
    this.nodes = order;
    const layers: Layer[] = [];
    for (const node of order) if (!layers.includes(node.layer)) layers.push(node.layer);
    const names = new Set<string>();
    for (const l of layers) {
      if (names.has(l.name)) {
        throw new ValueError(
          `Two different layers in model "${this.name}" are named "${l.name}"; layer names must be unique.`,
          {
            field: 'name',
            value: l.name,
          },
        );
      }
      names.add(l.name);
    }
    this.graphLayers = layers;
    this.built = true;
  }

  /** Every layer of the graph (input layers included), in execution order. */
  get layers(): Layer[] {
    return this.graphLayers;
  }

  /** The layer named `name`. */
  getLayer(name: string): Layer;
  /** The layer at position `index` in `layers`. */
  getLayer(index: number): Layer;
  getLayer(key: string | number): Layer {
    const layer = typeof key === 'number' ? this.layers[key] : this.layers.find((l) => l.name === key);
    if (layer === undefined) {
      throw new ValueError(
        `Model "${this.name}" has no layer ${typeof key === 'number' ? `at index ${key}` : `named "${key}"`}; layers: ` +
          `${this.layers.map((l) => l.name).join(', ')}.`,
        { field: 'layer', value: key },
      );
    }
    return layer;
  }

  override get weightEntries(): LayerWeight[] {
    const seen = new Set<tf.Variable>();
    const out: LayerWeight[] = [];
    for (const layer of this.layers) {
      for (const w of layer.weightEntries) {
        if (seen.has(w.variable)) continue;
        seen.add(w.variable);
        // A frozen sub-layer's weights are not trainable from the outside.
        out.push(layer.trainable ? w : { ...w, trainable: false });
      }
    }
    return out;
  }

  override get trainableWeights(): tf.Variable[] {
    return this.trainable ? this.weightEntries.filter((w) => w.trainable).map((w) => w.variable) : [];
  }

  override regularizationLoss(): tf.Scalar | undefined {
    const terms = this.layers
      .filter((l) => l !== this)
      .map((l) => l.regularizationLoss())
      .filter((t) => t !== undefined);
    if (terms.length === 0) return undefined;
    return tf.tidy(() => tf.addN(terms as tf.Tensor[]) as tf.Scalar);
  }

  override applyConstraints(): void {
    for (const layer of this.layers) layer.applyConstraints();
  }

  /** A model carries the masks of its inputs through its graph, so nested models pass masks on. */
  override readonly supportsMasking: boolean = true;

  /** Runs the graph on concrete inputs (one tensor per model input); `args.mask` gives input masks. */
  call(inputs: tf.Tensor | tf.Tensor[], args: CallArgs = {}): tf.Tensor | tf.Tensor[] {
    return this.runGraph(inputs, args).outputs;
  }

  override callWithMask(inputs: tf.Tensor | tf.Tensor[], args: CallArgs, mask: MaskArg): MaskedOutputs {
    return this.runGraph(inputs, { ...args, mask });
  }

  /** The masks of the outputs (runs the graph; inside a model the masks come with the outputs). */
  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: MaskArg): MaskArg {
    let result: MaskArg;
    // Keep the masks, free the outputs and everything else the run made.
    tf.tidy(() => {
      result = this.runGraph(inputs, { training: false, mask }).mask;
      return toList(result).filter((m) => m !== undefined);
    });
    return result;
  }

  /**
   * Runs the nodes in order, keeping each output's mask next to it. Masks cost nothing until a layer
   * makes one (Embedding with maskZero, Masking) or the caller gives one.
   */
  private runGraph(inputs: tf.Tensor | tf.Tensor[], callArgs: CallArgs): MaskedOutputs {
    const { mask: inputMask, ...args } = callArgs;
    const list = toList(inputs);
    if (list.length !== this.inputs.length) {
      throw new ValueError(`Model "${this.name}" has ${this.inputs.length} inputs; got ${list.length} tensors.`, {
        field: 'inputs',
        value: list.length,
      });
    }
    const values = new Map<number, tf.Tensor>();
    const masks = new Map<number, tf.Tensor>();
    const inputMasks: Mask[] = inputMask === undefined ? [] : Array.isArray(inputMask) ? inputMask : [inputMask];
    this.inputs.forEach((sym, i) => {
      const t = list[i]!;
      const expected = sym.shape;
      if (t.rank !== expected.length || expected.some((d, k) => d !== null && d !== t.shape[k])) {
        throw new ShapeError(
          `Input "${sym.name}" of model "${this.name}" expects shape ${formatShape(expected)}; got [${t.shape.join(',')}].`,
          { actual: t.shape, expected: expected.map((d) => d ?? -1) },
        );
      }
      values.set(sym.id, t);
      const m = inputMasks[i];
      if (m !== undefined) masks.set(sym.id, m);
    });
    for (const node of this.nodes) {
      if (node.layer instanceof InputLayer) continue;
      const ins = node.inputs.map((s) => values.get(s.id)!);
      const nodeArgs = { ...node.callArgs, ...args };
      const x = ins.length === 1 ? ins[0]! : ins;
      if (masks.size === 0 && node.layer.computeMask === Layer.prototype.computeMask) {
        // No mask anywhere yet and none can start here: the plain call.
        toList(node.layer.call(x, nodeArgs)).forEach((t, i) => values.set(node.outputs[i]!.id, t));
        continue;
      }
      const inMasks = node.inputs.map((s) => masks.get(s.id));
      const result = node.layer.callWithMask(x, nodeArgs, ins.length === 1 ? inMasks[0] : inMasks);
      const outs = toList(result.outputs);
      // One mask for a single output; a list (one per output) otherwise.
      const outMasks: Mask[] = Array.isArray(result.mask) ? result.mask : [result.mask];
      outs.forEach((t, i) => {
        values.set(node.outputs[i]!.id, t);
        const m = outMasks[i];
        if (m !== undefined) masks.set(node.outputs[i]!.id, m);
      });
    }
    const outs = this.outputs.map((o) => values.get(o.id)!);
    const outMasks = this.outputs.map((o) => masks.get(o.id));
    return outs.length === 1 ? { outputs: outs[0]!, mask: outMasks[0] } : { outputs: outs, mask: outMasks };
  }

  override computeOutputShape(): Shape | Shape[] {
    const shapes = this.outputs.map((o) => [...o.shape]);
    return shapes.length === 1 ? shapes[0]! : shapes;
  }

  override build(): void {
    this.built = true;
  }

  /** The main optimizer given to `compile` (`optimizer`, else the first of `optimizers`). */
  get optimizer(): Optimizer | undefined {
    return this.compiled?.optimizer;
  }

  /**
   * Every compiled optimizer by name: `compile({ optimizers: { d, g } })` gives `{ d, g }`;
   * `compile({ optimizer })` gives `{ optimizer }`. Empty before `compile`.
   */
  get optimizers(): Readonly<Record<string, Optimizer>> {
    return this.compiled?.optimizers ?? {};
  }

  /**
   * Configures training: optimizer(s), per-output losses, metrics and loss weights. Compiling
   * again with a different optimizer disposes the previous optimizer's state (its slot tensors);
   * the same instance is kept, state and all. See {@link CompileArgs}.
   *
   * @example
   * ```ts
   * model.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss: 'mse', metrics: ['mae'] });
   * ```
   */
  compile(args: CompileArgs): void {
    this.ensureBuilt();
    compile(this, args);
  }

  /**
   * Trains on tensors (`fit(x, y, options)`; `y` may be omitted when a custom `trainStep` needs no
   * targets) or on a dataset of `{ x, y }` batches (`fit(dataset, options)`: an iterable, async
   * iterable, or a function of the epoch returning one). Every batch goes through
   * {@link Model.trainStep} in the one training loop (`fitLoop`); the logs it returns reach the
   * callbacks, the progress events and the returned `History` (`history.history.loss[epoch]`).
   * Targets that do not fit an output (a `[N,3]` target for an `[N,1]` output) throw a ShapeError
   * naming the output before training starts. See {@link FitOptions}.
   *
   * @example
   * ```ts
   * const history = await model.fit(x, y, { epochs: 10, batchSize: 32, validationSplit: 0.2, callbacks: [new EarlyStopping({ patience: 2 })] });
   * history.history.val_loss; // one value per epoch
   * ```
   */
  fit(x: TensorData, y?: TensorData, options?: FitOptions): Promise<History>;
  fit(dataset: Dataset, options?: FitOptions): Promise<History>;
  fit(x: tf.Tensor | tf.Tensor[], options: FitOptions): Promise<History>;
  async fit(x: TensorData | Dataset, y?: TensorData | FitOptions, options?: FitOptions): Promise<History> {
    this.ensureBuilt(x);
    if (isDataset(x)) return this.fitOn(x, undefined, (y as FitOptions | undefined) ?? {});
    // fit(x, options): inputs without targets, for a step that needs none.
    if (options === undefined && this.isFitOptions(y)) return this.fitOn(x, undefined, y);
    return this.fitOn(x, y as TensorData | undefined, options ?? {});
  }

  /** Whether `value` is fit's options rather than targets by output name. */
  private isFitOptions(value: unknown): value is FitOptions {
    if (value === null || typeof value !== 'object' || value instanceof tf.Tensor || Array.isArray(value)) return false;
    const keys = Object.keys(value);
    return keys.length === 0 || keys.every((k) => !this.outputNames.includes(k));
  }

  private async fitOn(x: TensorData | Dataset, y: TensorData | undefined, options: FitOptions): Promise<History> {
    const state = compiledState(this);
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValueError(`fit: batchSize must be an integer >= 1; got ${describeValue(batchSize)}.`, {
        field: 'batchSize',
        value: batchSize,
      });
    }
    const owned: tf.Tensor[] = [];
    try {
      let source: BatchSource<StepBatch>;
      let steps: number | undefined;
      let validation: BatchSource<StepBatch> | undefined;
      if (isDataset(x)) source = this.datasetSource(x);
      else {
        if (y === undefined && state.losses.length > 0 && this.trainStep === Model.prototype.trainStep) {
          throw new ValueError('fit needs targets y (or a dataset of { x, y } batches).', {
            field: 'y',
            value: undefined,
          });
        }
        let xs = orderTensors(this, x, 'inputs');
        let ys = y === undefined ? [] : orderTensors(this, y, 'outputs');
        const n = sampleCount([...xs, ...ys], 'fit');
        checkTargets(
          this,
          ys,
          this.outputs.map((o) => o.shape),
        );
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
        let nTrain = n;
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
          nTrain = n - nVal;
          const head = (t: tf.Tensor): tf.Tensor => tf.slice(t, 0, nTrain);
          const tail = (t: tf.Tensor): tf.Tensor => tf.slice(t, nTrain, nVal);
          const vxs = xs.map(tail);
          const vys = ys.map(tail);
          const vw = sampleWeight === undefined ? undefined : tail(sampleWeight);
          xs = xs.map(head);
          ys = ys.map(head);
          sampleWeight = sampleWeight === undefined ? undefined : head(sampleWeight);
          owned.push(...xs, ...ys, ...vxs, ...vys, ...(sampleWeight === undefined ? [] : [sampleWeight]));
          if (vw !== undefined) owned.push(vw);
          validation = tensorSource(vxs, vys, vw, batchSize);
        }
        source = tensorSource(
          xs,
          ys,
          sampleWeight,
          batchSize,
          options.shuffle === false ? undefined : (options.seed ?? 0),
        );
        steps = Math.ceil(nTrain / batchSize);
      }
      if (options.validationData !== undefined) {
        if (isDataset(options.validationData)) validation = this.datasetSource(options.validationData);
        else {
          const [vx, vy, vw] = options.validationData as [TensorData, TensorData, tf.Tensor?];
          const vxs = orderTensors(this, vx, 'inputs');
          const vys = orderTensors(this, vy, 'outputs');
          sampleCount([...vxs, ...vys], 'fit: validationData');
          checkTargets(
            this,
            vys,
            this.outputs.map((o) => o.shape),
          );
          validation = tensorSource(vxs, vys, vw, batchSize);
        }
      }
      return await fitLoop(this, source, {
        epochs: options.epochs ?? 1,
        initialEpoch: options.initialEpoch ?? 0,
        ...(steps === undefined ? {} : { steps }),
        ...(options.stepsPerEpoch === undefined ? {} : { stepsPerEpoch: options.stepsPerEpoch }),
        ...(options.callbacks === undefined ? {} : { callbacks: options.callbacks }),
        ...(options.progress === undefined ? {} : { progress: options.progress }),
        label: options.label ?? 'fit',
        ...(validation === undefined ? {} : { validationData: validation }),
        ...(options.validationSteps === undefined ? {} : { validationSteps: options.validationSteps }),
      });
    } finally {
      tf.dispose(owned);
    }
  }

  /** A dataset's batches as step batches (ordered by the model's inputs and outputs). */
  private datasetSource(data: Dataset): BatchSource<StepBatch> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const model = this;
    return async function* (epoch: number) {
      for await (const batch of iterateSource(data, epoch)) yield toStepBatch(model, batch);
    };
  }

  /**
   * Loss and metrics on tensors or a dataset, in inference mode: every batch goes through
   * {@link Model.testStep}; returns the logs over all of it (`{ loss, ...metrics }`).
   *
   * @example
   * ```ts
   * const { loss, accuracy } = await model.evaluate(xTest, yTest, { batchSize: 128 });
   * ```
   */
  evaluate(x: TensorData, y?: TensorData, options?: EvaluateOptions): Promise<Logs>;
  evaluate(dataset: Dataset, options?: EvaluateOptions): Promise<Logs>;
  async evaluate(x: TensorData | Dataset, y?: TensorData | EvaluateOptions, options?: EvaluateOptions): Promise<Logs> {
    this.ensureBuilt(x);
    const state = compiledState(this);
    if (isDataset(x)) {
      const steps = (y as EvaluateOptions | undefined)?.steps;
      return evaluateLoop(this, this.datasetSource(x), steps === undefined ? {} : { steps });
    }
    if (y === undefined && state.losses.length > 0 && this.testStep === Model.prototype.testStep) {
      throw new ValueError('evaluate needs targets y (or a dataset of { x, y } batches).', {
        field: 'y',
        value: undefined,
      });
    }
    const opts = options ?? {};
    const xs = orderTensors(this, x, 'inputs');
    const ys = y === undefined ? [] : orderTensors(this, y as TensorData, 'outputs');
    sampleCount([...xs, ...ys], 'evaluate');
    checkTargets(
      this,
      ys,
      this.outputs.map((o) => o.shape),
    );
    const batchSize = opts.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValueError(`evaluate: batchSize must be an integer >= 1; got ${describeValue(batchSize)}.`, {
        field: 'batchSize',
        value: batchSize,
      });
    }
    return evaluateLoop(this, tensorSource(xs, ys, opts.sampleWeight, batchSize), {
      ...(opts.steps === undefined ? {} : { steps: opts.steps }),
    });
  }

  /**
   * One optimizer step on one batch through {@link Model.trainStep}; returns the batch's logs
   * (`{ loss, ...metrics }`). Synchronous, so it reads back with `dataSync()` (use `fit` on
   * WebGL/WebGPU).
   */
  trainOnBatch(x: TensorData, y?: TensorData, options: { sampleWeight?: tf.Tensor } = {}): Logs {
    this.ensureBuilt(x);
    compiledState(this);
    const xs = orderTensors(this, x, 'inputs');
    const ys = y === undefined ? [] : orderTensors(this, y, 'outputs');
    const size = sampleCount([...xs, ...ys], 'trainOnBatch');
    const batch: StepBatch = {
      x: xs,
      y: ys,
      ...(options.sampleWeight === undefined ? {} : { sampleWeight: options.sampleWeight }),
      size,
    };
    return runStepSync(() => this.trainStep(batch), size);
  }

  /**
   * Runs the model on a batch's inputs: {@link ForwardOutputs}, one prediction and one mask (or
   * undefined) per output. What the default steps call; a custom step may too.
   *
   * Args:
   * - `x`: the inputs in input order, each `[batch, …]`.
   * - `training`: training mode (dropout on, BatchNormalization updating); default false.
   */
  forward(x: tf.Tensor[], training = false): ForwardOutputs {
    const run = this.callWithMask(x.length === 1 ? x[0]! : x, { training }, undefined);
    const yPred = toList(run.outputs);
    return { yPred, masks: outputMasks(run.mask, yPred.length) };
  }

  /**
   * The loss to minimize for a batch (Keras `compute_loss`): by default, over the outputs, the
   * compiled loss weighted by `lossWeights` and averaged with `sampleWeight` (and, for a masked
   * sequence output, over the unmasked steps), plus the layers' regularization losses. Checks that
   * each target fits its output (ShapeError naming the output otherwise). Override it to change
   * the loss and keep the default step.
   *
   * Args (one object):
   * - `x`: the inputs; `y`: the targets; `yPred`: the predictions, one per output.
   * - `sampleWeight`: `[batch]` weights (optional); `masks`: one output mask each (optional).
   * - `training`: whether this is a training step.
   *
   * @example
   * ```ts
   * override computeLoss(args: ComputeLossArgs): tf.Scalar {
   *   return tf.add(super.computeLoss(args), tf.mul(0.01, tf.mean(tf.abs(args.yPred[0]!)))) as tf.Scalar;
   * }
   * ```
   */
  computeLoss(args: ComputeLossArgs): tf.Scalar {
    return totalLoss(this, compiledState(this), args.y, args.yPred, args.sampleWeight, args.masks ?? []);
  }

  /**
   * The compiled metrics' statistics for a batch, by log name (`mae`, or `<output>_<metric>` with
   * several outputs), ready to spread into what a step returns. A masked output weighs its
   * metrics by the mask too.
   *
   * Args (one object): `y`, `yPred`, `sampleWeight` and `masks`, as {@link Model.computeLoss}.
   */
  computeMetrics(args: Omit<ComputeLossArgs, 'x' | 'training'>): StepLogs {
    const state = compiledState(this);
    const names = metricLogNames(this, state);
    const out: StepLogs = {};
    state.metrics.forEach((ms, i) => {
      if (ms.length === 0) return;
      const y = args.y[i];
      const pred = args.yPred[i];
      if (y === undefined || pred === undefined) return;
      const weight = maskedWeight(args.sampleWeight, args.masks?.[i], pred);
      const target = alignToPrediction(y, pred);
      ms.forEach((metric, j) => {
        out[names[i]![j]!] = { metric, stats: metric.batchStatistics(target, pred, weight) };
      });
    });
    return out;
  }

  /**
   * One gradient step: the gradients of `loss` with respect to `variables` (default the trainable
   * weights), applied by `optimizer` (default the compiled one), then the layers' constraints.
   * Returns the loss (the loop disposes it when a step returns it). Inside `fit` the optimizer's
   * NaN/Infinity check joins the step's one asynchronous read.
   *
   * Args:
   * - `loss`: computes the scalar loss; tensors made inside are freed when it returns (`tf.keep`
   *   what the step still needs, e.g. metric statistics).
   * - `options.variables`: what to train (e.g. `this.generator.trainableWeights`).
   * - `options.optimizer`: which optimizer (e.g. `this.optimizers.d` in a GAN).
   *
   * @example
   * ```ts
   * const dLoss = this.minimize(() => dLossOf(real, fake), { variables: this.d.trainableWeights, optimizer: this.optimizers.d });
   * ```
   */
  minimize(loss: () => tf.Scalar, options: { variables?: tf.Variable[]; optimizer?: Optimizer } = {}): tf.Scalar {
    const optimizer = options.optimizer ?? compiledState(this).optimizer;
    const { value, grads } = computeGradients(loss, options.variables ?? this.trainableWeights);
    try {
      optimizer.applyGradients(grads);
    } finally {
      tf.dispose(Object.values(grads));
    }
    this.applyConstraints();
    return value;
  }

  /**
   * One training step on a batch (Keras `train_step`), called by `fit` and `trainOnBatch` inside
   * `tf.tidy`: forward in training mode, {@link Model.computeLoss}, gradients and the optimizer
   * ({@link Model.minimize}), and {@link Model.computeMetrics}. Returns `{ loss, ...metrics }`.
   *
   * Override it for a GAN, a contrastive loss, several optimizers: return named scalars
   * (`{ d_loss, g_loss }`) and they appear in the logs, `history.history`, callbacks and progress
   * events. Must be synchronous; the loop reads everything back in one asynchronous read.
   *
   * @example
   * ```ts
   * class Denoiser extends Model {
   *   override trainStep(batch: StepBatch): StepLogs {
   *     const noisy = tf.add(batch.x[0]!, tf.randomNormal(batch.x[0]!.shape, 0, 0.1));
   *     const loss = this.minimize(() => tf.mean(tf.square(tf.sub(this.forward([noisy], true).yPred[0]!, batch.x[0]!))));
   *     return { loss };
   *   }
   * }
   * ```
   */
  trainStep(batch: StepBatch): StepLogs {
    let metrics: StepLogs = {};
    const loss = this.minimizeKeeping(
      () => metrics,
      () => {
        const { yPred, masks } = this.forward(batch.x, true);
        const args = {
          x: batch.x,
          y: batch.y,
          yPred,
          masks,
          ...(batch.sampleWeight === undefined ? {} : { sampleWeight: batch.sampleWeight }),
        };
        const value = this.computeLoss({ ...args, training: true });
        // tf.variableGrads frees every tensor made in here but the loss: keep the statistics.
        metrics = keepStepLogs(this.computeMetrics(args));
        return value;
      },
    );
    return { loss, ...metrics };
  }

  /** {@link Model.minimize}, freeing the kept `logs()` if the update fails. */
  private minimizeKeeping(logs: () => StepLogs, loss: () => tf.Scalar): tf.Scalar {
    try {
      return this.minimize(loss);
    } catch (error) {
      for (const value of Object.values(logs())) tf.dispose(value instanceof tf.Tensor ? value : value.stats);
      throw error;
    }
  }

  /**
   * One evaluation step on a batch (Keras `test_step`), in inference mode: `{ loss, ...metrics }`
   * by {@link Model.computeLoss} and {@link Model.computeMetrics}. Used by `evaluate` and for
   * `fit`'s validation; override it together with a custom `trainStep`.
   */
  testStep(batch: StepBatch): StepLogs {
    const { yPred, masks } = this.forward(batch.x, false);
    const args = {
      x: batch.x,
      y: batch.y,
      yPred,
      masks,
      ...(batch.sampleWeight === undefined ? {} : { sampleWeight: batch.sampleWeight }),
    };
    const loss = this.computeLoss({ ...args, training: false });
    return { loss, ...this.computeMetrics(args) };
  }

  /**
   * One prediction step on a batch of inputs (Keras `predict_step`), called by `predict` inside
   * `tf.tidy`: by default the model in inference mode. Returns one tensor per output.
   */
  predictStep(x: tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return this.call(x.length === 1 ? x[0]! : x, { training: false });
  }

  /**
   * Saves the model (architecture, weights, and when compiled the optimizer state) to a URL
   * (`file://…` after `registerFileRouter()` from `@plasticity/core/node`, `memory://…`, …) or
   * an IO handler. Files are written atomically.
   */
  async save(
    target: string | tf.io.IOHandler,
    options: { includeOptimizer?: boolean } = {},
  ): Promise<tf.io.SaveResult> {
    registerBuiltinModels();
    return writeModel(this, target, options);
  }

  /**
   * Saves only the weights (`saveWeights`), for `loadWeights` into a model of the same
   * architecture; `target` is an IO URL or handler as for {@link Model.save}.
   */
  async saveWeights(target: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
    return saveWeights(this, target);
  }

  /** Builds a model that is not built yet from example data (Sequential without an input shape). */
  protected ensureBuilt(_x?: unknown): void {}

  /** Names of the outputs (the names of the layers that produce them). */
  get outputNames(): string[] {
    return this.outputs.map((o) => o.node!.layer.name);
  }

  /**
   * A table of layers, output shapes and parameter counts, with totals of trainable and frozen
   * parameters. Returns the text and prints it with `print` (default console.log).
   */
  summary(print: (line: string) => void = console.log): string {
    const rows: [string, string, string, string][] = [['Layer (type)', 'Output shape', 'Param #', 'Trainable']];
    for (const layer of this.layers) {
      const type = (layer.constructor as { className?: string }).className ?? layer.constructor.name;
      const shape =
        layer.inboundNodes.length > 0
          ? formatShape(
              layer.inboundNodes[0]!.outputs.map((o) => o.shape).length === 1
                ? layer.inboundNodes[0]!.outputs[0]!.shape
                : layer.inboundNodes[0]!.outputs.map((o) => o.shape),
            )
          : '?';
      const params = layer.countParams();
      // A nested model that is trainable but holds frozen layers (transfer learning) reads `partial`.
      const frozenInside =
        layer instanceof Model && layer.layers.some((l) => l !== layer && l.countParams() > 0 && !l.trainable);
      const trainable = params === 0 ? '' : !layer.trainable ? 'frozen' : frozenInside ? 'partial' : 'yes';
      rows.push([`${layer.name} (${type})`, shape, String(params), trainable]);
    }
    const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]): string =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd();
    const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
    const total = this.countParams();
    const trainable = this.trainableWeights.reduce((n, v) => n + v.size, 0);
    const text = [
      `Model: "${this.name}"`,
      rule,
      line(rows[0]!),
      rule,
      ...rows.slice(1).map(line),
      rule,
      `Total params: ${total}`,
      `Trainable params: ${trainable}`,
      `Non-trainable params: ${total - trainable}`,
    ].join('\n');
    print(text);
    return text;
  }

  /** Runs the model on concrete inputs in inference mode, in batches, and concatenates. */
  predict(x: tf.Tensor | tf.Tensor[], options: { batchSize?: number } = {}): tf.Tensor | tf.Tensor[] {
    const xs = toList(x);
    const n = xs[0]!.shape[0]!;
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValueError(`predict: batchSize must be a positive integer; got ${describeValue(batchSize)}.`, {
        field: 'batchSize',
        value: batchSize,
      });
    }
    if (n <= batchSize) return tf.tidy(() => this.predictStep(xs));
    const parts: tf.Tensor[][] = [];
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const out = tf.tidy(() => {
        const batch = xs.map((t) => tf.slice(t, start, size));
        return toList(this.predictStep(batch));
      });
      parts.push(out);
    }
    const outputs = parts[0]!.map((_, i) =>
      tf.concat(
        parts.map((p) => p[i]!),
        0,
      ),
    );
    tf.dispose(parts.flat());
    return outputs.length === 1 ? outputs[0]! : outputs;
  }

  protected override ownConfig(): ConfigDict {
    const ref = (t: SymbolicTensor): [string, number, number] => [t.node!.layer.name, t.node!.index, t.outputIndex];
    return {
      layers: this.layers.map((layer) => ({
        className: (layer.constructor as { className?: string }).className ?? layer.constructor.name,
        config: layer.getConfig(),
        inboundNodes: layer.inboundNodes
          .filter((node) => this.nodes.includes(node) && !(node.layer instanceof InputLayer))
          .map((node) => node.inputs.map((t) => ref(t))),
      })),
      inputLayers: this.inputs.map(ref),
      outputLayers: this.outputs.map(ref),
    } as unknown as ConfigDict;
  }

  /**
   * Frees the weights of every layer and, when compiled, the optimizer's state (moments, EMA
   * copies). A nested model's layers are freed with it.
   */
  override dispose(): void {
    for (const layer of this.layers) if (layer !== this) layer.dispose();
    for (const optimizer of new Set(Object.values(this.optimizers))) optimizer.dispose();
  }
}

/**
 * A linear stack of layers. Give the first layer an `inputShape` (or call `add(input(...))`-style
 * by passing `inputShape`), or let the first `predict`/`fit` build it from the data's shape.
 */

export type { Callback };

/**
 * A linear stack of layers: each layer's output is the next one's input. Give the first layer
 * an `inputShape` (or pass `inputShape` here), or let the first `predict`/`fit` build it from the
 * data's shape. Everything of {@link Model} applies: `compile`, `fit`, `evaluate`, `predict`,
 * `summary`, `save`.
 *
 * Args (config): `layers` (default none; more with `add`), `inputShape` (without the batch
 * dimension, e.g. `[784]`), `name`.
 *
 * @example
 * ```ts
 * const model = new Sequential({
 *   layers: [
 *     new Dense({ units: 64, activation: 'relu', inputShape: [784] }), // [batch, 784] → [batch, 64]
 *     new Dense({ units: 10, activation: 'softmax' }), // → [batch, 10]
 *   ],
 * });
 * model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 * await model.fit(x, y, { epochs: 5, batchSize: 32 });
 * ```
 */
export class Sequential extends Model {
  static override readonly className: string = 'Sequential';
  private stack: Layer[] = [];
  private inputShape: Shape | undefined;

  constructor(config: { layers?: Layer[]; name?: string; inputShape?: Shape } = {}) {
    super({ ...(config.name === undefined ? {} : { name: config.name }) });
    this.built = false;
    if (config.inputShape !== undefined) this.inputShape = [null, ...config.inputShape];
    for (const layer of config.layers ?? []) this.add(layer);
  }

  /** Appends a layer (and rebuilds the graph when the input shape is known). */
  add(layer: Layer): this {
    if (!(layer instanceof Layer)) {
      throw new ValueError(`Sequential.add needs a Layer; got ${describeValue(layer)}.`, {
        field: 'layer',
        value: layer,
      });
    }
    if (this.stack.length === 0 && layer.batchInputShape !== undefined) this.inputShape = layer.batchInputShape;
    this.stack.push(layer);
    if (this.inputShape !== undefined) this.buildGraph(this.inputShape);
    return this;
  }

  /** Removes the last layer. */
  pop(): Layer {
    const layer = this.stack.pop();
    if (layer === undefined) throw new ValueError('Sequential.pop on an empty model.', { field: 'layers', value: 0 });
    if (this.inputShape !== undefined && this.stack.length > 0) this.buildGraph(this.inputShape);
    return layer;
  }

  private buildGraph(batchInputShape: Shape): void {
    const x = input({
      shape: batchInputShape.slice(1),
      batchSize: batchInputShape[0] ?? undefined,
      name: `${this.name}_input`,
    });
    let y = x;
    for (const layer of this.stack) y = layer.apply(y) as SymbolicTensor;
    this.initGraph([x], [y]);
  }

  /** The stacked layers (no input layer). */
  override get layers(): Layer[] {
    return this.stack;
  }

  override build(inputShape?: Shape | Shape[]): void {
    if (this.built) return;
    const shape = (this.inputShape ?? inputShape) as Shape | undefined;
    if (shape === undefined) {
      throw new ValueError(`Sequential "${this.name}" needs an input shape: give the first layer inputShape.`, {
        field: 'inputShape',
        value: undefined,
      });
    }
    this.inputShape = [null, ...shape.slice(1)];
    this.buildGraph(this.inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], args: CallArgs = {}): tf.Tensor | tf.Tensor[] {
    if (!this.built) this.build([...toList(inputs)[0]!.shape]);
    return super.call(inputs, args);
  }

  override predict(x: tf.Tensor | tf.Tensor[], options: { batchSize?: number } = {}): tf.Tensor | tf.Tensor[] {
    this.ensureBuilt(x);
    return super.predict(x, options);
  }

  protected override ensureBuilt(x?: unknown): void {
    if (this.built) return;
    if (x instanceof tf.Tensor) this.build([...x.shape]);
    else if (Array.isArray(x) && x[0] instanceof tf.Tensor) this.build([...x[0].shape]);
    else this.build(undefined);
  }

  protected override ownConfig(): ConfigDict {
    return {
      layers: this.stack.map((layer) => ({
        className: (layer.constructor as { className?: string }).className ?? layer.constructor.name,
        config: layer.getConfig(),
      })),
      ...(this.inputShape === undefined ? {} : { batchInputShape: [...this.inputShape] }),
    } as unknown as ConfigDict;
  }
}

/**
 * Registers `Model` and `Sequential` as layers (idempotent), so that `model.save` works without a
 * call to `registerBuiltinLayers()`, which registers them with everything else.
 */
export function registerBuiltinModels(): void {
  registerLayer(Model);
  registerLayer(Sequential);
}
