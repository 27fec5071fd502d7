/**
 * `pnpm bench`: matMul throughput of every backend available in Node, side by side in one run,
 * and wasm with two threads against one thread as a ratio. Each configuration runs in its own
 * process, one after another, so that they do not compete for the two cores.
 */
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ChildResult } from './matmul-child.js';
import type { OptimizerRow } from './optimizers-child.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./matmul-child.js', import.meta.url));
const optimizersChild = fileURLToPath(new URL('./optimizers-child.js', import.meta.url));
const cores = cpus().length;

const configs: { label: string; backend: string; threads: number }[] = [
  { label: 'cpu (tfjs-backend-cpu)', backend: 'cpu', threads: 1 },
  { label: 'wasm SIMD, 1 thread', backend: 'wasm', threads: 1 },
  {
    label: `wasm SIMD, ${Math.max(2, Math.min(cores, 8))} threads`,
    backend: 'wasm',
    threads: Math.max(2, Math.min(cores, 8)),
  },
];

async function measure(backend: string, threads: number): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, [child, backend, String(threads), '256,1024'], {
    timeout: 600_000,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as ChildResult;
}

console.log(`matMul n×n×n, float32, median time including read-back; ${cores} cores, Node ${process.version}`);
const rows: Record<string, Record<string, string>> = {};
const results: ChildResult[] = [];
for (const config of configs) {
  const result = await measure(config.backend, config.threads);
  results.push(result);
  const row: Record<string, string> = { 'threads in use': String(result.threads) };
  for (const s of result.sizes) row[`${s.n}³ GFLOP/s`] = s.gflops.toFixed(2);
  for (const s of result.sizes) row[`${s.n}³ ms`] = s.medianMs.toFixed(2);
  rows[config.label] = row;
}
console.table(rows);

const [, single, multi] = results;
if (single !== undefined && multi !== undefined) {
  for (const n of [256, 1024]) {
    const a = single.sizes.find((s) => s.n === n)!;
    const b = multi.sizes.find((s) => s.n === n)!;
    console.log(`wasm ${multi.threads} threads / 1 thread, matMul ${n}³: ${(b.gflops / a.gflops).toFixed(2)}×`);
  }
  const t = single.transposeB;
  if (t !== undefined) {
    console.log(
      `wasm matMul 512³ with transposeB, explicit-transpose rewrite / stock tfjs kernel: ` +
        `${(t.rewrittenGflops / t.stockGflops).toFixed(1)}× (${t.stockGflops.toFixed(2)} -> ${t.rewrittenGflops.toFixed(2)} GFLOP/s)`,
    );
  }
  const cpu = results[0]!.sizes.find((s) => s.n === 1024)!;
  console.log(
    `wasm 1 thread / cpu, matMul 1024³: ${(single.sizes.find((s) => s.n === 1024)!.gflops / cpu.gflops).toFixed(1)}×`,
  );
}

console.log(
  '\nOptimizer step on a 1M-parameter model (1000×1000 kernel + bias), median ms; ours / tf.train on the same backend',
);
for (const backend of ['wasm', 'cpu']) {
  const { stdout } = await run(process.execPath, [optimizersChild, backend], { timeout: 600_000, maxBuffer: 1 << 20 });
  const { rows } = JSON.parse(stdout) as { rows: OptimizerRow[] };
  const table: Record<string, Record<string, string>> = {};
  for (const row of rows) {
    table[row.name] = {
      'ours ms': row.oursMs.toFixed(2),
      'ours, no NaN check, ms': row.oursUncheckedMs.toFixed(2),
      'tf.train ms': row.tfjsMs === null ? '(none)' : row.tfjsMs.toFixed(2),
      'ours / tf.train': row.tfjsMs === null ? '' : (row.oursMs / row.tfjsMs).toFixed(2),
      'no check / tf.train': row.tfjsMs === null ? '' : (row.oursUncheckedMs / row.tfjsMs).toFixed(2),
    };
  }
  console.log(`backend: ${backend}`);
  console.table(table);
}
