/**
 * Learning-rate schedules: pure functions of the optimizer step (the number of updates applied
 * before this one, from 0), serializable as `{ className, config }` through the core registry.
 *
 * Formulas follow Keras (`keras.optimizers.schedules`) and, for one-cycle, PyTorch's
 * `OneCycleLR`; each class documents its own.
 *
 * @example
 * ```ts
 * const lr = new LinearWarmup({ warmupSteps: 500, schedule: new CosineDecay({ initialLearningRate: 1e-3, decaySteps: 10_000 }) });
 * const adam = new Adam({ learningRate: lr });
 * ```
 */
import {
  deserializePlugin,
  registerSchedule,
  serializePlugin,
  ValueError,
  type ConfigDict,
  type Serializable,
  type SerializedPlugin,
} from '@plasticity/core';
import {
  boolean,
  closedUnit,
  finite,
  nonNegative,
  nonNegativeInteger,
  oneOf,
  positive,
  positiveInteger,
} from './validate.js';

/** A learning rate as a function of the step. */
export abstract class LearningRateSchedule implements Serializable {
  /** The registered name this schedule saves under. */
  static readonly className: string;
  /** The learning rate for the update that follows `step` earlier updates. */
  abstract valueAt(step: number): number;
  /** The options that rebuild this schedule (JSON-safe); saved with the optimizer. */
  abstract getConfig(): ConfigDict;
}

/** A number or a schedule: what every optimizer's `learningRate` accepts. */
export type LearningRate = number | LearningRateSchedule;

/** `value` at every step. */
export class ConstantSchedule extends LearningRateSchedule {
  static override readonly className = 'ConstantSchedule';
  /** The learning rate at every step. */
  readonly value: number;
  constructor(config: { value: number }) {
    super();
    this.value = nonNegative('ConstantSchedule', 'value', config.value);
  }
  valueAt(): number {
    return this.value;
  }
  getConfig(): ConfigDict {
    return { value: this.value };
  }
}

/**
 * Keras `PiecewiseConstantDecay`: `values[0]` while `step <= boundaries[0]`, `values[i]` while
 * `boundaries[i-1] < step <= boundaries[i]`, and the last value after the last boundary.
 */
export class PiecewiseConstant extends LearningRateSchedule {
  static override readonly className = 'PiecewiseConstant';
  /** Steps where the value changes, increasing. */
  readonly boundaries: number[];
  /** `values[i]` before `boundaries[i]`; one more value than boundaries. */
  readonly values: number[];
  constructor(config: { boundaries: number[]; values: number[] }) {
    super();
    const owner = 'PiecewiseConstant';
    if (
      !Array.isArray(config.boundaries) ||
      !Array.isArray(config.values) ||
      config.values.length !== config.boundaries.length + 1
    ) {
      throw new ValueError(
        `${owner}: values must have exactly one more entry than boundaries; got ${config.values?.length} values ` +
          `for ${config.boundaries?.length} boundaries.`,
        { field: 'values', value: config.values },
      );
    }
    config.boundaries.forEach((b, i) => {
      nonNegative(owner, `boundaries[${i}]`, b);
      if (i > 0 && b <= config.boundaries[i - 1]!) {
        throw new ValueError(
          `${owner}: boundaries must increase; boundaries[${i}]=${b} follows ${config.boundaries[i - 1]}.`,
          {
            field: 'boundaries',
            value: config.boundaries,
          },
        );
      }
    });
    config.values.forEach((v, i) => nonNegative(owner, `values[${i}]`, v));
    this.boundaries = [...config.boundaries];
    this.values = [...config.values];
  }
  valueAt(step: number): number {
    const i = this.boundaries.findIndex((b) => step <= b);
    return this.values[i === -1 ? this.values.length - 1 : i]!;
  }
  getConfig(): ConfigDict {
    return { boundaries: [...this.boundaries], values: [...this.values] };
  }
}

