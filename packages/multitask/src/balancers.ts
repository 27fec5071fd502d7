/**
 * Loss balancing for multi-task training: how per-task losses (and gradients) become one update.
 *
 * - {@link FixedWeights}: Σ wᵢ·Lᵢ with constant weights.
 * - {@link UncertaintyWeighting} (Kendall, Gal & Cipolla 2018): learns sᵢ = log σᵢ² and minimises
 *   Σ [Lᵢ·exp(−sᵢ)/2 + sᵢ/2]; at the optimum exp(sᵢ) = Lᵢ, the task's noise level.
 * - {@link DynamicWeightAverage} (Liu, Johns & Davison 2019): weights from the rate at which each
 *   loss fell over the last two epochs.
 * - {@link GradNorm} (Chen et al. 2018): learns weights so the tasks' gradient norms at the last
 *   shared layer are balanced according to their relative training rates (α).
 * - {@link PCGrad} (Yu et al. 2020): projects each task's gradient onto the normal plane of any
 *   other task's gradient it conflicts with, then sums.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, createRng, describeValue, type Rng } from '@plasticity/core';
import type { NamedGradients, Optimizer } from '@plasticity/optimizers';

/** What a balancer gets for one training step. */
export interface StepContext {
  /** Task names, in order. */
  tasks: readonly string[];
  /** Trainable weights of the shared trunk. */
  shared: readonly tf.Variable[];
  /** Trainable weights of each task's head, in task order. */
  taskVariables: readonly (readonly tf.Variable[])[];
  /** Trainable weights of the last shared layer with weights (GradNorm's W). */
  lastShared: readonly tf.Variable[];
  /** A forward pass on the current batch in training mode; the per-task mean losses. */
  losses(): tf.Scalar[];
  /** The optimizer of the fit, which applies the combined gradients. */
  optimizer: Optimizer;
}

let nextId = 0;
function freshName(base: string): string {
  const registered = tf.engine().registeredVariables as Record<string, unknown>;
  let name = `${base}_${nextId++}`;
  while (registered[name] !== undefined) name = `${base}_${nextId++}`;
  return name;
}

/** A non-leaking `tf.variable`: the initial value is made and freed inside a tidy. */
function makeVariable(value: () => tf.Tensor, trainable: boolean, base: string): tf.Variable {
  return tf.tidy(() => tf.variable(value(), trainable, freshName(base)));
}

/** Base class of loss balancers. */
export abstract class LossBalancer {
  /** Short name shown in logs (`'fixed'`, `'uncertainty'`, `'dwa'`, `'gradnorm'`, `'pcgrad'`). */
  abstract readonly name: string;
  /** The task names, in head order, set by `init`. */
  protected taskNames: string[] = [];

  /** Called once by `fit` with the task names before the first step. */
  init(tasks: readonly string[]): void {
    this.taskNames = [...tasks];
  }

  /**
   * One optimizer step on the batch in `context`.
   *
   * Returns:
   *   The per-task loss values of the batch (before weighting) as a tensor `[tasks]` that the
   *   caller owns. It is not read here: the training loop reads every step's numbers in one
   *   asynchronous read, so a balancer keeps its own bookkeeping on the device (tensors) too.
   */
  abstract step(context: StepContext): tf.Tensor1D;

  /** The current weight of each task's loss, in task order (may read the device synchronously). */
  abstract weights(): number[];

  /**
   * The current weights, read asynchronously (what `fit` logs as `<task>_weight` at the end of
   * each epoch). Default: {@link LossBalancer.weights}.
   */
  readWeights(): Promise<number[]> {
    return Promise.resolve(this.weights());
  }

  /**
   * The balancer's learnt state as plain JSON (what `MultiTaskModel.save` stores), or undefined
   * when it has none. {@link LossBalancer.setState} puts it back after `init`.
   */
  async getState(): Promise<Record<string, unknown> | undefined> {
    return undefined;
  }

  /** Restores a state from {@link LossBalancer.getState}; called after `init`. */
  setState(_state: Record<string, unknown>): void {}

  /** The balancer's constructor settings (what `MultiTaskModel.save` stores to rebuild it). */
  getConfig(): Record<string, unknown> {
    return {};
  }

