/**
 * The optimizer base class: everything that is the same for every update rule.
 *
 * One `applyGradients` call: validate → accumulate (if `accumulateSteps > 1`) → check for
 * NaN/Infinity (skip or throw) → clip (by value, per-variable norm, global norm) → for each
 * variable, find its parameter group, learning rate and weight decay, and run the subclass's
 * update rule → update the moving average of the weights (if `ema`).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ShapeError,
  ValueError,
  describeValue,
  serializePlugin,
  type ConfigDict,
  type Serializable,
  type SerializedPlugin,
} from '@plasticity/core';
import { type LearningRateSchedule, toSchedule, type LearningRate } from './schedules.js';
import { closedUnit, nonNegative, oneOf, positive, positiveInteger } from './validate.js';

/** Selects variables by name: an exact name, a glob (`*` any run of characters), or a RegExp. */
export type NamePattern = string | RegExp;

/** Variables that share a learning-rate multiplier and a weight decay. */
export interface ParamGroup {
  /** Which variables belong to the group (first matching group wins). */
  params: NamePattern | readonly NamePattern[];
  /** Multiplies the optimizer's learning rate for these variables (fastai's `lr_mult`). Default 1. */
  lrMultiplier?: number;
  /** Replaces the optimizer's weight decay for these variables. */
  weightDecay?: number;
}

/** Options every optimizer takes. */
export interface OptimizerConfig {
  /** A number or a schedule of the step. */
  learningRate?: LearningRate | SerializedPlugin;
  /** Clip each gradient element to [-clipValue, clipValue]. */
  clipValue?: number;
  /** Rescale each variable's gradient to norm ≤ clipNorm (Keras `clipnorm`). */
  clipNorm?: number;
  /**
   * Rescale all gradients together so their global norm is ≤ globalClipNorm (PyTorch
   * `clip_grad_norm_`: factor `c / (norm + 1e-6)`, at most 1).
   */
  globalClipNorm?: number;
  /** Weight decay; coupled (L2 added to the gradient) or decoupled depending on the optimizer. */
  weightDecay?: number;
  /** Variables never decayed, e.g. `['*bias*', /norm/i]`. */
  weightDecayExclude?: readonly NamePattern[];
  /** Per-variable learning-rate multipliers and weight decays. */
  paramGroups?: readonly ParamGroup[];
  /** Average gradients over this many calls before updating (default 1: every call). */
  accumulateSteps?: number;
  /** Keep an exponential moving average of the weights: `ema ← decay·ema + (1−decay)·w`. */
  emaDecay?: number;
  /**
   * What a NaN or ±Infinity in a gradient does: `'throw'` (default) or `'skip'` the step (with a
   * `skipped-step` event). `'ignore'` skips the check (one reduction and one read-back per step)
   * for the last bit of speed, and lets NaN into the weights. Inside a training loop that runs
   * its steps in {@link deferFiniteChecks} (`fit` in `@plasticity/layers`), `'throw'` reads
   * nothing synchronously: the check joins the step's one asynchronous read and throws after
   * that step's update; `'skip'` still reads at once, since it must decide before updating.
   */
  nonFinite?: 'throw' | 'skip' | 'ignore';
}

/** A gradient for each variable, by variable name (what `tf.variableGrads` returns). */
export type NamedGradients = Readonly<Record<string, tf.Tensor>>;

/** Emitted when a step is skipped because a gradient held NaN or Infinity. */
export interface SkippedStepEvent {
  /** Event type. */
  type: 'skipped-step';
  /** The optimizer's step count (updates applied so far). */
  step: number;
  /** Variables whose gradients were not finite. */
  variables: string[];
}

/** What a subclass's update rule receives for one variable. */
export interface UpdateContext {
  /** The variable to update in place (`variable.assign(...)`). */
  variable: tf.Variable;
  /** The processed gradient (clipped, averaged). Do not dispose. */
  grad: tf.Tensor;
  /** Learning rate for this variable at this step (schedule × group multiplier × scale). */
  learningRate: number;
  /** Weight decay for this variable (0 if excluded). */
  weightDecay: number;
  /** This variable's update count, from 1 (PyTorch's per-parameter `step`). */
  step: number;
  /** Get (creating with `init` on first use) a state slot of this variable. */
  slot(name: string, init?: 'zeros' | number): tf.Variable;
}

