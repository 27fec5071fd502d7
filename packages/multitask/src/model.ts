/**
 * A model with a shared trunk and named task heads, trained with per-task losses and metrics and a
 * loss balancer. Training runs on the one loop of `@plasticity/layers` (`fit` / `evaluate` /
 * `predict`, callbacks, progress events, validation): the balancer is the model's train step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArtifactError, ValueError, describeValue, resolveIOHandler } from '@plasticity/core';
import {
  Activation,
  Callback,
  Layer,
  Model,
  loadModel,
  type FitOptions,
  type History,
  type Logs,
  type LossIdentifier,
  type MetricIdentifier,
  type StepBatch,
  type StepLogs,
  type SymbolicTensor,
  type TensorData,
} from '@plasticity/layers';
import type { Optimizer } from '@plasticity/optimizers';
import {
  DynamicWeightAverage,
  FixedWeights,
  GradNorm,
  LossBalancer,
  PCGrad,
  UncertaintyWeighting,
  type StepContext,
} from './balancers.js';

/**
 * One task: its head on the trunk's features, its loss and metrics.
 *
 * @example
 * ```ts
 * const price: TaskSpec = { head: new Dense({ units: 1 }), loss: 'mse', metrics: ['mae'] };
 * ```
 */
export interface TaskSpec {
  /**
   * A layer, a stack of layers applied in order, or a function of the trunk's symbolic output `[batch, features]`.
   * Its output is renamed to the task's name (a weightless linear `Activation` named after the task is added unless
   * the head's last layer already has it).
   */
  head: Layer | readonly Layer[] | ((features: SymbolicTensor) => SymbolicTensor);
  /**
   * The task's loss (`'mse'`, `'sparseCategoricalCrossentropy'`, a Loss instance, …); `compile({ loss })` can
   * override it.
   */
  loss: LossIdentifier;
  /** Metrics of this task's output (`'accuracy'`, `'mae'`, …). Default none. */
  metrics?: readonly MetricIdentifier[];
}

/** The configuration of a multi-task model: a shared trunk and one head per task. */
export interface MultiTaskConfig {
  /** The shared part: a model from the inputs to the shared features `[batch, features]` (one output). */
  trunk: Model;
  /**
   * Heads by task name; the names are the model's output names and appear in logs (`<task>_loss`, `<task>_weight`,
   * `<task>_<metric>`).
   */
  tasks: Readonly<Record<string, TaskSpec>>;
  /** Name of the underlying model. Default generated. */
  name?: string;
}

/** Targets, one tensor per task: `{ price: [batch, 1], category: [batch] }`. */
export type TaskTargets = Readonly<Record<string, tf.Tensor>>;

/**
 * What {@link MultiTaskModel.compile} takes.
 */
export interface MultiTaskCompileArgs {
  /** An optimizer instance or a class name (`'adam'`). */
  optimizer: Optimizer | string;
  /**
   * How the task losses (or gradients) combine into one update. Default {@link FixedWeights} with every weight 1. The
   * balancer is initialised with the task names here, and keeps its learnt state across `fit` calls.
   */
  balancer?: LossBalancer;
  /** Per-task losses by task name, overriding the tasks' own. */
  loss?: Readonly<Record<string, LossIdentifier>>;
  /** Per-task metrics by task name, overriding the tasks' own. */
  metrics?: Readonly<Record<string, readonly MetricIdentifier[]>>;
}

function applyHead(head: TaskSpec['head'], features: SymbolicTensor, task: string): SymbolicTensor {
  if (typeof head === 'function') return head(features);
  const stack = (Array.isArray(head) ? head : [head]) as Layer[];
  if (stack.length === 0 || !stack.every((l) => l instanceof Layer)) {
    throw new ValueError(
      `Task "${task}": head must be a layer, a non-empty list of layers, or a function; got ${describeValue(head)}.`,
      {
        field: `tasks.${task}.head`,
        value: head,
      },
    );
  }
  let y = features;
  for (const layer of stack) y = layer.apply(y) as SymbolicTensor;
  return y;
}

/** `output` under the task's name: itself when its layer has that name, else through a linear Activation. */
function named(output: SymbolicTensor, task: string): SymbolicTensor {
  if (output.node?.layer.name === task) return output;
  return new Activation({ activation: 'linear', name: task }).apply(output) as SymbolicTensor;
}

