/**
 * `@plasticity/browser-conformance` (private): the backend conformance suite and matMul timings
 * in headless Chromium (webgl, webgpu, wasm), driven by playwright-core.
 *
 * @packageDocumentation
 */
export { CHROMIUM_FLAGS, CHROMIUM_PATH, chromiumMissing, openBrowserSession, type BrowserSession } from './chromium.js';
export { buildPageBundle, servePage, type PageServer } from './page.js';
export type { BenchRow, CaseResult, PageResults } from './protocol.js';