  /** Called by `fit` at the end of each epoch with each task's mean training loss. */
  onEpochEnd(_meanLosses: readonly number[]): void {}

  /**
   * Extra variables the balancer learns with the model's optimizer (e.g. log variances); their
   * optimizer state is saved with the model. Default none.
   */
  variables(): tf.Variable[] {
    return [];
  }

  /** Frees the balancer's tensors. */
  dispose(): void {}
}

function allVariables(context: StepContext, extra: readonly tf.Variable[] = []): tf.Variable[] {
  return [...context.shared, ...context.taskVariables.flat(), ...extra];
}

/** Balancers that minimise one combined scalar Σ fᵢ(Lᵢ): one backward pass per step. */
export abstract class CombinedLossBalancer extends LossBalancer {
  /** Combines the per-task losses into the training objective (inside the gradient tape). */
  abstract combine(losses: tf.Scalar[]): tf.Scalar;

  step(context: StepContext): tf.Tensor1D {
    let kept: tf.Tensor1D | undefined;
    try {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => {
            const losses = context.losses();
            kept = tf.keep(tf.stack(losses)) as tf.Tensor1D;
            return this.combine(losses);
          },
          allVariables(context, this.variables()),
        );
        context.optimizer.applyGradients(grads);
        return value;
      }).dispose();
    } catch (error) {
      kept?.dispose();
      throw error;
    }
    return kept!;
  }
}

function checkWeights(owner: string, weights: readonly number[]): void {
  weights.forEach((w, i) => {
    if (!(w >= 0) || !Number.isFinite(w)) {
      throw new ValueError(`${owner}: weight ${i} must be a finite number >= 0; got ${describeValue(w)}.`, {
        field: 'weights',
        value: w,
      });
    }
  });
}

/** Σ wᵢ·Lᵢ with fixed weights (by task name; missing tasks weigh 1). */
export class FixedWeights extends CombinedLossBalancer {
  readonly name = 'fixed';
  private values: number[] = [];
  constructor(private readonly byTask: Readonly<Record<string, number>> = {}) {
    super();
    checkWeights('FixedWeights', Object.values(byTask));
  }
  override init(tasks: readonly string[]): void {
    super.init(tasks);
    for (const key of Object.keys(this.byTask)) {
      if (!tasks.includes(key)) {
        throw new ValueError(`FixedWeights: "${key}" is not a task; tasks: ${tasks.join(', ')}.`, {
          field: 'weights',
          value: key,
        });
      }
    }
    this.values = tasks.map((t) => this.byTask[t] ?? 1);
  }
  combine(losses: tf.Scalar[]): tf.Scalar {
    return tf.addN(losses.map((l, i) => tf.mul(l, this.values[i]!))) as tf.Scalar;
  }
  weights(): number[] {
    return [...this.values];
  }
  override getConfig(): Record<string, unknown> {
    return { weights: { ...this.byTask } };
  }
}

/**
 * Uncertainty weighting (Kendall, Gal & Cipolla 2018): learns sᵢ = log σᵢ² per task with the model
 * and minimises Σ [Lᵢ·exp(−sᵢ)/2 + sᵢ/2]. For a squared-error task the optimum is exp(sᵢ) = Lᵢ, so
 * noisier tasks get proportionally smaller weights exp(−sᵢ)/2.
 */
