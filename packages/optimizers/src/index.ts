/**
 * `@plasticity/optimizers`: optimizers over tfjs-core variables (SGD, Adam, AdamW, Adamax, Nadam,
 * RMSprop, Adagrad, Adadelta, Lion, LAMB) matching PyTorch's update rules, learning-rate
 * schedules, gradient clipping, weight decay with exclusions, parameter groups, gradient
 * accumulation, weight EMA, NaN handling, and resumable state.
 *
 * @example
 * ```ts
 * import { AdamW, CosineDecay, LinearWarmup } from '@plasticity/optimizers';
 * const optimizer = new AdamW({
 *   learningRate: new LinearWarmup({ warmupSteps: 100, schedule: new CosineDecay({ initialLearningRate: 1e-3, decaySteps: 5000 }) }),
 *   weightDecay: 0.05,
 *   weightDecayExclude: ['*bias*', '*norm*'],
 *   globalClipNorm: 1,
 * });
 * optimizer.minimize(() => loss());
 * ```
 *
 * @packageDocumentation
 */
export {
  Optimizer,
  deferFiniteChecks,
  l2Norm,
  matchesAny,
  resolveFiniteChecks,
  type DeferredFiniteCheck,
  type DeferredResult,
  type NamePattern,
  type NamedGradients,
  type OptimizerConfig,
  type OptimizerState,
  type ParamGroup,
  type SkippedStepEvent,
  type UpdateContext,
} from './optimizer.js';
export { SGD, type SGDConfig } from './sgd.js';
export { Adam, AdamW, type AdamConfig } from './adam.js';
export { Adamax, type AdamaxConfig } from './adamax.js';
export { Nadam, type NadamConfig } from './nadam.js';
export { RMSprop, type RMSpropConfig } from './rmsprop.js';
export { Adagrad, type AdagradConfig } from './adagrad.js';
export { Adadelta, type AdadeltaConfig } from './adadelta.js';
export { Lion, type LionConfig } from './lion.js';
export { Lamb, type LambConfig } from './lamb.js';
export {
  ConstantSchedule,
  CosineDecay,
  CosineDecayRestarts,
  ExponentialDecay,
  InverseTimeDecay,
  LearningRateSchedule,
  LinearWarmup,
  OneCycle,
  PiecewiseConstant,
  PlateauTracker,
  PolynomialDecay,
  SCHEDULE_CLASSES,
  StepDecay,
  registerBuiltinSchedules,
  toSchedule,
  type LearningRate,
} from './schedules.js';
export {
  OPTIMIZER_CLASSES,
  deserializeOptimizer,
  loadOptimizer,
  registerBuiltinOptimizers,
  saveOptimizer,
  serializeOptimizer,
} from './state.js';