/** The layers on the path back from `output` to the symbolic tensor `stopId` (exclusive). */
function layersBetween(output: SymbolicTensor, stopId: number): Layer[] {
  const out = new Set<Layer>();
  const seen = new Set<number>();
  const visit = (t: SymbolicTensor): void => {
    if (t.id === stopId || seen.has(t.id) || t.node === undefined) return;
    seen.add(t.id);
    if (t.node.inputs.length === 0) return;
    out.add(t.node.layer);
    for (const i of t.node.inputs) visit(i);
  };
  visit(output);
  return [...out];
}

/** Checks a record keyed by task names: every key is a task. */
function checkTaskKeys(tasks: readonly string[], record: object | undefined, what: string): void {
  for (const key of Object.keys(record ?? {})) {
    if (!tasks.includes(key)) {
      throw new ValueError(`${what}: "${key}" is not a task; tasks: ${tasks.join(', ')}.`, {
        field: what,
        value: key,
      });
    }
  }
}

/** The whole network, trunk inputs → one output per task, and the parts the balancers need. */
export interface MultiTaskParts {
  model: MultiTaskNetwork;
  trunk: Model;
  tasks: string[];
  features: SymbolicTensor;
}

/** Builds the network from a config: trunk, heads, outputs named by task. */
function buildParts(config: MultiTaskConfig): MultiTaskParts {
  if (!(config?.trunk instanceof Model)) {
    throw new ValueError(`MultiTaskModel needs a trunk Model; got ${describeValue(config?.trunk)}.`, {
      field: 'trunk',
      value: config?.trunk,
    });
  }
  if (config.trunk.outputs.length !== 1) {
    throw new ValueError(
      `MultiTaskModel: the trunk must have one output (the shared features); it has ${config.trunk.outputs.length}.`,
      {
        field: 'trunk',
        value: config.trunk.outputs.length,
      },
    );
  }
  const tasks = Object.keys(config.tasks ?? {});
  if (tasks.length === 0) {
    throw new ValueError('MultiTaskModel needs at least one task in `tasks`.', { field: 'tasks', value: 0 });
  }
  const features = config.trunk.outputs[0]!;
  const outputs = tasks.map((t) => named(applyHead(config.tasks[t]!.head, features, t), t));
  const model = new MultiTaskNetwork({
    inputs: config.trunk.inputs,
    outputs,
    ...(config.name === undefined ? {} : { name: config.name }),
  });
  return { model, trunk: config.trunk, tasks, features };
}

/**
 * The network a {@link MultiTaskModel} trains: a functional `Model` whose train step is the
 * balancer's (per-task losses, their combination or gradient surgery, one optimizer update) and
 * whose logs are per task. `fit`, `evaluate`, callbacks, validation and progress are the layers
 * loop's. Use it through {@link MultiTaskModel}; it is exported for callbacks that want its type.
 */
export class MultiTaskNetwork extends Model {
  /** Task names, in output order. */
  tasks: string[] = [];
  /** The balancer set by {@link MultiTaskModel.compile}. */
  balancer: LossBalancer | undefined;
  /** The variables the balancers need (shared, per task, last shared layer), set by {@link MultiTaskModel}. */
  parts: (() => Pick<StepContext, 'shared' | 'taskVariables' | 'lastShared'>) | undefined;

  /** Per-task mean losses `[batch]` → scalars, weighted by `sampleWeight` when given. */
  private taskLosses(batch: StepBatch, preds: tf.Tensor[]): tf.Scalar[] {
    const state = this.compiled!;
    return state.losses.map((loss, i) => {
      const perSample = loss.call(batch.y[i]!, preds[i]!);
      const w = batch.sampleWeight;
      if (w === undefined) return tf.mean(perSample) as tf.Scalar;
      const shape = [perSample.shape[0]!, ...new Array<number>(perSample.rank - 1).fill(1)];
      return tf.mean(tf.mul(perSample, tf.reshape(w, shape))) as tf.Scalar;
    });
  }

  private predictions(batch: StepBatch, training: boolean): tf.Tensor[] {
    const out = this.call(batch.x.length === 1 ? batch.x[0]! : batch.x, { training });
    return Array.isArray(out) ? out : [out];
  }