/** PyTorch `StepLR`: `initialLearningRate · gamma^floor(step / stepSize)`. */
export class StepDecay extends LearningRateSchedule {
  static override readonly className = 'StepDecay';
  /** Learning rate at step 0. */
  readonly initialLearningRate: number;
  /** Steps between decays. */
  readonly stepSize: number;
  /** Multiplier applied every `stepSize` steps. Default 0.1. */
  readonly gamma: number;
  constructor(config: { initialLearningRate: number; stepSize: number; gamma?: number }) {
    super();
    this.initialLearningRate = nonNegative('StepDecay', 'initialLearningRate', config.initialLearningRate);
    this.stepSize = positiveInteger('StepDecay', 'stepSize', config.stepSize);
    this.gamma = nonNegative('StepDecay', 'gamma', config.gamma ?? 0.1);
  }
  valueAt(step: number): number {
    return this.initialLearningRate * this.gamma ** Math.floor(step / this.stepSize);
  }
  getConfig(): ConfigDict {
    return { initialLearningRate: this.initialLearningRate, stepSize: this.stepSize, gamma: this.gamma };
  }
}

interface DecayConfig {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
}

function decayFields(owner: string, config: DecayConfig): Required<DecayConfig> {
  return {
    initialLearningRate: nonNegative(owner, 'initialLearningRate', config.initialLearningRate),
    decaySteps: positive(owner, 'decaySteps', config.decaySteps),
    decayRate: nonNegative(owner, 'decayRate', config.decayRate),
    staircase: boolean(owner, 'staircase', config.staircase ?? false),
  };
}

/** Keras `ExponentialDecay`: `initial · decayRate^(step / decaySteps)` (floored when `staircase`). */
export class ExponentialDecay extends LearningRateSchedule {
  static override readonly className = 'ExponentialDecay';
  /** `initialLearningRate`, `decaySteps`, `decayRate` and `staircase` (default false). */
  readonly config: Required<DecayConfig>;
  constructor(config: DecayConfig) {
    super();
    this.config = decayFields('ExponentialDecay', config);
  }
  valueAt(step: number): number {
    const { initialLearningRate, decaySteps, decayRate, staircase } = this.config;
    const p = staircase ? Math.floor(step / decaySteps) : step / decaySteps;
    return initialLearningRate * decayRate ** p;
  }
  getConfig(): ConfigDict {
    return { ...this.config };
  }
}

/** Keras `InverseTimeDecay`: `initial / (1 + decayRate · step / decaySteps)` (floored when `staircase`). */
export class InverseTimeDecay extends LearningRateSchedule {
  static override readonly className = 'InverseTimeDecay';
  /** `initialLearningRate`, `decaySteps`, `decayRate` and `staircase` (default false). */
  readonly config: Required<DecayConfig>;
  constructor(config: DecayConfig) {
    super();
    this.config = decayFields('InverseTimeDecay', config);
  }
  valueAt(step: number): number {
    const { initialLearningRate, decaySteps, decayRate, staircase } = this.config;
    const p = staircase ? Math.floor(step / decaySteps) : step / decaySteps;
    return initialLearningRate / (1 + decayRate * p);
  }
  getConfig(): ConfigDict {
    return { ...this.config };
  }
}

/**
 * Keras `PolynomialDecay`: `(initial − end) · (1 − s / decaySteps)^power + end` with
 * `s = min(step, decaySteps)`; with `cycle`, `decaySteps` grows to the next multiple past `step`.
 */