/** A snapshot of everything needed to resume: tensors by name plus JSON. */
export interface OptimizerState {
  /** `step`, per-variable update counts, accumulation and learning-rate scale. */
  meta: {
    /** Updates applied so far. */
    iterations: number;
    /** The factor on the scheduled learning rate. */
    learningRateScale: number;
    /** Calls accumulated towards the next update (with `accumulateSteps`). */
    accumulated: number;
    /** Updates applied to each variable, by name (for per-variable bias correction). */
    variableSteps: Record<string, number>;
  };
  /** Slot tensors by `variableName/slot` (copies; the caller owns them). */
  tensors: Record<string, tf.Tensor>;
}

const GLOB_CACHE = new Map<string, RegExp>();

function patternToRegExp(pattern: NamePattern): RegExp {
  if (pattern instanceof RegExp) return pattern;
  let re = GLOB_CACHE.get(pattern);
  if (re === undefined) {
    const escaped = pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*');
    re = new RegExp(`^${escaped}$`);
    GLOB_CACHE.set(pattern, re);
  }
  return re;
}

/** Whether `name` matches any of `patterns` (exact name, glob or RegExp). */
export function matchesAny(name: string, patterns: NamePattern | readonly NamePattern[]): boolean {
  const list = Array.isArray(patterns) ? patterns : [patterns as NamePattern];
  return list.some((p) => patternToRegExp(p).test(name));
}

function serializePattern(p: NamePattern): string | { regex: string; flags: string } {
  return p instanceof RegExp ? { regex: p.source, flags: p.flags } : p;
}

function deserializePattern(p: unknown): NamePattern {
  if (typeof p === 'string' || p instanceof RegExp) return p;
  if (p !== null && typeof p === 'object' && typeof (p as { regex?: unknown }).regex === 'string') {
    const { regex, flags } = p as { regex: string; flags?: string };
    return new RegExp(regex, flags ?? '');
  }
  throw new ValueError(`A name pattern must be a string or a RegExp; got ${describeValue(p)}.`, {
    field: 'pattern',
    value: p,
  });
}

function patternList(value: NamePattern | readonly NamePattern[] | unknown): NamePattern[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map(deserializePattern);
}

/** The Euclidean norm as sqrt(Σx²): tf.norm goes through pow(|x|, 2), which is several times slower. */
export function l2Norm(x: tf.Tensor): tf.Scalar {
  return tf.sqrt(tf.sum(tf.square(x))) as tf.Scalar;
}

/** A non-trainable variable from a freshly made tensor, without keeping that tensor alive. */
function newVariable(make: () => tf.Tensor): tf.Variable {
  return tf.tidy(() => tf.variable(make(), false));
}

interface VariableState {
  step: number;
  slots: Map<string, tf.Variable>;
}

type Listener = (event: SkippedStepEvent) => void;

/**
 * The NaN/Infinity check of one `applyGradients` call, left on the device so that a training loop
 * reads it back together with its loss, in the same asynchronous read, instead of a synchronous
 * `dataSync()` inside every step. Made by `applyGradients` (with `nonFinite: 'throw'`) while
 * {@link deferFiniteChecks} runs; read with {@link resolveFiniteChecks}.
 */
export interface DeferredFiniteCheck {
  /** The optimizer that applied the gradients. */
  readonly optimizer: Optimizer;
  /** The names of the updated variables, in the order of `sums`. */
  readonly variables: readonly string[];
  /** The optimizer's step count before this update. */
  readonly step: number;
  /**
   * Each variable's gradient sum, shape `[variables.length]` (float32); NaN or ±Infinity when that gradient held one.
   * Kept out of `tf.tidy`: whoever collects the check disposes it.
   */
  readonly sums: tf.Tensor1D;
}

/** What {@link deferFiniteChecks} returns. */
export interface DeferredResult<T> {
  /** What the function returned. */
  result: T;
  /** The finite checks the function's `applyGradients` calls made, in call order; the caller disposes their `sums`. */
  checks: DeferredFiniteCheck[];
}

