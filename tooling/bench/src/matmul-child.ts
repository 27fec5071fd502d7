/**
 * One benchmark configuration in its own process (a wasm backend's thread count is fixed per
 * process): times matMul n×n×n on the given backend (cpu, wasm, or webgpu through Dawn) and prints JSON on stdout.
 *
 * Usage: node dist/matmul-child.js <backend> <threads> <sizes, comma-separated>
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { setExplicitTransposeMatMul, wasmBackend, wasmThreadsInUse } from '@plasticity/backend-wasm';
import { webgpuBackend } from '@plasticity/backend-webgpu';

export interface ChildResult {
  backend: string;
  threads: number;
  sizes: { n: number; medianMs: number; gflops: number; reps: number }[];
  /** wasm only: matMul 512³ with transposeB, stock tfjs kernel vs our explicit-transpose rewrite. */
  transposeB?: { stockGflops: number; rewrittenGflops: number };
}

const [backend = 'wasm', threadsArg = '1', sizesArg = '256,1024'] = process.argv.slice(2);
registerBackendPlugin(wasmBackend);
registerBackendPlugin(cpuBackend);
registerBackendPlugin(webgpuBackend);
await useBackend(backend, { options: { wasm: { threads: Number(threadsArg) } } });

// Not tf.tidy(() => x.dataSync()): tidy walks a returned typed array element by element looking
// for tensors, which costs more than the matMul itself at 1024².
// WebGPU in Node has no synchronous read-back (tfjs needs OffscreenCanvas for it).
const asyncRead = backend === 'webgpu';

async function timeOnce(a: tf.Tensor, b: tf.Tensor, transposeB = false): Promise<number> {
  const start = performance.now();
  const c = tf.matMul(a, b, false, transposeB);
  if (asyncRead) await c.data();
  else c.dataSync(); // includes reading the result back
  const elapsed = performance.now() - start;
  c.dispose();
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const rng = createRng(1);
const sizes = sizesArg.split(',').map(Number);
const result: ChildResult = {
  backend,
  threads: backend === 'wasm' ? await wasmThreadsInUse() : 1,
  sizes: [],
};
for (const n of sizes) {
  const a = randomTensor([n, n], rng, { min: -1, max: 1 });
  const b = randomTensor([n, n], rng, { min: -1, max: 1 });
  const flop = 2 * n ** 3;
  // Aim for about two seconds of measurement per size, between 3 and 50 repetitions.
  const once = await timeOnce(a, b);
  const reps = Math.max(3, Math.min(50, Math.round(2000 / Math.max(once, 1e-3))));
  for (let i = 0; i < Math.min(2, reps); i++) await timeOnce(a, b);
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await timeOnce(a, b));
  const medianMs = median(times);
  result.sizes.push({ n, medianMs, gflops: flop / 1e9 / (medianMs / 1000), reps });
  tf.dispose([a, b]);
}
if (backend === 'wasm') {
  const n = 512;
  const a = randomTensor([n, n], rng, { min: -1, max: 1 });
  const b = randomTensor([n, n], rng, { min: -1, max: 1 });
  const gflopsWith = async (rewrite: boolean): Promise<number> => {
    setExplicitTransposeMatMul(rewrite);
    await timeOnce(a, b, true);
    const times: number[] = [];
    for (let i = 0; i < 7; i++) times.push(await timeOnce(a, b, true));
    return (2 * n ** 3) / 1e9 / (median(times) / 1000);
  };
  result.transposeB = { stockGflops: await gflopsWith(false), rewrittenGflops: await gflopsWith(true) };
  tf.dispose([a, b]);
}
process.stdout.write(JSON.stringify(result));
// Dawn (webgpu) keeps handles open; the measurement is complete.
if (backend === 'webgpu') process.exit(0);