export class PolynomialDecay extends LearningRateSchedule {
  static override readonly className = 'PolynomialDecay';
  /** Learning rate at step 0. */
  readonly initialLearningRate: number;
  /** Steps over which it decays to `endLearningRate`. */
  readonly decaySteps: number;
  /** Final learning rate. Default 1e-4. */
  readonly endLearningRate: number;
  /** Exponent of the polynomial. Default 1 (linear). */
  readonly power: number;
  /** Whether the decay restarts past `decaySteps`. Default false. */
  readonly cycle: boolean;
  constructor(config: {
    initialLearningRate: number;
    decaySteps: number;
    endLearningRate?: number;
    power?: number;
    cycle?: boolean;
  }) {
    super();
    const owner = 'PolynomialDecay';
    this.initialLearningRate = nonNegative(owner, 'initialLearningRate', config.initialLearningRate);
    this.decaySteps = positive(owner, 'decaySteps', config.decaySteps);
    this.endLearningRate = nonNegative(owner, 'endLearningRate', config.endLearningRate ?? 1e-4);
    this.power = positive(owner, 'power', config.power ?? 1);
    this.cycle = boolean(owner, 'cycle', config.cycle ?? false);
  }
  valueAt(step: number): number {
    let decaySteps = this.decaySteps;
    let s = step;
    if (this.cycle) {
      decaySteps = decaySteps * Math.max(1, Math.ceil(step / decaySteps));
    } else {
      s = Math.min(step, decaySteps);
    }
    return (
      (this.initialLearningRate - this.endLearningRate) * (1 - s / decaySteps) ** this.power + this.endLearningRate
    );
  }
  getConfig(): ConfigDict {
    return {
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      endLearningRate: this.endLearningRate,
      power: this.power,
      cycle: this.cycle,
    };
  }
}

/**
 * Keras `CosineDecay`: `initial · ((1 − alpha) · ½(1 + cos(π · min(step, decaySteps) / decaySteps)) + alpha)`.
 */
export class CosineDecay extends LearningRateSchedule {
  static override readonly className = 'CosineDecay';
  /** Learning rate at step 0. */
  readonly initialLearningRate: number;
  /** Steps of the half cosine. */
  readonly decaySteps: number;
  /** Floor as a fraction of `initialLearningRate`. Default 0. */
  readonly alpha: number;
  constructor(config: { initialLearningRate: number; decaySteps: number; alpha?: number }) {
    super();
    this.initialLearningRate = nonNegative('CosineDecay', 'initialLearningRate', config.initialLearningRate);
    this.decaySteps = positive('CosineDecay', 'decaySteps', config.decaySteps);
    this.alpha = closedUnit('CosineDecay', 'alpha', config.alpha ?? 0);
  }
  valueAt(step: number): number {
    const cosine = 0.5 * (1 + Math.cos((Math.PI * Math.min(step, this.decaySteps)) / this.decaySteps));
    return this.initialLearningRate * ((1 - this.alpha) * cosine + this.alpha);
  }
  getConfig(): ConfigDict {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, alpha: this.alpha };
  }
}

/**
 * Keras `CosineDecayRestarts` (SGDR, Loshchilov & Hutter 2017): cosine decay over
 * `firstDecaySteps`, then restarts whose length grows by `tMul` and height by `mMul`.
 */
