/**
 * `@plasticity/multitask`: a shared trunk with named task heads (regression and classification
 * mixed), trained with per-task losses and metrics and a loss balancer: fixed weights,
 * uncertainty weighting, dynamic weight average, GradNorm, or PCGrad gradient surgery.
 *
 * @example
 * ```ts
 * const mt = new MultiTaskModel({ trunk, tasks: { price: { head: new Dense({ units: 1 }), loss: 'mse' }, sold: { head: new Dense({ units: 1, activation: 'sigmoid' }), loss: 'binaryCrossentropy' } } });
 * mt.compile({ optimizer: new Adam(), balancer: new UncertaintyWeighting() });
 * const history = await mt.fit(x, { price, sold }, { epochs: 10, validationSplit: 0.2 });
 * history.history['val_price_loss'];
 * ```
 *
 * @packageDocumentation
 */
export {
  CombinedLossBalancer,
  DynamicWeightAverage,
  FixedWeights,
  GradNorm,
  LossBalancer,
  PCGrad,
  UncertaintyWeighting,
  pcgradProject,
  type StepContext,
} from './balancers.js';
export {
  MultiTaskModel,
  MultiTaskNetwork,
  loadMultiTaskModel,
  type MultiTaskCompileArgs,
  type MultiTaskConfig,
  type MultiTaskFitOptions,
  type TaskSpec,
  type TaskTargets,
} from './model.js';
