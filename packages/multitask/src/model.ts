/**
 * A model with a shared trunk and named task heads, trained with per-task losses and metrics and a
 * loss balancer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, createRng, describeValue } from '@plasticity/core';
import {
  Layer,
  Model,
  getLoss,
  getMetric,
  type Loss,
  type LossIdentifier,
  type Metric,
  type MetricIdentifier,
  type SymbolicTensor,
} from '@plasticity/layers';
import type { Optimizer } from '@plasticity/optimizers';
import { FixedWeights, type LossBalancer, type StepContext } from './balancers.js';

/** One task: its head on the trunk's features, its loss and metrics. */
export interface TaskSpec {
  /** A layer, a stack of layers applied in order, or a function of the trunk's symbolic output. */
  head: Layer | readonly Layer[] | ((features: SymbolicTensor) => SymbolicTensor);
  /** The task's loss (`'mse'`, `'sparseCategoricalCrossentropy'`, a Loss instance, …). */
  loss: LossIdentifier;
  /** Metrics of this task's output (`'accuracy'`, `'mae'`, …). Default none. */
  metrics?: readonly MetricIdentifier[];
}

/** Options of {@link MultiTaskModel}. */
export interface MultiTaskConfig {
  /** The shared part: a model from the inputs to the shared features (one output). */
  trunk: Model;
  /** Heads by task name (the names are used in logs: `<task>_loss`, `<task>_<metric>`). */
  tasks: Readonly<Record<string, TaskSpec>>;
  /** Name of the underlying model. Default generated. */
  name?: string;
}

/** Targets, one tensor per task. */
export type TaskTargets = Readonly<Record<string, tf.Tensor>>;

/** Options of `MultiTaskModel.fit(x, targets, options)`. */
export interface MultiTaskFitOptions {
  /** The optimizer of the trunk and heads (and of learnt loss weights). */
  optimizer: Optimizer;
  /** How task losses are combined (default: {@link FixedWeights} with every weight 1). */
  balancer?: LossBalancer;
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Samples per step. Default 32. */
  batchSize?: number;
  /** Shuffle the samples every epoch. Default true. */
  shuffle?: boolean;
  /** Seed of the shuffling. Default 0. */
  seed?: number;
  /** Evaluated at the end of each epoch; logs get a `val_` prefix. */
  validationData?: [tf.Tensor | tf.Tensor[], TaskTargets];
  /** Called after each epoch with its logs. */
  onEpochEnd?: (epoch: number, logs: Record<string, number>) => void | Promise<void>;
}

/** Per-epoch logs: `loss`, `<task>_loss`, `<task>_weight`, `<task>_<metric>`, and `val_…`. */
export interface MultiTaskHistory {
  /** One entry per epoch: the loss, each task's `<task>_loss` and `<task>_weight`, and `val_*` values with `validationData`. */
  epochs: Record<string, number>[];
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

/** The layers on the path from `from` (exclusive) back from `output`. */
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

/**
 * A shared trunk with named task heads (any mix of regression and classification).
 *
 * @example
 * ```ts
 * const x = input({ shape: [28, 28, 1] });
 * const trunk = new Model({ inputs: x, outputs: new Dense({ units: 64, activation: 'relu' }).apply(new Flatten().apply(x)) });
 * const mt = new MultiTaskModel({
 *   trunk,
 *   tasks: {
 *     garment: { head: new Dense({ units: 10, activation: 'softmax' }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
 *     upper: { head: new Dense({ units: 1, activation: 'sigmoid' }), loss: 'binaryCrossentropy', metrics: ['accuracy'] },
 *   },
 * });
 * await mt.fit(images, { garment: labels, upper: upperBody }, { optimizer: new Adam(), balancer: new UncertaintyWeighting(), epochs: 5 });
 * ```
 */
export class MultiTaskModel {
  /** The whole network: trunk inputs → one output per task, in {@link tasks} order. */
  readonly model: Model;
  /** The shared trunk (its layers are shared, not copied). */
  readonly trunk: Model;
  /** Task names, in head order. */
  readonly tasks: readonly string[];
  private readonly losses: Loss[];
  private readonly metrics: Metric[][];
  private readonly headLayers: Layer[][];