  private checkBatch(batch: StepBatch): void {
    if (this.compiled === undefined || this.balancer === undefined || this.parts === undefined) {
      throw new ValueError(
        'MultiTaskModel is not compiled; call mt.compile({ optimizer, balancer }) before fit or evaluate.',
        { field: 'compile', value: undefined },
      );
    }
    if (batch.y.length !== this.tasks.length) {
      throw new ValueError(
        `MultiTaskModel: a batch needs one target per task (${this.tasks.join(', ')}); got ${batch.y.length}.`,
        {
          field: 'y',
          value: batch.y.length,
        },
      );
    }
  }

  /** `{ loss, <task>_loss, <task>_<metric> }`: the logs a step reports (loss = Σ task losses). */
  private stepLogs(batch: StepBatch, losses: tf.Tensor, preds: tf.Tensor[] | undefined): StepLogs {
    const logs: StepLogs = { loss: tf.sum(losses) };
    const each = tf.unstack(losses);
    this.tasks.forEach((t, i) => (logs[`${t}_loss`] = each[i]!));
    if (preds !== undefined) {
      this.compiled!.metrics.forEach((ms, i) => {
        for (const m of ms) {
          logs[`${this.tasks[i]}_${m.name}`] = {
            metric: m,
            stats: m.batchStatistics(batch.y[i]!, preds[i]!, batch.sampleWeight),
          };
        }
      });
    }
    return logs;
  }

  /** One balanced update: the balancer's step, the weight constraints, the per-task logs. */
  override trainStep(batch: StepBatch): StepLogs {
    this.checkBatch(batch);
    const hasMetrics = this.compiled!.metrics.some((ms) => ms.length > 0);
    let preds: tf.Tensor[] | undefined;
    const context: StepContext = {
      tasks: this.tasks,
      ...this.parts!(),
      losses: () => {
        const out = this.predictions(batch, true);
        // The balancer differentiates inside its own scopes, which free what they made: the
        // metrics read the first forward pass's predictions, kept out of those scopes.
        if (hasMetrics && preds === undefined) preds = out.map((p) => tf.keep(p.clone()));
        return this.taskLosses(batch, out);
      },
      optimizer: this.compiled!.optimizer,
    };
    let losses: tf.Tensor1D | undefined;
    try {
      losses = this.balancer!.step(context);
      this.applyConstraints();
      return this.stepLogs(batch, losses, preds);
    } finally {
      tf.dispose([...(preds ?? []), ...(losses === undefined ? [] : [losses])]);
    }
  }

  /** The multitask metadata to save with the network, set by {@link MultiTaskModel}. */
  metadata: (() => Promise<object>) | undefined;

  /**
   * Saves the network as a functional `Model` (what `loadModel` reads back by itself, outputs
   * named by task) with the multitask metadata in `userDefinedMetadata.multitask`, so the
   * artifact also loads with {@link loadMultiTaskModel} — `ModelCheckpoint`, which calls this,
   * writes full multi-task checkpoints. The balanced step lives in code, not in the artifact.
   *
   * Args:
   *   target: a URL (`file://…`, `memory://…`) or an IO handler.
   *   options.includeOptimizer: save the optimizer state (default: when compiled).
   */
  override async save(
    target: string | tf.io.IOHandler,
    options: { includeOptimizer?: boolean } = {},
  ): Promise<tf.io.SaveResult> {
    const plain = new Model({ inputs: this.inputs, outputs: this.outputs, name: this.name });
    plain.compiled = this.compiled;
    if (this.metadata === undefined) return plain.save(target, options);
    const multitask = await this.metadata();
    const inner = resolveIOHandler(target, 'save');
    if (inner.save === undefined) {
      throw new ArtifactError(typeof target === 'string' ? target : 'IO handler', 'cannot save (it has no save()).');
    }
    const handler: tf.io.IOHandler = {
      save: (artifacts) =>
        inner.save!({
          ...artifacts,
          userDefinedMetadata: { ...(artifacts.userDefinedMetadata ?? {}), multitask },
        }),
    };
    return plain.save(handler, options);
  }

  /** Per-task losses and metrics in inference mode (validation, `evaluate`). */
  override testStep(batch: StepBatch): StepLogs {
    this.checkBatch(batch);
    const preds = this.predictions(batch, false);
    return this.stepLogs(batch, tf.stack(this.taskLosses(batch, preds)), preds);
  }
}