export class CosineDecayRestarts extends LearningRateSchedule {
  static override readonly className = 'CosineDecayRestarts';
  /** Learning rate at the start of the first period. */
  readonly initialLearningRate: number;
  /** Length of the first period. */
  readonly firstDecaySteps: number;
  /** Each period is `tMul` times longer than the last. Default 2. */
  readonly tMul: number;
  /** Each period starts at `mMul` times the last start. Default 1. */
  readonly mMul: number;
  /** Floor as a fraction of the period's start. Default 0. */
  readonly alpha: number;
  constructor(config: {
    initialLearningRate: number;
    firstDecaySteps: number;
    tMul?: number;
    mMul?: number;
    alpha?: number;
  }) {
    super();
    const owner = 'CosineDecayRestarts';
    this.initialLearningRate = nonNegative(owner, 'initialLearningRate', config.initialLearningRate);
    this.firstDecaySteps = positive(owner, 'firstDecaySteps', config.firstDecaySteps);
    this.tMul = positive(owner, 'tMul', config.tMul ?? 2);
    this.mMul = nonNegative(owner, 'mMul', config.mMul ?? 1);
    this.alpha = closedUnit(owner, 'alpha', config.alpha ?? 0);
  }
  valueAt(step: number): number {
    let fraction = step / this.firstDecaySteps;
    let restart: number;
    if (this.tMul === 1) {
      restart = Math.floor(fraction);
      fraction -= restart;
    } else {
      restart = Math.floor(Math.log(1 - fraction * (1 - this.tMul)) / Math.log(this.tMul));
      const sumR = (1 - this.tMul ** restart) / (1 - this.tMul);
      fraction = (fraction - sumR) / this.tMul ** restart;
    }
    const mFac = this.mMul ** restart;
    const cosine = 0.5 * mFac * (1 + Math.cos(Math.PI * fraction));
    return this.initialLearningRate * ((1 - this.alpha) * cosine + this.alpha);
  }
  getConfig(): ConfigDict {
    return {
      initialLearningRate: this.initialLearningRate,
      firstDecaySteps: this.firstDecaySteps,
      tMul: this.tMul,
      mMul: this.mMul,
      alpha: this.alpha,
    };
  }
}

/**
 * Linear warm-up around any schedule: from `startLearningRate` up to the inner schedule's first
 * value over `warmupSteps`, then the inner schedule, started after the warm-up:
 * `step < W: start + (inner(0) − start) · step / W`, else `inner(step − W)`.
 */
export class LinearWarmup extends LearningRateSchedule {
  static override readonly className = 'LinearWarmup';
  /** The schedule that takes over after the warm-up (a number is a constant). */
  readonly schedule: LearningRateSchedule;
  /** Steps of the linear ramp. */
  readonly warmupSteps: number;
  /** Learning rate at step 0. Default 0. */
  readonly startLearningRate: number;
  constructor(config: { schedule: LearningRate | SerializedPlugin; warmupSteps: number; startLearningRate?: number }) {
    super();
    this.schedule = toSchedule(config.schedule, 'LinearWarmup.schedule');
    this.warmupSteps = positiveInteger('LinearWarmup', 'warmupSteps', config.warmupSteps);
    this.startLearningRate = nonNegative('LinearWarmup', 'startLearningRate', config.startLearningRate ?? 0);
  }
  valueAt(step: number): number {
    if (step < this.warmupSteps) {
      const target = this.schedule.valueAt(0);
      return this.startLearningRate + ((target - this.startLearningRate) * step) / this.warmupSteps;
    }
    return this.schedule.valueAt(step - this.warmupSteps);
  }
  getConfig(): ConfigDict {
    return {
      schedule: serializePlugin('schedule', this.schedule) as unknown as ConfigDict,
      warmupSteps: this.warmupSteps,
      startLearningRate: this.startLearningRate,
    };
  }
}

/**
 * PyTorch `OneCycleLR` (Smith & Topin 2019), learning rate only: from `maxLearningRate / divFactor`
 * up to `maxLearningRate` over `pctStart · totalSteps`, then down to
 * `initial / finalDivFactor`; with `threePhase`, back to the initial rate before the final
 * annealing. `anneal` is `'cos'` or `'linear'`.
 */