  constructor(config: MultiTaskConfig) {
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
    const names = Object.keys(config.tasks ?? {});
    if (names.length === 0) {
      throw new ValueError('MultiTaskModel needs at least one task in `tasks`.', { field: 'tasks', value: 0 });
    }
    this.trunk = config.trunk;
    this.tasks = names;
    const features = this.trunk.outputs[0]!;
    const outputs = names.map((t) => applyHead(config.tasks[t]!.head, features, t));
    this.model = new Model({
      inputs: this.trunk.inputs,
      outputs,
      ...(config.name === undefined ? {} : { name: config.name }),
    });
    this.losses = names.map((t) => getLoss(config.tasks[t]!.loss));
    this.metrics = names.map((t, i) =>
      (config.tasks[t]!.metrics ?? []).map((m) =>
        getMetric(m, (this.losses[i]!.constructor as { className?: string }).className),
      ),
    );
    const trunkLayers = new Set(this.trunk.layers);
    this.headLayers = outputs.map((o) => layersBetween(o, features.id).filter((l) => !trunkLayers.has(l)));
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

  private outputsOf(x: tf.Tensor | tf.Tensor[], training: boolean): tf.Tensor[] {
    const out = this.model.call(Array.isArray(x) && x.length === 1 ? x[0]! : x, { training });
    return Array.isArray(out) ? out : [out];
  }

  private taskLosses(ys: tf.Tensor[], preds: tf.Tensor[]): tf.Scalar[] {
    return this.losses.map((loss, i) => tf.mean(loss.call(ys[i]!, preds[i]!)) as tf.Scalar);
  }

  private targets(ys: TaskTargets, what: string): tf.Tensor[] {
    if (ys === null || typeof ys !== 'object' || ys instanceof tf.Tensor) {
      throw new ValueError(`${what}: targets must be a record { taskName: tensor }; got ${describeValue(ys)}.`, {
        field: 'y',
        value: ys,
      });
    }
    for (const key of Object.keys(ys)) {
      if (!this.tasks.includes(key)) {
        throw new ValueError(`${what}: "${key}" is not a task; tasks: ${this.tasks.join(', ')}.`, {
          field: 'y',
          value: key,
        });
      }
    }
    return this.tasks.map((t) => {
      const y = ys[t];
      if (y === undefined) {
        throw new ValueError(`${what}: no targets for task "${t}".`, { field: 'y', value: t });
      }
      return y;
    });
  }

  /** Runs every head in inference mode; outputs by task name (the caller owns them). */
  predict(x: tf.Tensor | tf.Tensor[], options: { batchSize?: number } = {}): Record<string, tf.Tensor> {
    const out = this.model.predict(x, options);
    const list = Array.isArray(out) ? out : [out];
    return Object.fromEntries(this.tasks.map((t, i) => [t, list[i]!]));
  }

  /** Per-task loss and metrics in inference mode: `{ loss, <task>_loss, <task>_<metric> }`. */
  evaluate(x: tf.Tensor | tf.Tensor[], y: TaskTargets, options: { batchSize?: number } = {}): Record<string, number> {
    const ys = this.targets(y, 'evaluate');
    const xs = Array.isArray(x) ? x : [x];
    const n = xs[0]!.shape[0]!;
    const batchSize = options.batchSize ?? 256;
    for (const ms of this.metrics) for (const m of ms) m.reset();
    const sums = this.tasks.map(() => 0);
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const values = tf.tidy(() => {
        const bx = xs.map((t) => tf.slice(t, start, size));
        const by = ys.map((t) => tf.slice(t, start, size));
        const preds = this.outputsOf(bx, false);
        this.metrics.forEach((ms, i) => {
          for (const m of ms) m.update(by[i]!, preds[i]!);
        });
        return tf.stack(this.taskLosses(by, preds));
      });
      const v = values.dataSync();
      values.dispose();
      v.forEach((l, i) => (sums[i]! += l * size));
    }
    const logs: Record<string, number> = {};
    let total = 0;
    this.tasks.forEach((t, i) => {
      logs[`${t}_loss`] = sums[i]! / n;
      total += sums[i]! / n;
      for (const m of this.metrics[i]!) logs[`${t}_${m.name}`] = m.result();
    });
    return { loss: total, ...logs };
  }

