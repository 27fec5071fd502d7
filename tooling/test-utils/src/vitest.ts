/**
 * `@plasticity/test-utils/vitest`: the conformance suite as vitest tests.
 *
 * @packageDocumentation
 */
export { conformanceTestTitles, defineConformanceSuite, type ConformanceSuiteOptions } from './conformance/suite.js';