/**
 * Options of {@link MultiTaskModel.fit}: those of the layers `fit` (`epochs`, `batchSize`,
 * `validationSplit`, `shuffle`, `seed`, `sampleWeight`, `callbacks`, `progress`, `initialEpoch`,
 * …), with validation data given as targets by task.
 */
export interface MultiTaskFitOptions extends Omit<FitOptions, 'validationData' | 'classWeight'> {
  /** `[x, { task: targets }]`, evaluated after each epoch (`val_…` logs). */
  validationData?: [tf.Tensor | tf.Tensor[], TaskTargets];
  /** @deprecated Call `compile({ optimizer, balancer })` once instead. */
  optimizer?: Optimizer;
  /** @deprecated Call `compile({ optimizer, balancer })` once instead. */
  balancer?: LossBalancer;
  /** @deprecated Pass a `Callback` in `callbacks`. */
  onEpochEnd?: (epoch: number, logs: Logs) => void | Promise<void>;
}

/** Feeds the balancer each epoch's mean task losses and logs `<task>_weight`. */
class BalancerCallback extends Callback {
  constructor(
    private readonly tasks: readonly string[],
    private readonly balancer: LossBalancer,
    private readonly after?: (epoch: number, logs: Logs) => void | Promise<void>,
  ) {
    super();
  }
  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    this.balancer.onEpochEnd(this.tasks.map((t) => logs[`${t}_loss`] ?? Number.NaN));
    const weights = await this.balancer.readWeights();
    this.tasks.forEach((t, i) => {
      if (weights[i] !== undefined) logs[`${t}_weight`] = weights[i]!;
    });
    await this.after?.(epoch, logs);
  }
}

/** Where the shared features come from in a saved network: a layer's node output. */
interface FeatureRef {
  layer: string;
  node: number;
  output: number;
}

/** What {@link MultiTaskModel.save} adds to the model's metadata (`userDefinedMetadata.multitask`). */
interface SavedMultiTask {
  formatVersion: 1;
  tasks: string[];
  features: FeatureRef;
  losses: Record<string, string>;
  metrics: Record<string, string[]>;
  balancer?: {
    name: string;
    config: Record<string, unknown>;
    state?: Record<string, unknown>;
    optimizerSlots?: SavedSlots[];
  };
}

/** The optimizer's update count and slot values (`m`, `v`, …) for one balancer variable. */
interface SavedSlots {
  step: number;
  slots: Record<string, number[]>;
}

/** Puts saved optimizer slots back for the balancer's variables (the model's own are already). */
function restoreSlots(optimizer: Optimizer, vars: tf.Variable[], saved: SavedSlots[]): void {
  const state = optimizer.getState();
  const added: tf.Tensor[] = [];
  try {
    vars.forEach((v, k) => {
      const s = saved[k];
      if (s === undefined) return;
      state.meta.variableSteps[v.name] = s.step;
      for (const [slot, values] of Object.entries(s.slots)) {
        const t = tf.tensor(values, v.shape);
        added.push(t);
        state.tensors[`${v.name}/${slot}`] = t;
      }
    });
    optimizer.setState(state);
  } finally {
    tf.dispose([...Object.values(state.tensors), ...added]);
  }
}

const BALANCERS: Record<string, (config: Record<string, unknown>) => LossBalancer> = {
  fixed: (c) => new FixedWeights((c['weights'] as Record<string, number> | undefined) ?? {}),
  uncertainty: (c) => new UncertaintyWeighting((c['initialLogVariance'] as number | undefined) ?? 0),
  dwa: (c) => new DynamicWeightAverage((c['temperature'] as number | undefined) ?? 2),
  gradnorm: (c) => new GradNorm(c as { alpha?: number; learningRate?: number }),
  pcgrad: (c) => new PCGrad(c as { seed?: number; weights?: Record<string, number> }),
};

const className = (x: unknown): string => (x as { constructor: { className?: string } }).constructor.className ?? '';