/** The checks collected by the innermost running {@link deferFiniteChecks}, if any. */
let deferredChecks: DeferredFiniteCheck[] | undefined;

/**
 * Runs `fn` (synchronously) with the NaN/Infinity check of every `applyGradients` call made in it
 * deferred: optimizers with `nonFinite: 'throw'` (the default) apply the update at once and leave a
 * {@link DeferredFiniteCheck} to read later, so a training step needs no synchronous read. The
 * caller must read `checks[i].sums` (e.g. concatenated with its loss), pass the values to
 * {@link resolveFiniteChecks}, and dispose the `sums` tensors. `nonFinite: 'skip'` still reads at
 * once (it must know before updating); `'ignore'` checks nothing.
 *
 * Args:
 * - `fn`: the work, e.g. a training step; if it throws, the checks made so far are disposed.
 *
 * Returns {@link DeferredResult}: what `fn` returned and the checks, in call order.
 *
 * @example
 * ```ts
 * const { result: loss, checks } = deferFiniteChecks(() => optimizer.minimize(() => lossFn())!);
 * const values = await tf.concat([loss.reshape([1]), ...checks.map((c) => c.sums)]).data();
 * resolveFiniteChecks(checks, values.subarray(1)); // throws the usual ValueError on NaN
 * tf.dispose([loss, ...checks.map((c) => c.sums)]);
 * ```
 */
export function deferFiniteChecks<T>(fn: () => T): DeferredResult<T> {
  const previous = deferredChecks;
  const checks: DeferredFiniteCheck[] = [];
  deferredChecks = checks;
  try {
    return { result: fn(), checks };
  } catch (error) {
    tf.dispose(checks.map((c) => c.sums));
    throw error;
  } finally {
    deferredChecks = previous;
  }
}

/**
 * Reads deferred NaN/Infinity checks back: throws the `ValueError` that `applyGradients` throws
 * with `nonFinite: 'throw'` (naming the variables and the step) when a gradient was not finite.
 * By then that step's update has been applied, so the weights may hold NaN: reload them (e.g. from
 * a checkpoint) before training on.
 *
 * Args:
 * - `checks`: what {@link deferFiniteChecks} returned.
 * - `values`: the values of every check's `sums`, concatenated in the order of `checks`.
 */
export function resolveFiniteChecks(checks: readonly DeferredFiniteCheck[], values: ArrayLike<number>): void {
  let offset = 0;
  for (const check of checks) {
    const bad = check.variables.filter((_, i) => !Number.isFinite(values[offset + i]!));
    offset += check.variables.length;
    if (bad.length > 0) throw nonFiniteError(bad, check.step);
  }
}

function nonFiniteError(bad: readonly string[], step: number): ValueError {
  return new ValueError(
    `Non-finite gradient (NaN or Infinity) for ${bad.map((b) => `"${b}"`).join(', ')} at step ` +
      `${step}. Lower the learning rate, clip gradients, check the inputs, or pass ` +
      "nonFinite: 'skip' to skip such steps.",
    { field: 'gradients', value: bad },
  );
}

/**
 * Base class of every optimizer. Subclasses implement {@link Optimizer.updateRule} and
 * {@link Optimizer.getConfig}, and have a static `className`; register them with
 * `registerOptimizer` so that they can be saved and loaded.
 */
export abstract class Optimizer implements Serializable {
  /** The registered name this optimizer saves under (`Adam`, or `MyApp>SignSGD` for plugins). */
  static readonly className: string;

  /** The learning rate as a schedule of the step (a constant number becomes a constant schedule). */
  readonly learningRate: LearningRateSchedule;
  /** Each gradient element is clipped to [−clipValue, clipValue]; undefined: no clipping. */
  readonly clipValue: number | undefined;
  /** Each variable's gradient is rescaled to norm ≤ clipNorm; undefined: no clipping. */
  readonly clipNorm: number | undefined;
  /** All gradients are rescaled together to global norm ≤ globalClipNorm; undefined: no clipping. */
  readonly globalClipNorm: number | undefined;
  /** Weight decay factor (coupled or decoupled, per optimizer). Default 0 (AdamW: 0.01). */
  readonly weightDecay: number;
  /** Variables never decayed. */
  readonly weightDecayExclude: readonly NamePattern[];
  /** Per-variable learning-rate multipliers and weight decays; the first matching group wins. */
  readonly paramGroups: readonly ParamGroup[];
  /** Calls whose gradients are averaged before one update. Default 1. */
  readonly accumulateSteps: number;
  /** Decay of the exponential moving average of the weights; undefined: no EMA. */
  readonly emaDecay: number | undefined;
  /** What a NaN or ±Infinity gradient does: `'throw'` (default), `'skip'` or `'ignore'`. */
  readonly nonFinite: 'throw' | 'skip' | 'ignore';

