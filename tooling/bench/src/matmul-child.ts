/**
 * One benchmark configuration in its own process (a wasm backend's thread count is fixed per
 * process): times matMul n×n×n on the given backend and prints JSON on stdout.
 *
 * Usage: node dist/matmul-child.js <backend> <threads> <sizes, comma-separated>
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { setExplicitTransposeMatMul, wasmBackend, wasmThreadsInUse } from '@plasticity/backend-wasm';

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
await useBackend(backend, { options: { wasm: { threads: Number(threadsArg) } } });

// Not tf.tidy(() => x.dataSync()): tidy walks a returned typed array element by element looking
// for tensors, which costs more than the matMul itself at 1024².
function timeOnce(a: tf.Tensor, b: tf.Tensor, transposeB = false): number {
  const start = performance.now();
  const c = tf.matMul(a, b, false, transposeB);
  c.dataSync(); // includes reading the result back
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
  const once = timeOnce(a, b);
  const reps = Math.max(3, Math.min(50, Math.round(2000 / Math.max(once, 1e-3))));
  for (let i = 0; i < Math.min(2, reps); i++) timeOnce(a, b);
  const times = Array.from({ length: reps }, () => timeOnce(a, b));
  const medianMs = median(times);
  result.sizes.push({ n, medianMs, gflops: flop / 1e9 / (medianMs / 1000), reps });
  tf.dispose([a, b]);
}
if (backend === 'wasm') {
  const n = 512;
  const a = randomTensor([n, n], rng, { min: -1, max: 1 });
  const b = randomTensor([n, n], rng, { min: -1, max: 1 });
  const gflopsWith = (rewrite: boolean): number => {
    setExplicitTransposeMatMul(rewrite);
    timeOnce(a, b, true);
    return (2 * n ** 3) / 1e9 / (median(Array.from({ length: 7 }, () => timeOnce(a, b, true))) / 1000);
  };
  result.transposeB = { stockGflops: gflopsWith(false), rewrittenGflops: gflopsWith(true) };
  tf.dispose([a, b]);
}
process.stdout.write(JSON.stringify(result));