/**
 * A shared trunk with named task heads (any mix of regression and classification), with the full
 * model API: `compile`, `fit` (callbacks, validation, progress), `evaluate`, `predict`, `save` and
 * {@link loadMultiTaskModel}. The balancer is the train step of the layers loop.
 *
 * Args (constructor, {@link MultiTaskConfig}):
 *   trunk: model from the inputs to the shared features `[batch, features]` (one output).
 *   tasks: `{ name: { head, loss, metrics? } }`.
 *   name: the network's name.
 *
 * Logs (`history.history`, callbacks, progress events): `loss` (Σ task losses, unweighted),
 * `<task>_loss`, `<task>_<metric>`, `<task>_weight` (the balancer's weight at the end of the epoch),
 * and `val_…` for validation.
 *
 * @example
 * ```ts
 * const x = input({ shape: [4] });
 * const trunk = new Model({ inputs: x, outputs: new Dense({ units: 32, activation: 'relu' }).apply(x) });
 * const mt = new MultiTaskModel({
 *   trunk,
 *   tasks: {
 *     price: { head: new Dense({ units: 1 }), loss: 'mse', metrics: ['mae'] },
 *     category: { head: new Dense({ units: 3, activation: 'softmax' }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
 *   },
 * });
 * mt.compile({ optimizer: new Adam({ learningRate: 1e-2 }), balancer: new UncertaintyWeighting() });
 * const history = await mt.fit(xs, { price, category }, { epochs: 20, validationSplit: 0.2, callbacks: [new EarlyStopping({ patience: 3 })] });
 * history.history['val_category_accuracy'];
 * await mt.save('file://./mt'); const again = await loadMultiTaskModel('file://./mt');
 * ```
 */
export class MultiTaskModel {
  /** The whole network: trunk inputs → one output per task (named after it), in {@link tasks} order. */
  readonly model: MultiTaskNetwork;
  /** The shared part, inputs → features. */
  readonly trunk: Model;
  /** Task names, in output order. */
  readonly tasks: readonly string[];
  private readonly features: SymbolicTensor;
  private readonly taskLoss: Record<string, LossIdentifier>;
  private readonly taskMetrics: Record<string, readonly MetricIdentifier[]>;
  private readonly headLayers: Layer[][];

  /**
   * Args:
   *   config: see {@link MultiTaskConfig}.
   */
  constructor(config: MultiTaskConfig);
  /** @internal Rebuilds a model around a loaded network (see {@link loadMultiTaskModel}). */
  constructor(config: undefined, restored: RestoredParts);
  constructor(config: MultiTaskConfig | undefined, restored?: RestoredParts) {
    const parts = restored ?? buildParts(config!);
    this.model = parts.model;
    this.trunk = parts.trunk;
    this.tasks = parts.tasks;
    this.features = parts.features;
    this.taskLoss = restored?.losses ?? Object.fromEntries(this.tasks.map((t) => [t, config!.tasks[t]!.loss]));
    this.taskMetrics =
      restored?.metrics ?? Object.fromEntries(this.tasks.map((t) => [t, config!.tasks[t]!.metrics ?? []]));
    const trunkLayers = new Set(this.trunk.layers);
    this.headLayers = this.model.outputs.map((o) =>
      layersBetween(o, this.features.id).filter((l) => !trunkLayers.has(l)),
    );
    this.model.tasks = [...this.tasks];
    this.model.metadata = () => this.metadata() as Promise<object>;
    this.model.parts = () => ({
      shared: this.sharedVariables,
      taskVariables: this.taskVariables,
      lastShared: this.lastSharedVariables,
    });
  }

  /** Trainable weights of the trunk. */
  get sharedVariables(): tf.Variable[] {
    return this.trunk.trainable ? this.trunk.trainableWeights : [];
  }

  /** Trainable weights of each task's head, in task order. */
  get taskVariables(): tf.Variable[][] {
    return this.headLayers.map((layers) => layers.flatMap((l) => l.trainableWeights));
  }

  /** The trainable weights of the trunk's last layer that has any (GradNorm's W). */
  get lastSharedVariables(): tf.Variable[] {
    const layers = this.trunk.layers.filter((l) => l !== this.trunk);
    for (let i = layers.length - 1; i >= 0; i--) {
      const w = layers[i]!.trainableWeights;
      if (w.length > 0) return w;
    }
    return [];
  }

