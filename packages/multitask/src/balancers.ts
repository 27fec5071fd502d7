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

  /** One optimizer step; returns the per-task loss values of the batch (before weighting). */
  abstract step(context: StepContext): number[];

  /** The current weight of each task's loss, in task order. */
  abstract weights(): number[];

  /** Called by `fit` at the end of each epoch with each task's mean training loss. */
  onEpochEnd(_meanLosses: readonly number[]): void {}

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

  /** Extra variables the balancer learns along with the model (e.g. log variances). */
  variables(): tf.Variable[] {
    return [];
  }

  step(context: StepContext): number[] {
    let kept: tf.Tensor | undefined;
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => {
          const losses = context.losses();
          kept = tf.keep(tf.stack(losses));
          return this.combine(losses);
        },
        allVariables(context, this.variables()),
      );
      context.optimizer.applyGradients(grads);
      return value;
    }).dispose();
    const values = Array.from(kept!.dataSync());
    kept!.dispose();
    return values;
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
      tf.variable(
        tf.scalar(this.initialLogVariance),
        true,
        freshName(`uncertainty/log_var_${t.replace(/[^\w-]/g, '_')}`),
      ),
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
}

/** Gradients of each task's loss alone (one forward and backward pass per task). */
function perTaskGradients(context: StepContext): { values: number[]; grads: NamedGradients[] } {
  const variables = allVariables(context);
  const values: number[] = [];
  const grads: NamedGradients[] = [];
  for (let i = 0; i < context.tasks.length; i++) {
    const { value, grads: g } = tf.variableGrads(() => context.losses()[i]!, variables);
    values.push(value.dataSync()[0]!);
    value.dispose();
    grads.push(g);
  }
  return { values, grads };
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
  private values: number[] = [];
  private initial: number[] | undefined;

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
    this.values = tasks.map(() => 1);
    this.initial = undefined;
  }

  step(context: StepContext): number[] {
    if (context.lastShared.length === 0) {
      throw new ValueError('GradNorm needs a shared layer with trainable weights (the trunk is frozen or has none).', {
        field: 'trunk',
        value: 0,
      });
    }
    const { values, grads } = perTaskGradients(context);
    try {
      this.initial ??= values.map((v) => Math.max(v, 1e-12));
      const T = values.length;
      // gᵢ = ‖∇_W Lᵢ‖, so Gᵢ = wᵢ·gᵢ.
      const g = grads.map((gr) => {
        const n = normOf(gr, context.lastShared);
        const out = n.dataSync()[0]!;
        n.dispose();
        return out;
      });
      const G = g.map((gi, i) => this.values[i]! * gi);
      const meanG = G.reduce((a, b) => a + b, 0) / T;
      const ratios = values.map((v, i) => v / this.initial![i]!);
      const meanRatio = ratios.reduce((a, b) => a + b, 0) / T;
      const target = ratios.map((r) => meanG * (r / meanRatio) ** this.alpha);
      // d/dwᵢ Σⱼ |Gⱼ − targetⱼ| with the targets held constant = sign(Gᵢ − targetᵢ)·gᵢ.
      const next = this.values.map((w, i) =>
        Math.max(w - this.learningRate * Math.sign(G[i]! - target[i]!) * g[i]!, 1e-6),
      );
      const sum = next.reduce((a, b) => a + b, 0);
      // The model steps with the weights of this step; the new ones apply from the next.
      const combined = this.combineGradients(grads, this.values);
      try {
        context.optimizer.applyGradients(combined);
      } finally {
        tf.dispose(Object.values(combined));
      }
      this.values = next.map((w) => (T * w) / sum);
    } finally {
      for (const gr of grads) tf.dispose(Object.values(gr).filter((t) => t !== null));
    }
    return values;
  }

  private combineGradients(grads: NamedGradients[], weights: number[]): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    const names = new Set(grads.flatMap((g) => Object.keys(g).filter((k) => g[k] !== null)));
    for (const name of names) {
      out[name] = tf.tidy(() =>
        tf.addN(
          grads
            .map((g, i) => (g[name] ? tf.mul(g[name]!, weights[i]!) : undefined))
            .filter((t): t is tf.Tensor => t !== undefined),
        ),
      );
    }
    return out;
  }

  weights(): number[] {
    return [...this.values];
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
        const dot = tf.sum(tf.mul(g, gj));
        const d = dot.dataSync()[0]!;
        if (d < 0) {
          const norm2 = tf.sum(tf.square(gj)).dataSync()[0]!;
          if (norm2 > 0) g = tf.sub(g, tf.mul(gj, d / norm2));
        }
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
  step(context: StepContext): number[] {
    const { values, grads } = perTaskGradients(context);
    const shared = context.shared;
    try {
      const flat = grads.map(
        (g, i) =>
          tf.tidy(() =>
            tf.mul(tf.concat(shared.map((v) => tf.reshape(g[v.name] ?? tf.zerosLike(v), [-1]))), this.values[i]!),
          ) as tf.Tensor1D,
      );
      const projected = pcgradProject(flat, this.rng);
      const out: Record<string, tf.Tensor> = {};
      tf.tidy(() => {
        const total = tf.addN(projected);
        let offset = 0;
        for (const v of shared) {
          out[v.name] = tf.keep(tf.reshape(tf.slice(total, offset, v.size), v.shape));
          offset += v.size;
        }
      });
      tf.dispose([...flat, ...projected]);
      context.taskVariables.forEach((vars, i) => {
        for (const v of vars) {
          const g = grads[i]![v.name];
          if (g) out[v.name] = tf.keep(tf.tidy(() => tf.mul(g, this.values[i]!)));
        }
      });
      try {
        context.optimizer.applyGradients(out);
      } finally {
        tf.dispose(Object.values(out));
      }
    } finally {
      for (const gr of grads) tf.dispose(Object.values(gr).filter((t) => t !== null));
    }
    return values;
  }
  weights(): number[] {
    return [...this.values];
  }
}
