/**
 * The page side of a browser run (bundled by esbuild, see ../page.ts): activates one backend
 * through its Plasticity plugin, then runs every conformance case (`?mode=conformance`) or times
 * matMul (`?mode=bench`), and leaves the outcome in `window.__results` for Playwright.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRng, randomTensor, registerBackendPlugin, useBackend, type BackendPlugin } from '@plasticity/core';
import { CONFORMANCE_CASES, checkForwardAsync, checkGradientAsync, hasGradient } from '@plasticity/test-utils';
import { wasmBackend } from '@plasticity/backend-wasm';
import { webglBackend } from '@plasticity/backend-webgl';
import { webgpuBackend } from '@plasticity/backend-webgpu';
import type { BenchRow, CaseResult, PageResults } from '../protocol.js';

const plugins: Record<string, BackendPlugin> = { wasm: wasmBackend, webgl: webglBackend, webgpu: webgpuBackend };

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function conformance(): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const record = async (title: string, run: () => Promise<void>): Promise<void> => {
    try {
      await run();
      results.push({ title, ok: true });
    } catch (error) {
      results.push({ title, ok: false, error: errorText(error) });
    }
  };
  for (const c of CONFORMANCE_CASES) {
    await record(`${c.name} forward`, () => checkForwardAsync(c));
    if (hasGradient(c)) await record(`${c.name} gradient`, () => checkGradientAsync(c));
  }
  return results;
}

async function bench(sizes: number[]): Promise<BenchRow[]> {
  const rng = createRng(1);
  const rows: BenchRow[] = [];
  const timeOnce = async (a: tf.Tensor, b: tf.Tensor): Promise<number> => {
    const start = performance.now();
    const c = tf.matMul(a, b);
    await c.data(); // includes reading the result back
    const elapsed = performance.now() - start;
    c.dispose();
    return elapsed;
  };
  for (const n of sizes) {
    const a = randomTensor([n, n], rng, { min: -1, max: 1 });
    const b = randomTensor([n, n], rng, { min: -1, max: 1 });
    const once = await timeOnce(a, b); // also compiles the shaders
    const reps = Math.max(3, Math.min(20, Math.round(1500 / Math.max(once, 1e-3))));
    await timeOnce(a, b);
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(await timeOnce(a, b));
    times.sort((x, y) => x - y);
    const medianMs = times[Math.floor(times.length / 2)]!;
    rows.push({ n, medianMs, gflops: (2 * n ** 3) / 1e9 / (medianMs / 1000), reps });
    tf.dispose([a, b]);
  }
  return rows;
}

async function main(): Promise<PageResults> {
  const params = new URLSearchParams(location.search);
  const name = params.get('backend') ?? '';
  const plugin = plugins[name];
  if (plugin === undefined) return { backend: name, error: `unknown backend "${name}"` };
  setWasmPaths(`${location.origin}/wasm/`);
  registerBackendPlugin(plugin);
  const support = await plugin.isSupported();
  if (!support.supported) return { backend: name, error: `not supported in this browser: ${support.reason}` };
  await useBackend(name);
  if (params.get('mode') === 'bench') {
    const sizes = (params.get('sizes') ?? '256,1024').split(',').map(Number);
    return { backend: tf.getBackend(), bench: await bench(sizes) };
  }
  return { backend: tf.getBackend(), cases: await conformance() };
}

const w = window as unknown as { __results?: PageResults };
main().then(
  (results) => (w.__results = results),
  (error: unknown) => (w.__results = { backend: '', error: errorText(error) }),
);