  /** The balancer given to {@link MultiTaskModel.compile} (or restored by {@link loadMultiTaskModel}). */
  get balancer(): LossBalancer | undefined {
    return this.model.balancer;
  }

  /**
   * Configures training: the optimizer, the balancer, and optionally per-task losses and metrics
   * overriding the tasks' own. A new balancer is initialised with the task names; passing the
   * balancer already in use keeps its learnt state.
   *
   * Args:
   *   args: see {@link MultiTaskCompileArgs}.
   */
  compile(args: MultiTaskCompileArgs): void {
    checkTaskKeys(this.tasks, args.loss, 'compile loss');
    checkTaskKeys(this.tasks, args.metrics, 'compile metrics');
    const balancer = args.balancer ?? this.model.balancer ?? new FixedWeights();
    if (!(balancer instanceof LossBalancer)) {
      throw new ValueError(`compile: balancer must be a LossBalancer; got ${describeValue(balancer)}.`, {
        field: 'balancer',
        value: balancer,
      });
    }
    if (balancer !== this.model.balancer) balancer.init(this.tasks);
    Object.assign(this.taskLoss, args.loss ?? {});
    Object.assign(this.taskMetrics, args.metrics ?? {});
    this.model.compile({
      optimizer: args.optimizer,
      loss: { ...this.taskLoss },
      metrics: Object.fromEntries(this.tasks.map((t) => [t, [...(this.taskMetrics[t] ?? [])]])),
    });
    this.model.balancer = balancer;
  }

  private targets(ys: TaskTargets, what: string): tf.Tensor[] {
    if (ys === null || typeof ys !== 'object' || ys instanceof tf.Tensor) {
      throw new ValueError(`${what}: targets must be a record { taskName: tensor }; got ${describeValue(ys)}.`, {
        field: 'y',
        value: ys,
      });
    }
    checkTaskKeys(this.tasks, ys, what);
    return this.tasks.map((t) => {
      const y = ys[t];
      if (y === undefined) {
        throw new ValueError(`${what}: no targets for task "${t}".`, { field: 'y', value: t });
      }
      return y;
    });
  }

  private checkSamples(x: tf.Tensor | tf.Tensor[], ys: tf.Tensor[], what: string): void {
    const xs = Array.isArray(x) ? x : [x];
    const n = xs[0]?.shape[0];
    for (const t of [...xs, ...ys]) {
      if (t.shape[0] !== n) {
        throw new ValueError(`${what}: every input and target needs ${n} samples; got one with ${t.shape[0]}.`, {
          field: 'y',
          value: t.shape[0],
        });
      }
    }
  }

  /** Targets as the network's output record (task name = output name). */
  private outputRecord(y: TaskTargets, what: string, x: tf.Tensor | tf.Tensor[]): Record<string, tf.Tensor> {
    const ys = this.targets(y, what);
    this.checkSamples(x, ys, what);
    return Object.fromEntries(this.tasks.map((t, i) => [t, ys[i]!]));
  }

  /**
   * Trains every task together on the layers loop; the balancer decides how their losses (or
   * gradients) combine at each step.
   *
   * Args:
   *   x: inputs `[n, …]` (a list for several inputs).
   *   y: targets by task name, each `[n, …]`.
   *   options: see {@link MultiTaskFitOptions}.
   *
   * Returns:
   *   The `History`: `history.history.loss`, `.price_loss`, `.category_accuracy`, `.price_weight`,
   *   `.val_…`, one entry per epoch.
   */
  async fit(x: tf.Tensor | tf.Tensor[], y: TaskTargets, options: MultiTaskFitOptions = {}): Promise<History> {
    const { optimizer, balancer, onEpochEnd, validationData, ...rest } = options;
    const targets = this.outputRecord(y, 'fit', x);
    if (optimizer !== undefined) {
      this.compile({ optimizer, ...(balancer === undefined ? {} : { balancer }) });
    } else if (balancer !== undefined) {
      throw new ValueError('fit: pass the balancer to compile({ optimizer, balancer }), not to fit.', {
        field: 'balancer',
        value: balancer.name,
      });
    }
    if (this.model.compiled === undefined || this.model.balancer === undefined) {
      throw new ValueError(
        'fit needs a compiled model: call mt.compile({ optimizer: new Adam({ learningRate: 1e-3 }), balancer }) first.',
        { field: 'optimizer', value: undefined },
      );
    }
    const validation =
      validationData === undefined
        ? {}
        : {
            validationData: [
              validationData[0],
              this.outputRecord(validationData[1], 'validationData', validationData[0]),
            ] as [TensorData, TensorData],
          };
    return this.model.fit(x, targets, {
      ...rest,
      ...validation,
      callbacks: [new BalancerCallback(this.tasks, this.model.balancer, onEpochEnd), ...(rest.callbacks ?? [])],
    });
  }