  private iterationsValue = 0;
  private scale = 1;
  private readonly variableState = new Map<string, VariableState>();
  private accumulators = new Map<string, tf.Variable>();
  private accumulatedCalls = 0;
  private readonly emaWeights = new Map<string, tf.Variable>();
  private swapped = false;
  private readonly listeners = new Set<Listener>();

  protected constructor(config: OptimizerConfig, defaultLearningRate: number) {
    const owner = new.target.name;
    this.learningRate = toSchedule(config.learningRate ?? defaultLearningRate);
    this.clipValue = config.clipValue === undefined ? undefined : positive(owner, 'clipValue', config.clipValue);
    this.clipNorm = config.clipNorm === undefined ? undefined : positive(owner, 'clipNorm', config.clipNorm);
    this.globalClipNorm =
      config.globalClipNorm === undefined ? undefined : positive(owner, 'globalClipNorm', config.globalClipNorm);
    this.weightDecay = nonNegative(owner, 'weightDecay', config.weightDecay ?? 0);
    this.weightDecayExclude = patternList(config.weightDecayExclude ?? []);
    this.paramGroups = (config.paramGroups ?? []).map((g, i) => {
      if (g === null || typeof g !== 'object' || g.params === undefined) {
        throw new ValueError(`${owner}: paramGroups[${i}] needs a params pattern; got ${describeValue(g)}.`, {
          field: `paramGroups[${i}]`,
          value: g,
        });
      }
      const group: ParamGroup = { params: patternList(g.params) };
      if (g.lrMultiplier !== undefined)
        group.lrMultiplier = nonNegative(owner, `paramGroups[${i}].lrMultiplier`, g.lrMultiplier);
      if (g.weightDecay !== undefined)
        group.weightDecay = nonNegative(owner, `paramGroups[${i}].weightDecay`, g.weightDecay);
      return group;
    });
    this.accumulateSteps = positiveInteger(owner, 'accumulateSteps', config.accumulateSteps ?? 1);
    this.emaDecay = config.emaDecay === undefined ? undefined : closedUnit(owner, 'emaDecay', config.emaDecay);
    this.nonFinite = oneOf(owner, 'nonFinite', config.nonFinite ?? 'throw', ['throw', 'skip', 'ignore'] as const);
  }

  /** The subclass's update rule for one variable; runs inside `tf.tidy`. */
  protected abstract updateRule(context: UpdateContext): void;

  /** The subclass's own hyperparameters; the base adds the shared ones in {@link getConfig}. */
  protected abstract ownConfig(): ConfigDict;

  /** Updates applied so far (skipped and accumulating calls do not count). */
  get iterations(): number {
    return this.iterationsValue;
  }

  /** A factor on the scheduled learning rate (what ReduceLROnPlateau changes). Default 1. */
  get learningRateScale(): number {
    return this.scale;
  }

  /** Sets the factor on the scheduled learning rate (≥ 0). */
  set learningRateScale(value: number) {
    this.scale = nonNegative(this.constructor.name, 'learningRateScale', value);
  }

  /** The base learning rate for the next update (before group multipliers). */
  currentLearningRate(): number {
    return this.learningRate.valueAt(this.iterationsValue) * this.scale;
  }