  /**
   * Trains every task together; the balancer decides how their losses (or gradients) combine.
   * Returns per-epoch logs.
   */
  async fit(x: tf.Tensor | tf.Tensor[], y: TaskTargets, options: MultiTaskFitOptions): Promise<MultiTaskHistory> {
    const ys = this.targets(y, 'fit');
    const xs = Array.isArray(x) ? x : [x];
    const epochs = options.epochs ?? 1;
    const batchSize = options.batchSize ?? 32;
    for (const [field, value] of [
      ['epochs', epochs],
      ['batchSize', batchSize],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new ValueError(`fit: ${field} must be a positive integer; got ${describeValue(value)}.`, {
          field,
          value,
        });
      }
    }
    if (options.optimizer === undefined) {
      throw new ValueError('fit needs an optimizer, e.g. { optimizer: new Adam({ learningRate: 1e-3 }) }.', {
        field: 'optimizer',
        value: undefined,
      });
    }
    const n = xs[0]!.shape[0]!;
    for (const t of [...xs, ...ys]) {
      if (t.shape[0] !== n) {
        throw new ValueError(`fit: every input and target needs ${n} samples; got one with ${t.shape[0]}.`, {
          field: 'y',
          value: t.shape[0],
        });
      }
    }
    const balancer = options.balancer ?? new FixedWeights();
    balancer.init(this.tasks);
    const rng = createRng(options.seed ?? 0);
    const history: MultiTaskHistory = { epochs: [] };
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = options.shuffle === false ? undefined : tf.tensor1d(Int32Array.from(rng.permutation(n)), 'int32');
      const sums = this.tasks.map(() => 0);
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        const pick = (t: tf.Tensor): tf.Tensor =>
          order === undefined ? tf.slice(t, start, size) : tf.tidy(() => tf.gather(t, tf.slice(order, start, size)));
        const bx = xs.map(pick);
        const by = ys.map(pick);
        try {
          const context: StepContext = {
            tasks: this.tasks,
            shared: this.sharedVariables,
            taskVariables: this.taskVariables,
            lastShared: this.lastSharedVariables,
            losses: () => this.taskLosses(by, this.outputsOf(bx, true)),
            optimizer: options.optimizer,
          };
          const values = balancer.step(context);
          this.model.applyConstraints();
          values.forEach((v, i) => (sums[i]! += v * size));
        } finally {
          tf.dispose([...bx, ...by]);
        }
      }
      order?.dispose();
      const means = sums.map((s) => s / n);
      balancer.onEpochEnd(means);
      const weights = balancer.weights();
      const logs: Record<string, number> = { loss: means.reduce((a, b) => a + b, 0) };
      this.tasks.forEach((t, i) => {
        logs[`${t}_loss`] = means[i]!;
        logs[`${t}_weight`] = weights[i]!;
      });
      if (options.validationData !== undefined) {
        const [vx, vy] = options.validationData;
        for (const [k, v] of Object.entries(this.evaluate(vx, vy))) logs[`val_${k}`] = v;
      }
      history.epochs.push(logs);
      await options.onEpochEnd?.(epoch, logs);
    }
    return history;
  }

  /** Frees the model's weights. */
  dispose(): void {
    this.model.dispose();
  }
}