export class UncertaintyWeighting extends CombinedLossBalancer {
  readonly name = 'uncertainty';
  private logVars: tf.Variable[] = [];
  constructor(private readonly initialLogVariance = 0) {
    super();
    if (!Number.isFinite(initialLogVariance)) {
      throw new ValueError(
        `UncertaintyWeighting: initialLogVariance must be finite; got ${describeValue(initialLogVariance)}.`,
        {
          field: 'initialLogVariance',
          value: initialLogVariance,
        },
      );
    }
  }
  override init(tasks: readonly string[]): void {
    super.init(tasks);
    if (this.logVars.length === tasks.length) return;
    this.dispose();
    this.logVars = tasks.map((t) =>
      makeVariable(() => tf.scalar(this.initialLogVariance), true, `uncertainty/log_var_${t.replace(/[^\w-]/g, '_')}`),
    );
  }
  override variables(): tf.Variable[] {
    return this.logVars;
  }
  combine(losses: tf.Scalar[]): tf.Scalar {
    return tf.addN(
      losses.map((l, i) => {
        const s = this.logVars[i]!;
        return tf.div(tf.add(tf.mul(l, tf.exp(tf.neg(s))), s), 2);
      }),
    ) as tf.Scalar;
  }
  /** The learnt sᵢ = log σᵢ². */
  logVariances(): number[] {
    return this.logVars.map((v) => v.dataSync()[0]!);
  }
  /** exp(−sᵢ)/2, the effective weight of each loss. */
  weights(): number[] {
    return this.logVariances().map((s) => Math.exp(-s) / 2);
  }
  override async readWeights(): Promise<number[]> {
    return (await this.readLogVariances()).map((s) => Math.exp(-s) / 2);
  }
  private async readLogVariances(): Promise<number[]> {
    return Promise.all(this.logVars.map(async (v) => (await v.data())[0]!));
  }
  /** `{ logVariances }`: the learnt sᵢ. */
  override async getState(): Promise<Record<string, unknown>> {
    return { logVariances: await this.readLogVariances() };
  }
  override setState(state: Record<string, unknown>): void {
    const values = state['logVariances'];
    if (!Array.isArray(values) || values.length !== this.logVars.length) {
      throw new ValueError(
        `UncertaintyWeighting: saved logVariances must be ${this.logVars.length} numbers; got ${describeValue(values)}.`,
        { field: 'logVariances', value: values },
      );
    }
    tf.tidy(() => this.logVars.forEach((v, i) => v.assign(tf.scalar(Number(values[i])))));
  }
  override getConfig(): Record<string, unknown> {
    return { initialLogVariance: this.initialLogVariance };
  }
  override dispose(): void {
    for (const v of this.logVars) v.dispose();
    this.logVars = [];
  }
}

/**
 * Dynamic weight average (Liu, Johns & Davison 2019): wₖ(t) = K·exp(rₖ/T) / Σᵢ exp(rᵢ/T) with
 * rₖ = Lₖ(t−1)/Lₖ(t−2), the ratio of the task's mean loss over the last two epochs. The first two
 * epochs use wₖ = 1. A task whose loss falls slowly gets more weight.
 */
export class DynamicWeightAverage extends CombinedLossBalancer {
  readonly name = 'dwa';
  private history: number[][] = [];
  private values: number[] = [];
  /**
   * Creates the balancer.
   * @param temperature T of the softmax: higher evens the weights out. Default 2.
   */
  constructor(readonly temperature = 2) {
    super();
    if (!(temperature > 0) || !Number.isFinite(temperature)) {
      throw new ValueError(
        `DynamicWeightAverage: temperature must be a positive number; got ${describeValue(temperature)}.`,
        {
          field: 'temperature',
          value: temperature,
        },
      );
    }
  }
  override init(tasks: readonly string[]): void {
    super.init(tasks);
    this.history = [];
    this.values = tasks.map(() => 1);
  }
  override onEpochEnd(meanLosses: readonly number[]): void {
    this.history.push([...meanLosses]);
    const n = this.history.length;
    if (n < 2) return;
    const last = this.history[n - 1]!;
    const prev = this.history[n - 2]!;
    const r = last.map((l, k) => l / Math.max(prev[k]!, 1e-12));
    const e = r.map((v) => Math.exp(v / this.temperature));
    const sum = e.reduce((a, b) => a + b, 0);
    this.values = e.map((v) => (last.length * v) / sum);
  }
  combine(losses: tf.Scalar[]): tf.Scalar {
    return tf.addN(losses.map((l, i) => tf.mul(l, this.values[i]!))) as tf.Scalar;
  }
  weights(): number[] {
    return [...this.values];
  }
  /** `{ history, weights }`: each epoch's mean losses so far and the current weights. */
  override async getState(): Promise<Record<string, unknown>> {
    return { history: this.history.map((h) => [...h]), weights: [...this.values] };
  }
  override setState(state: Record<string, unknown>): void {
    const history = state['history'];
    const weights = state['weights'];
    const T = this.taskNames.length;
    const isRow = (r: unknown): r is number[] =>
      Array.isArray(r) && r.length === T && r.every((v) => typeof v === 'number');
    if (!Array.isArray(history) || !history.every(isRow) || !isRow(weights)) {
      throw new ValueError(
        `DynamicWeightAverage: saved state needs { history: number[${T}][], weights: number[${T}] }; got ${describeValue(state)}.`,
        { field: 'state', value: state },
      );
    }
    this.history = history.map((h) => [...h]);
    this.values = [...weights];
  }
  override getConfig(): Record<string, unknown> {
    return { temperature: this.temperature };
  }
}