export class OneCycle extends LearningRateSchedule {
  static override readonly className = 'OneCycle';
  /** Peak learning rate. */
  readonly maxLearningRate: number;
  /** Length of the whole cycle in steps. */
  readonly totalSteps: number;
  /** Fraction of the cycle spent rising. Default 0.3. */
  readonly pctStart: number;
  /** Initial rate = `maxLearningRate / divFactor`. Default 25. */
  readonly divFactor: number;
  /** Final rate = initial rate / `finalDivFactor`. Default 1e4. */
  readonly finalDivFactor: number;
  /** `'cos'` (default) or `'linear'` annealing. */
  readonly anneal: 'cos' | 'linear';
  /** Whether to return to the initial rate before the final annealing. Default false. */
  readonly threePhase: boolean;
  constructor(config: {
    maxLearningRate: number;
    totalSteps: number;
    pctStart?: number;
    divFactor?: number;
    finalDivFactor?: number;
    anneal?: 'cos' | 'linear';
    threePhase?: boolean;
  }) {
    super();
    const owner = 'OneCycle';
    this.maxLearningRate = positive(owner, 'maxLearningRate', config.maxLearningRate);
    this.totalSteps = positiveInteger(owner, 'totalSteps', config.totalSteps);
    this.pctStart = closedUnit(owner, 'pctStart', config.pctStart ?? 0.3);
    this.divFactor = positive(owner, 'divFactor', config.divFactor ?? 25);
    this.finalDivFactor = positive(owner, 'finalDivFactor', config.finalDivFactor ?? 1e4);
    this.anneal = oneOf(owner, 'anneal', config.anneal ?? 'cos', ['cos', 'linear'] as const);
    this.threePhase = boolean(owner, 'threePhase', config.threePhase ?? false);
  }
  valueAt(step: number): number {
    const initial = this.maxLearningRate / this.divFactor;
    const min = initial / this.finalDivFactor;
    const up = this.pctStart * this.totalSteps - 1;
    const phases = this.threePhase
      ? [
          { end: up, start: initial, stop: this.maxLearningRate },
          { end: 2 * this.pctStart * this.totalSteps - 2, start: this.maxLearningRate, stop: initial },
          { end: this.totalSteps - 1, start: initial, stop: min },
        ]
      : [
          { end: up, start: initial, stop: this.maxLearningRate },
          { end: this.totalSteps - 1, start: this.maxLearningRate, stop: min },
        ];
    let startStep = 0;
    for (let i = 0; i < phases.length; i++) {
      const phase = phases[i]!;
      if (step <= phase.end || i === phases.length - 1) {
        const pct = Math.min(1, Math.max(0, (step - startStep) / (phase.end - startStep)));
        return this.anneal === 'cos'
          ? phase.stop + ((phase.start - phase.stop) / 2) * (Math.cos(Math.PI * pct) + 1)
          : (phase.stop - phase.start) * pct + phase.start;
      }
      startStep = phase.end;
    }
    return min;
  }
  getConfig(): ConfigDict {
    return {
      maxLearningRate: this.maxLearningRate,
      totalSteps: this.totalSteps,
      pctStart: this.pctStart,
      divFactor: this.divFactor,
      finalDivFactor: this.finalDivFactor,
      anneal: this.anneal,
      threePhase: this.threePhase,
    };
  }
}

/** Turns a number, a schedule or a serialized schedule into a schedule. */
export function toSchedule(value: LearningRate | SerializedPlugin, field = 'learningRate'): LearningRateSchedule {
  if (value instanceof LearningRateSchedule) return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new ValueError(`${field} must be a finite number >= 0 or a schedule; got ${value}.`, { field, value });
    }
    return new ConstantSchedule({ value });
  }
  if (value !== null && typeof value === 'object' && typeof (value as SerializedPlugin).className === 'string') {
    registerBuiltinSchedules();
    return deserializePlugin<LearningRateSchedule>('schedule', value as SerializedPlugin);
  }
  return finite('schedule', field, value) as never;
}

/**
 * The plateau logic of PyTorch's `ReduceLROnPlateau`, for a callback to drive: feed it the
 * monitored metric once per epoch and it returns the factor to multiply the learning rate by
 * (1 or `factor`).
 */
export class PlateauTracker {
  /** `'min'` (default): lower is better; `'max'`: higher is better. */
  readonly mode: 'min' | 'max';
  /** Multiplier applied on a plateau. Default 0.1. */
  readonly factor: number;
  /** Epochs without improvement before reducing. Default 10. */
  readonly patience: number;
  /** Smallest improvement that counts. Default 1e-4. */
  readonly threshold: number;
  /** `'rel'` (default: relative to the best) or `'abs'`. */
  readonly thresholdMode: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again. Default 0. */
  readonly cooldown: number;
  /** Learning rate never goes below this. Default 0. */
  readonly minLearningRate: number;
  private best: number;
  private badEpochs = 0;
  private cooldownLeft = 0;