  /**
   * Runs every head in inference mode.
   *
   * Args:
   *   x: inputs `[n, …]`.
   *   options.batchSize: samples per forward pass (default the layers `predict` default).
   *
   * Returns:
   *   Outputs by task name (the caller disposes them).
   */
  predict(x: tf.Tensor | tf.Tensor[], options: { batchSize?: number } = {}): Record<string, tf.Tensor> {
    const out = this.model.predict(x, options);
    const list = Array.isArray(out) ? out : [out];
    return Object.fromEntries(this.tasks.map((t, i) => [t, list[i]!]));
  }

  /**
   * Per-task loss and metrics in inference mode, on the layers loop's `evaluate`.
   *
   * Args:
   *   x: inputs `[n, …]`; y: targets by task; options.batchSize: samples per step (default 32).
   *
   * Returns:
   *   `{ loss, <task>_loss, <task>_<metric> }` over all of `x`.
   */
  async evaluate(x: tf.Tensor | tf.Tensor[], y: TaskTargets, options: { batchSize?: number } = {}): Promise<Logs> {
    const targets = this.outputRecord(y, 'evaluate', x);
    if (this.model.compiled === undefined || this.model.balancer === undefined) {
      throw new ValueError('evaluate needs a compiled model: call mt.compile({ optimizer, balancer }) first.', {
        field: 'compile',
        value: undefined,
      });
    }
    return this.model.evaluate(x, targets, options);
  }

  /** The compiled optimizer's state for the balancer's own variables, by variable index. */
  private async balancerSlots(): Promise<SavedSlots[] | undefined> {
    const vars = this.model.balancer?.variables() ?? [];
    const optimizer = this.model.compiled?.optimizer;
    if (vars.length === 0 || optimizer === undefined) return undefined;
    const state = optimizer.getState();
    try {
      return await Promise.all(
        vars.map(async (v) => {
          const slots: Record<string, number[]> = {};
          for (const [key, t] of Object.entries(state.tensors)) {
            if (key.slice(0, key.lastIndexOf('/')) === v.name) {
              slots[key.slice(key.lastIndexOf('/') + 1)] = Array.from(await t.data());
            }
          }
          return { step: state.meta.variableSteps[v.name] ?? 0, slots };
        }),
      );
    } finally {
      tf.dispose(Object.values(state.tensors));
    }
  }

  private async metadata(): Promise<SavedMultiTask> {
    const node = this.features.node!;
    const b = this.model.balancer;
    const state = b === undefined ? undefined : await b.getState();
    const slots = await this.balancerSlots();
    return {
      formatVersion: 1,
      tasks: [...this.tasks],
      features: { layer: node.layer.name, node: node.index, output: this.features.outputIndex },
      losses: Object.fromEntries(
        this.tasks.map((t) => {
          const id = this.taskLoss[t]!;
          return [t, typeof id === 'string' ? id : className(id)];
        }),
      ),
      metrics: Object.fromEntries(
        this.tasks.map((t) => [t, (this.taskMetrics[t] ?? []).map((m) => (typeof m === 'string' ? m : className(m)))]),
      ),
      ...(b === undefined
        ? {}
        : {
            balancer: {
              name: b.name,
              config: b.getConfig(),
              ...(state === undefined ? {} : { state }),
              ...(slots === undefined ? {} : { optimizerSlots: slots }),
            },
          }),
    };
  }

  /**
   * Saves the network with the layers model's own `save()` (architecture, weights, optimizer
   * state when compiled), plus the task names, where the trunk ends, the tasks' losses and metrics
   * and the balancer with its learnt state (uncertainty log variances, GradNorm weights, DWA
   * history) in the model's user-defined metadata (`multitask`).
   *
   * Args:
   *   target: a URL (`file://…`, `memory://…`) or an IO handler.
   *   options.includeOptimizer: save the optimizer state (default: when compiled).
   */
  save(target: string | tf.io.IOHandler, options: { includeOptimizer?: boolean } = {}): Promise<tf.io.SaveResult> {
    return this.model.save(target, options);
  }