/**
 * Gradients of each task's loss alone (one forward and backward pass per task), and the task
 * losses as a tensor `[tasks]` (the caller owns both).
 */
function perTaskGradients(context: StepContext): { values: tf.Tensor1D; grads: NamedGradients[] } {
  const variables = allVariables(context);
  const values: tf.Scalar[] = [];
  const grads: NamedGradients[] = [];
  try {
    for (let i = 0; i < context.tasks.length; i++) {
      const { value, grads: g } = tf.variableGrads(() => context.losses()[i]!, variables);
      values.push(value);
      grads.push(g);
    }
    return { values: tf.stack(values) as tf.Tensor1D, grads };
  } catch (error) {
    for (const gr of grads) tf.dispose(Object.values(gr).filter((t) => t !== null));
    throw error;
  } finally {
    tf.dispose(values);
  }
}

function normOf(grads: NamedGradients, variables: readonly tf.Variable[]): tf.Scalar {
  return tf.tidy(() => {
    const parts = variables.map((v) => grads[v.name]).filter((g): g is tf.Tensor => g !== undefined && g !== null);
    if (parts.length === 0) return tf.scalar(0);
    return tf.sqrt(tf.addN(parts.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
  });
}

/**
 * GradNorm (Chen, Badrinarayanan, Lee & Rabinovich 2018). Task weights wᵢ (summing to the number of
 * tasks) are learnt so that each task's gradient norm at the last shared layer, Gᵢ = ‖∇_W wᵢLᵢ‖,
 * approaches mean(G)·rᵢ^α, where rᵢ is the task's loss ratio Lᵢ(t)/Lᵢ(0) relative to the mean
 * ratio: tasks that train slower get larger gradients. α ≥ 0 sets how strongly (0: equal norms).
 * The model itself trains on Σ wᵢLᵢ.
 */
export class GradNorm extends LossBalancer {
  readonly name = 'gradnorm';
  /** Asymmetry α: how strongly slow tasks are pushed. Default 1.5. */
  readonly alpha: number;
  /** Learning rate of the task weights. Default 0.025. */
  readonly learningRate: number;
  /** wᵢ `[tasks]`, on the device: updated every step without a read back. */
  private w: tf.Variable | undefined;
  /** Lᵢ(0) `[tasks]`, the first step's losses. */
  private initial: tf.Variable | undefined;

  constructor(options: { alpha?: number; learningRate?: number } = {}) {
    super();
    this.alpha = options.alpha ?? 1.5;
    this.learningRate = options.learningRate ?? 0.025;
    if (!(this.alpha >= 0) || !Number.isFinite(this.alpha)) {
      throw new ValueError(`GradNorm: alpha must be a number >= 0; got ${describeValue(options.alpha)}.`, {
        field: 'alpha',
        value: options.alpha,
      });
    }
    if (!(this.learningRate > 0) || !Number.isFinite(this.learningRate)) {
      throw new ValueError(
        `GradNorm: learningRate must be a positive number; got ${describeValue(options.learningRate)}.`,
        {
          field: 'learningRate',
          value: options.learningRate,
        },
      );
    }
  }

  override init(tasks: readonly string[]): void {
    super.init(tasks);
    this.dispose();
    this.w = makeVariable(() => tf.ones([tasks.length]), false, 'gradnorm/weights');
  }

  private weightsVariable(): tf.Variable {
    if (this.w === undefined) {
      throw new ValueError('GradNorm: call init(tasks) (MultiTaskModel.compile does) before training.', {
        field: 'init',
        value: undefined,
      });
    }
    return this.w;
  }

  step(context: StepContext): tf.Tensor1D {
    if (context.lastShared.length === 0) {
      throw new ValueError('GradNorm needs a shared layer with trainable weights (the trunk is frozen or has none).', {
        field: 'trunk',
        value: 0,
      });
    }
    const w = this.weightsVariable();
    const { values, grads } = perTaskGradients(context);
    try {
      this.initial ??= makeVariable(() => tf.maximum(values, 1e-12), false, 'gradnorm/initial_losses');
      const initial = this.initial;
      const T = context.tasks.length;
      // The model steps with the weights of this step; the new ones apply from the next.
      const combined = this.combineGradients(grads, w);
      try {
        context.optimizer.applyGradients(combined);
      } finally {
        tf.dispose(Object.values(combined));
      }
      tf.tidy(() => {
        // gᵢ = ‖∇_W Lᵢ‖, so Gᵢ = wᵢ·gᵢ.
        const g = tf.stack(grads.map((gr) => normOf(gr, context.lastShared)));
        const G = tf.mul(w, g);
        const meanG = tf.mean(G);
        const ratios = tf.div(values, initial);
        const target = tf.mul(meanG, tf.pow(tf.div(ratios, tf.mean(ratios)), this.alpha));
        // d/dwᵢ Σⱼ |Gⱼ − targetⱼ| with the targets held constant = sign(Gᵢ − targetᵢ)·gᵢ.
        const next = tf.maximum(tf.sub(w, tf.mul(tf.mul(tf.sign(tf.sub(G, target)), g), this.learningRate)), 1e-6);
        w.assign(tf.div(tf.mul(next, T), tf.sum(next)));
      });
    } catch (error) {
      values.dispose();
      throw error;
    } finally {
      for (const gr of grads) tf.dispose(Object.values(gr).filter((t) => t !== null));
    }
    return values;
  }

  private combineGradients(grads: NamedGradients[], weights: tf.Tensor): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    const names = new Set(grads.flatMap((g) => Object.keys(g).filter((k) => g[k] !== null)));
    for (const name of names) {
      out[name] = tf.tidy(() =>
        tf.addN(
          grads
            .map((g, i) => (g[name] ? tf.mul(g[name]!, tf.reshape(tf.slice(weights, i, 1), [])) : undefined))
            .filter((t): t is tf.Tensor => t !== undefined),
        ),
      );
    }
    return out;
  }

  weights(): number[] {
    return this.w === undefined ? [] : Array.from(this.w.dataSync());
  }

  override async readWeights(): Promise<number[]> {
    return this.w === undefined ? [] : Array.from(await this.w.data());
  }

  /** `{ weights, initialLosses }`: the learnt wᵢ and the first step's losses Lᵢ(0) (once trained). */
  override async getState(): Promise<Record<string, unknown>> {
    return {
      weights: await this.readWeights(),
      ...(this.initial === undefined ? {} : { initialLosses: Array.from(await this.initial.data()) }),
    };
  }

  override setState(state: Record<string, unknown>): void {
    const T = this.taskNames.length;
    const isRow = (r: unknown): r is number[] =>
      Array.isArray(r) && r.length === T && r.every((v) => typeof v === 'number');
    const { weights, initialLosses } = state as { weights?: unknown; initialLosses?: unknown };
    if (!isRow(weights) || (initialLosses !== undefined && !isRow(initialLosses))) {
      throw new ValueError(
        `GradNorm: saved state needs { weights: number[${T}], initialLosses?: number[${T}] }; got ${describeValue(state)}.`,
        { field: 'state', value: state },
      );
    }
    tf.tidy(() => this.weightsVariable().assign(tf.tensor1d(weights)));
    this.initial?.dispose();
    this.initial =
      initialLosses === undefined
        ? undefined
        : makeVariable(() => tf.tensor1d(initialLosses), false, 'gradnorm/initial_losses');
  }

  override getConfig(): Record<string, unknown> {
    return { alpha: this.alpha, learningRate: this.learningRate };
  }

  override dispose(): void {
    this.w?.dispose();
    this.initial?.dispose();
    this.w = undefined;
    this.initial = undefined;
  }
}

/**
 * PCGrad's projection (Yu et al. 2020) on flattened task gradients `[params]`: for each task i,
 * visit the other tasks j in a random order and, when gᵢ·gⱼ < 0, set gᵢ ← gᵢ − (gᵢ·gⱼ/‖gⱼ‖²)·gⱼ
 * (gⱼ the original, unprojected gradient). Returns the projected gradients (the caller owns them).
 *
 * @param order optional visiting order for each i (default: a shuffle from `rng`).
 */
export function pcgradProject(
  grads: readonly tf.Tensor1D[],
  rng: Rng = createRng(0),
  order?: readonly (readonly number[])[],
): tf.Tensor1D[] {
  const T = grads.length;
  return grads.map((gi, i) =>
    tf.tidy(() => {
      let g: tf.Tensor1D = gi;
      const others = order?.[i] ?? Array.from(rng.permutation(T)).filter((j) => j !== i);
      for (const j of others) {
        if (j === i) continue;
        const gj = grads[j]!;
        // Branch-free on the device (no read back): the coefficient is 0 unless gᵢ·gⱼ < 0.
        const d = tf.sum(tf.mul(g, gj));
        const norm2 = tf.sum(tf.square(gj));
        const conflict = tf.logicalAnd(tf.less(d, 0), tf.greater(norm2, 0));
        const coefficient = tf.where(conflict, tf.div(d, tf.maximum(norm2, 1e-30)), tf.zerosLike(d));
        g = tf.sub(g, tf.mul(gj, coefficient));
      }
      return g === gi ? gi.clone() : g;
    }),
  );
}

/**
 * PCGrad gradient surgery (Yu, Kumar, Gupta, Levine, Hausman & Finn 2020): per-task gradients of
 * the shared weights are projected so they no longer conflict (see {@link pcgradProject}) and
 * summed; each head gets its own task's gradient. Task losses can be weighted (default 1).
 */
export class PCGrad extends LossBalancer {
  readonly name = 'pcgrad';
  private readonly rng: Rng;
  private values: number[] = [];
  constructor(private readonly options: { seed?: number; weights?: Readonly<Record<string, number>> } = {}) {
    super();
    this.rng = createRng(options.seed ?? 0);
    checkWeights('PCGrad', Object.values(options.weights ?? {}));
  }
  override init(tasks: readonly string[]): void {
    super.init(tasks);
    this.values = tasks.map((t) => this.options.weights?.[t] ?? 1);
  }
  step(context: StepContext): tf.Tensor1D {
    const { values, grads } = perTaskGradients(context);
    const shared = context.shared;
    const out: Record<string, tf.Tensor> = {};
    try {
      tf.tidy(() => {
        const flat = grads.map(
          (g, i) =>
            tf.mul(
              tf.concat(shared.map((v) => tf.reshape(g[v.name] ?? tf.zerosLike(v), [-1]))),
              this.values[i]!,
            ) as tf.Tensor1D,
        );
        const total = tf.addN(pcgradProject(flat, this.rng));
        let offset = 0;
        for (const v of shared) {
          out[v.name] = tf.keep(tf.reshape(tf.slice(total, offset, v.size), v.shape));
          offset += v.size;
        }
        context.taskVariables.forEach((vars, i) => {
          for (const v of vars) {
            const g = grads[i]![v.name];
            if (g) out[v.name] = tf.keep(tf.mul(g, this.values[i]!));
          }
        });
      });
      context.optimizer.applyGradients(out);
    } catch (error) {
      values.dispose();
      throw error;
    } finally {
      tf.dispose(Object.values(out));
      for (const gr of grads) tf.dispose(Object.values(gr).filter((t) => t !== null));
    }
    return values;
  }
  weights(): number[] {
    return [...this.values];
  }
  override getConfig(): Record<string, unknown> {
    return {
      ...(this.options.seed === undefined ? {} : { seed: this.options.seed }),
      ...(this.options.weights === undefined ? {} : { weights: { ...this.options.weights } }),
    };
  }
}