  constructor(
    config: {
      mode?: 'min' | 'max';
      factor?: number;
      patience?: number;
      threshold?: number;
      thresholdMode?: 'rel' | 'abs';
      cooldown?: number;
      minLearningRate?: number;
    } = {},
  ) {
    const owner = 'PlateauTracker';
    this.mode = oneOf(owner, 'mode', config.mode ?? 'min', ['min', 'max'] as const);
    this.factor = finite(owner, 'factor', config.factor ?? 0.1);
    if (this.factor <= 0 || this.factor >= 1) {
      throw new ValueError(`${owner}: factor must be in (0, 1); got ${this.factor}.`, {
        field: 'factor',
        value: this.factor,
      });
    }
    this.patience = nonNegativeInteger(owner, 'patience', config.patience ?? 10);
    this.threshold = nonNegative(owner, 'threshold', config.threshold ?? 1e-4);
    this.thresholdMode = oneOf(owner, 'thresholdMode', config.thresholdMode ?? 'rel', ['rel', 'abs'] as const);
    this.cooldown = nonNegativeInteger(owner, 'cooldown', config.cooldown ?? 0);
    this.minLearningRate = nonNegative(owner, 'minLearningRate', config.minLearningRate ?? 0);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(value: number): boolean {
    if (this.mode === 'min') {
      return this.thresholdMode === 'rel'
        ? value < this.best * (1 - this.threshold)
        : value < this.best - this.threshold;
    }
    return this.thresholdMode === 'rel' ? value > this.best * (1 + this.threshold) : value > this.best + this.threshold;
  }

  /**
   * Records one epoch's metric; returns the new learning rate (reduced by `factor`, never below
   * `minLearningRate`) or `currentLearningRate` unchanged.
   */
  update(metric: number, currentLearningRate: number): number {
    finite('PlateauTracker', 'metric', metric);
    if (this.isBetter(metric)) {
      this.best = metric;
      this.badEpochs = 0;
    } else {
      this.badEpochs++;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.badEpochs = 0;
    }
    if (this.badEpochs > this.patience) {
      this.cooldownLeft = this.cooldown;
      this.badEpochs = 0;
      const reduced = Math.max(currentLearningRate * this.factor, this.minLearningRate);
      // PyTorch ignores reductions smaller than eps = 1e-8.
      return currentLearningRate - reduced > 1e-8 ? reduced : currentLearningRate;
    }
    return currentLearningRate;
  }

  /** JSON-safe state, to resume. */
  getState(): {
    /** Best monitored value so far. */
    best: number;
    /** Epochs since the last improvement. */
    badEpochs: number;
    /** Epochs of cooldown left. */
    cooldownLeft: number;
  } {
    return { best: this.best, badEpochs: this.badEpochs, cooldownLeft: this.cooldownLeft };
  }

  /** Restores a state from `getState()` (resuming training). */
  setState(state: { best: number; badEpochs: number; cooldownLeft: number }): void {
    this.best = state.best;
    this.badEpochs = state.badEpochs;
    this.cooldownLeft = state.cooldownLeft;
  }
}

/** Every built-in schedule class, in registration order. */
export const SCHEDULE_CLASSES = [
  ConstantSchedule,
  PiecewiseConstant,
  StepDecay,
  ExponentialDecay,
  InverseTimeDecay,
  PolynomialDecay,
  CosineDecay,
  CosineDecayRestarts,
  LinearWarmup,
  OneCycle,
] as const;

/** Registers every built-in schedule with the core registry (idempotent). */
export function registerBuiltinSchedules(): void {
  for (const cls of SCHEDULE_CLASSES) registerSchedule(cls);
}