  /** Listens for skipped steps (NaN/Infinity with `nonFinite: 'skip'`); returns the remover. */
  onSkippedStep(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private groupOf(name: string): ParamGroup | undefined {
    return this.paramGroups.find((g) => matchesAny(name, g.params));
  }

  private decayFor(name: string, group: ParamGroup | undefined): number {
    if (matchesAny(name, this.weightDecayExclude)) return 0;
    return group?.weightDecay ?? this.weightDecay;
  }

  private static variableNamed(name: string): tf.Variable {
    const variable = (tf.engine().registeredVariables as Record<string, tf.Variable | undefined>)[name];
    if (variable === undefined) {
      throw new ValueError(
        `No variable named "${name}" is registered with tfjs; pass gradients keyed by variable name (as ` +
          'tf.variableGrads returns them).',
        { field: 'gradients', value: name },
      );
    }
    return variable;
  }

  /**
   * Applies one step of gradients (keyed by variable name).
   *
   * @returns `true` if the variables were updated; `false` if the call only accumulated gradients
   *   or the step was skipped for NaN/Infinity.
   * @throws ShapeError if a gradient's shape differs from its variable's.
   * @throws ValueError for an unknown variable name, or a non-finite gradient with
   *   `nonFinite: 'throw'`.
   */
  applyGradients(gradients: NamedGradients): boolean {
    const names = Object.keys(gradients);
    const variables = names.map((name) => {
      const variable = Optimizer.variableNamed(name);
      const grad = gradients[name]!;
      if (!tf.util.arraysEqual(grad.shape, variable.shape)) {
        throw new ShapeError(
          `Gradient for "${name}" has shape [${grad.shape.join(',')}] but the variable has [${variable.shape.join(',')}].`,
          { actual: grad.shape, expected: variable.shape },
        );
      }
      return variable;
    });
    if (this.swapped) {
      throw new ValueError('The EMA weights are swapped in; call swapEmaWeights() again before training.', {
        field: 'ema',
        value: 'swapped',
      });
    }

    let grads: tf.Tensor[] = names.map((n) => gradients[n]!);
    let ownGrads = false;
    if (this.accumulateSteps > 1) {
      for (let i = 0; i < names.length; i++) {
        const name = names[i]!;
        let acc = this.accumulators.get(name);
        if (acc === undefined) {
          const grad = grads[i]!;
          acc = newVariable(() => tf.zerosLike(grad));
          this.accumulators.set(name, acc);
        }
        const sum = tf.add(acc, grads[i]!);
        acc.assign(sum);
        sum.dispose();
      }
      this.accumulatedCalls++;
      if (this.accumulatedCalls < this.accumulateSteps) return false;
      const n = this.accumulatedCalls;
      grads = names.map((name) => tf.tidy(() => tf.div(this.accumulators.get(name)!, n)));
      ownGrads = true;
      this.resetAccumulation();
    }

    try {
      if (this.nonFinite === 'throw' && deferredChecks !== undefined) {
        // Inside a training step: leave the check on the device for the step's one read-back.
        const sums = tf.keep(
          tf.tidy(
            () =>
              tf.stack(
                grads.map((g) => (g.dtype === 'float32' ? tf.sum(g) : tf.cast(tf.sum(g), 'float32'))),
              ) as tf.Tensor1D,
          ),
        );
        deferredChecks.push({ optimizer: this, variables: names, step: this.iterationsValue, sums });
        this.update(names, variables, grads);
        return true;
      }
      const bad = this.nonFinite === 'ignore' ? [] : this.nonFiniteVariables(names, grads);
      if (bad.length > 0) {
        if (this.nonFinite === 'throw') throw nonFiniteError(bad, this.iterationsValue);
        const event: SkippedStepEvent = { type: 'skipped-step', step: this.iterationsValue, variables: bad };
        for (const listener of [...this.listeners]) listener(event);
        return false;
      }
      this.update(names, variables, grads);
      return true;
    } finally {
      if (ownGrads) tf.dispose(grads);
    }
  }

  /**
   * Computes the gradients of `loss` with respect to `varList` (default: every trainable
   * variable) and applies them. Returns the loss if `returnLoss`, else null.
   */
  minimize(loss: () => tf.Scalar, returnLoss = true, varList?: tf.Variable[]): tf.Scalar | null {
    const { value, grads } = tf.variableGrads(loss, varList);
    try {
      this.applyGradients(grads);
    } finally {
      tf.dispose(Object.values(grads));
    }
    if (returnLoss) return value;
    value.dispose();
    return null;
  }

  private nonFiniteVariables(names: string[], grads: tf.Tensor[]): string[] {
    // One reduction and one read-back per step: a sum is NaN or ±Infinity when any element is (or
    // when the sum overflows float32, itself a sign of exploding gradients). Only when it is, find
    // which variables.
    const total = tf.tidy(() => (grads.length === 1 ? tf.sum(grads[0]!) : tf.addN(grads.map((g) => tf.sum(g)))));
    const finite = Number.isFinite(total.dataSync()[0]);
    total.dispose();
    if (finite) return [];
    const flags = tf.tidy(() => tf.stack(grads.map((g) => tf.all(tf.isFinite(g)))));
    const ok = flags.dataSync();
    flags.dispose();
    const bad = names.filter((_, i) => ok[i] === 0);
    return bad.length > 0 ? bad : names;
  }

  private update(names: string[], variables: tf.Variable[], rawGrads: tf.Tensor[]): void {
    const step = this.iterationsValue;
    const base = this.learningRate.valueAt(step) * this.scale;
    tf.tidy(() => {
      let grads = rawGrads;
      if (this.clipValue !== undefined) {
        const c = this.clipValue;
        grads = grads.map((g) => tf.clipByValue(g, -c, c));
      }
      if (this.clipNorm !== undefined) {
        const c = this.clipNorm;
        grads = grads.map((g) => tf.mul(g, tf.div(c, tf.maximum(l2Norm(g), c))));
      }
      if (this.globalClipNorm !== undefined) {
        const total = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
        const coef = tf.minimum(tf.div(this.globalClipNorm, tf.add(total, 1e-6)), 1);
        grads = grads.map((g) => tf.mul(g, coef));
      }
      names.forEach((name, i) => {
        const variable = variables[i]!;
        const group = this.groupOf(name);
        let state = this.variableState.get(name);
        if (state === undefined) {
          state = { step: 0, slots: new Map() };
          this.variableState.set(name, state);
        }
        state.step++;
        const slots = state.slots;
        const slot = (slotName: string, init: 'zeros' | number = 'zeros'): tf.Variable => {
          let v = slots.get(slotName);
          if (v === undefined) {
            v = newVariable(() => (init === 'zeros' ? tf.zerosLike(variable) : tf.fill(variable.shape, init)));
            slots.set(slotName, v);
          }
          return v;
        };
        this.updateRule({
          variable,
          grad: grads[i]!,
          learningRate: base * (group?.lrMultiplier ?? 1),
          weightDecay: this.decayFor(name, group),
          step: state.step,
          slot,
        });
      });
    });
    this.iterationsValue++;
    if (this.emaDecay !== undefined) this.updateEma(names, variables);
  }

  private updateEma(names: string[], variables: tf.Variable[]): void {
    const decay = this.emaDecay!;
    names.forEach((name, i) => {
      const variable = variables[i]!;
      const ema = this.emaWeights.get(name);
      if (ema === undefined) {
        this.emaWeights.set(
          name,
          newVariable(() => variable.clone()),
        );
        return;
      }
      const next = tf.tidy(() => tf.add(tf.mul(ema, decay), tf.mul(variable, 1 - decay)));
      ema.assign(next);
      next.dispose();
    });
  }

  /** The moving average of each variable's weights (copies; the caller owns them). */
  emaValues(): Record<string, tf.Tensor> {
    return Object.fromEntries([...this.emaWeights].map(([name, v]) => [name, v.clone()]));
  }

  /**
   * Exchanges the live weights with their moving averages (call again to swap back): evaluate
   * with the averaged weights, then continue training with the live ones.
   */
  swapEmaWeights(): void {
    if (this.emaDecay === undefined) {
      throw new ValueError('swapEmaWeights needs an optimizer created with emaDecay.', {
        field: 'emaDecay',
        value: undefined,
      });
    }
    for (const [name, ema] of this.emaWeights) {
      const variable = Optimizer.variableNamed(name);
      const live = variable.clone();
      variable.assign(ema);
      ema.assign(live);
      live.dispose();
    }
    this.swapped = !this.swapped;
  }

  /** Whether the EMA weights are currently swapped in. */
  get emaSwappedIn(): boolean {
    return this.swapped;
  }

  private resetAccumulation(): void {
    for (const acc of this.accumulators.values()) acc.dispose();
    this.accumulators = new Map();
    this.accumulatedCalls = 0;
  }

  /** Serializable configuration (hyperparameters, not state). */
  getConfig(): ConfigDict {
    const config: ConfigDict = {
      ...this.ownConfig(),
      learningRate: serializePlugin('schedule', this.learningRate) as unknown as ConfigDict,
      weightDecay: this.weightDecay,
      accumulateSteps: this.accumulateSteps,
      nonFinite: this.nonFinite,
    };
    if (this.clipValue !== undefined) config['clipValue'] = this.clipValue;
    if (this.clipNorm !== undefined) config['clipNorm'] = this.clipNorm;
    if (this.globalClipNorm !== undefined) config['globalClipNorm'] = this.globalClipNorm;
    if (this.emaDecay !== undefined) config['emaDecay'] = this.emaDecay;
    if (this.weightDecayExclude.length > 0)
      config['weightDecayExclude'] = this.weightDecayExclude.map(serializePattern);
    if (this.paramGroups.length > 0) {
      config['paramGroups'] = this.paramGroups.map((g) => ({
        params: patternList(g.params).map(serializePattern),
        ...(g.lrMultiplier === undefined ? {} : { lrMultiplier: g.lrMultiplier }),
        ...(g.weightDecay === undefined ? {} : { weightDecay: g.weightDecay }),
      }));
    }
    return config;
  }

  /** A copy of the full state (slots, accumulators, EMA, counters); the caller owns the tensors. */
  getState(): OptimizerState {
    const tensors: Record<string, tf.Tensor> = {};
    const variableSteps: Record<string, number> = {};
    for (const [name, state] of this.variableState) {
      variableSteps[name] = state.step;
      for (const [slot, v] of state.slots) tensors[`${name}/${slot}`] = v.clone();
    }
    for (const [name, v] of this.accumulators) tensors[`${name}/__accumulator`] = v.clone();
    for (const [name, v] of this.emaWeights) tensors[`${name}/__ema`] = v.clone();
    return {
      meta: {
        iterations: this.iterationsValue,
        learningRateScale: this.scale,
        accumulated: this.accumulatedCalls,
        variableSteps,
      },
      tensors,
    };
  }

  /** Replaces the state with a copy of `state` (as returned by {@link getState}). */
  setState(state: OptimizerState): void {
    const { meta, tensors } = state;
    if (meta === undefined || typeof meta.iterations !== 'number' || typeof meta.variableSteps !== 'object') {
      throw new ValueError(
        `Optimizer state needs meta.iterations and meta.variableSteps; got ${describeValue(meta)}.`,
        {
          field: 'meta',
          value: meta,
        },
      );
    }
    this.disposeState();
    this.iterationsValue = meta.iterations;
    this.scale = meta.learningRateScale ?? 1;
    this.accumulatedCalls = meta.accumulated ?? 0;
    for (const [name, step] of Object.entries(meta.variableSteps)) {
      this.variableState.set(name, { step, slots: new Map() });
    }
    for (const [key, tensor] of Object.entries(tensors)) {
      const cut = key.lastIndexOf('/');
      const name = key.slice(0, cut);
      const slot = key.slice(cut + 1);
      const copy = newVariable(() => tensor.clone());
      if (slot === '__accumulator') this.accumulators.set(name, copy);
      else if (slot === '__ema') this.emaWeights.set(name, copy);
      else {
        let vs = this.variableState.get(name);
        if (vs === undefined) {
          vs = { step: 0, slots: new Map() };
          this.variableState.set(name, vs);
        }
        vs.slots.set(slot, copy);
      }
    }
  }

  private disposeState(): void {
    for (const state of this.variableState.values()) for (const v of state.slots.values()) v.dispose();
    this.variableState.clear();
    this.resetAccumulation();
    for (const v of this.emaWeights.values()) v.dispose();
    this.emaWeights.clear();
  }

  /** Frees every tensor the optimizer holds. */
  dispose(): void {
    this.disposeState();
  }
}