  /** Frees the model's weights and optimizer state, and the balancer's tensors. */
  dispose(): void {
    this.model.balancer?.dispose();
    this.model.dispose();
  }
}

/** @internal What {@link loadMultiTaskModel} hands the constructor. */
export interface RestoredParts extends MultiTaskParts {
  model: MultiTaskNetwork;
  losses: Record<string, LossIdentifier>;
  metrics: Record<string, readonly MetricIdentifier[]>;
}

function checkSaved(meta: unknown, where: string): SavedMultiTask {
  const m = meta as Partial<SavedMultiTask> | undefined;
  if (
    m === undefined ||
    m === null ||
    m.formatVersion !== 1 ||
    !Array.isArray(m.tasks) ||
    typeof m.features?.layer !== 'string'
  ) {
    throw new ArtifactError(
      where,
      'holds no multitask metadata (it was not saved by MultiTaskModel.save); load a plain model with loadModel.',
    );
  }
  return m as SavedMultiTask;
}

/**
 * Loads a model saved by {@link MultiTaskModel.save}: the network (through the layers
 * `loadModel`), its task names and trunk, the compile configuration and optimizer state when they
 * were saved, and the balancer with its learnt state.
 *
 * Args:
 *   source: a URL (`file://…`, `memory://…`) or an IO handler.
 *   options.balancer: the balancer to use when the saved one is not a built-in (its state is
 *     restored into it when the names match).
 *
 * Returns:
 *   A {@link MultiTaskModel}, compiled when the artifact held an optimizer.
 *
 * @throws ArtifactError when the artifact has no multitask metadata or names an unknown balancer.
 *
 * @example
 * ```ts
 * await mt.save('memory://mt');
 * const again = await loadMultiTaskModel('memory://mt');
 * again.tasks; // ['price', 'category']
 * ```
 */
export async function loadMultiTaskModel(
  source: string | tf.io.IOHandler,
  options: { balancer?: LossBalancer } = {},
): Promise<MultiTaskModel> {
  const where = typeof source === 'string' ? source : 'model artifact';
  const inner = resolveIOHandler(source, 'load');
  let meta: unknown;
  const handler: tf.io.IOHandler = {
    load: async () => {
      const artifacts = await inner.load!();
      meta = (artifacts.userDefinedMetadata as { multitask?: unknown } | undefined)?.multitask;
      return artifacts;
    },
  };
  const loaded = await loadModel(handler);
  const saved = checkSaved(meta, where);
  const network = new MultiTaskNetwork({ inputs: loaded.inputs, outputs: loaded.outputs, name: loaded.name });
  network.compiled = loaded.compiled;
  const { layer, node, output } = saved.features;
  const features = network.getLayer(layer).inboundNodes[node]?.outputs[output];
  if (features === undefined) {
    throw new ArtifactError(where, `names the trunk's output "${layer}" (node ${node}), which the network lacks.`);
  }
  const trunk = new Model({ inputs: network.inputs, outputs: features });
  const mt = new MultiTaskModel(undefined, {
    model: network,
    trunk,
    tasks: [...saved.tasks],
    features,
    losses: { ...saved.losses },
    metrics: { ...saved.metrics },
  });
  if (saved.balancer !== undefined) {
    const { name, config, state } = saved.balancer;
    const make = BALANCERS[name];
    const balancer = options.balancer ?? make?.(config);
    if (balancer === undefined) {
      throw new ArtifactError(
        where,
        `was trained with the balancer "${name}", which is not built in; pass it: loadMultiTaskModel(source, { balancer }).`,
      );
    }
    balancer.init(saved.tasks);
    if (state !== undefined && balancer.name === name) balancer.setState(state);
    const optimizer = network.compiled?.optimizer;
    if (optimizer !== undefined && saved.balancer.optimizerSlots !== undefined) {
      restoreSlots(optimizer, balancer.variables(), saved.balancer.optimizerSlots);
    }
    network.balancer = balancer;
  }
  return mt;
}
