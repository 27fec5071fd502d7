/**
 * `@plasticity/test-utils` (private): tensor assertions and the backend conformance suite.
 *
 * @packageDocumentation
 */
export { expectNoTensorLeaks, expectTensorsClose, type CloseOptions, type Numeric } from './assertions.js';
export { CONFORMANCE_CASES, type ConformanceCase, type InputSpec } from './conformance/cases.js';
export {
  DEFAULT_FORWARD_TOLERANCE,
  DEFAULT_GRADIENT_TOLERANCE,
  checkForward,
  checkForwardAsync,
  checkGradient,
  checkGradientAsync,
  hasGradient,
  type Tolerance,
} from './conformance/check.js';
export { expectGradientsMatchFiniteDifferences, type FiniteDifferenceOptions } from './gradients.js';
export * as reference from './conformance/reference.js';
