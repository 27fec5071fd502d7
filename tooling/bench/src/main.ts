/**
 * `pnpm bench`: matMul throughput of every backend available in Node, side by side in one run,
 * and wasm with two threads against one thread as a ratio. Each configuration runs in its own
 * process, one after another, so that they do not compete for the two cores.
 */
import { SWIFTSHADER_ICD } from '@plasticity/backend-webgpu';
import { openBrowserSession } from '@plasticity/browser-conformance';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ChildResult } from './matmul-child.js';
import type { StepRow } from './layers-child.js';
import type { OptimizerRow } from './optimizers-child.js';
import type { FeatureCacheRow } from './transfer-child.js';
import { recommendersBench } from './recommenders.js';
import { startupBench } from './startup.js';

// `pnpm bench --only=recommenders-implicit`: only the implicit/neural top-N benchmark (MovieLens,
// leave-last-out; minutes on 2 cores, so not part of the default run).
if (process.argv.includes('--only=recommenders-implicit')) {
  const recs = fileURLToPath(new URL('./recommenders-implicit-child.js', import.meta.url));
  const result = spawnSync(process.execPath, [recs], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

// `pnpm bench --only=startup`: only time to first prediction, ours against stock tfjs + wasm.
if (process.argv.includes('--only=startup')) {
  await startupBench();
  process.exit(0);
}

// `pnpm bench --only=recommenders` runs only the recommenders rows; `--no-recommenders` skips them.
if (process.argv.includes('--only=recommenders')) {
  await recommendersBench();
  process.exit(0);
}

const run = promisify(execFile);

const child = fileURLToPath(new URL('./matmul-child.js', import.meta.url));
const optimizersChild = fileURLToPath(new URL('./optimizers-child.js', import.meta.url));
const layersChild = fileURLToPath(new URL('./layers-child.js', import.meta.url));
const transferChild = fileURLToPath(new URL('./transfer-child.js', import.meta.url));
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
    env: webgpuEnv,
  });
  return JSON.parse(stdout) as ChildResult;
}

// Dawn needs a Vulkan driver; without a GPU, Chromium's SwiftShader (software).
const webgpuEnv =
  process.env['VK_ICD_FILENAMES'] === undefined && existsSync(SWIFTSHADER_ICD)
    ? { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD }
    : process.env;
const software = webgpuEnv['VK_ICD_FILENAMES'] === SWIFTSHADER_ICD ? ', SwiftShader (software)' : '';

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
try {
  const result = await measure('webgpu', 1);
  const row: Record<string, string> = { 'threads in use': '-' };
  for (const s of result.sizes) row[`${s.n}³ GFLOP/s`] = s.gflops.toFixed(2);
  for (const s of result.sizes) row[`${s.n}³ ms`] = s.medianMs.toFixed(2);
  rows[`webgpu in Node (Dawn${software})`] = row;
} catch (error) {
  console.log(`webgpu in Node: not measured: ${error instanceof Error ? error.message.split('\n')[0] : error}`);
}
// The browser backends, measured in one headless Chromium page per backend (SwiftShader: no GPU
// on these machines, so these are software-rendering numbers, not GPU throughput).
try {
  const session = await openBrowserSession();
  try {
    for (const backend of ['webgl', 'webgpu', 'wasm']) {
      const page = await session.run(backend, { mode: 'bench', sizes: '256,1024' }, 300_000);
      if (page.error !== undefined || page.bench === undefined) {
        console.log(`${backend} in Chromium: not measured: ${page.error}`);
        continue;
      }
      const row: Record<string, string> = { 'threads in use': backend === 'wasm' ? '1' : '-' };
      for (const s of page.bench) row[`${s.n}³ GFLOP/s`] = s.gflops.toFixed(2);
      for (const s of page.bench) row[`${s.n}³ ms`] = s.medianMs.toFixed(2);
      rows[`${backend} in Chromium${backend === 'wasm' ? '' : ', SwiftShader (software)'}`] = row;
    }
  } finally {
    await session.close();
  }
} catch (error) {
  console.log(`browser backends: not measured: ${error instanceof Error ? error.message : error}`);
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

console.log(
  '\nTraining step (forward, backward, Adam) on wasm, median ms: @plasticity/layers vs @tensorflow/tfjs-layers',
);
{
  const { stdout } = await run(process.execPath, [layersChild], { timeout: 600_000, maxBuffer: 1 << 20 });
  const { rows } = JSON.parse(stdout) as { rows: StepRow[] };
  const table: Record<string, Record<string, string>> = {};
  for (const row of rows) {
    table[row.model] = {
      'ours ms': row.oursMs.toFixed(1),
      'tfjs-layers ms': row.tfjsLayersMs.toFixed(1),
      'ours / tfjs-layers': (row.oursMs / row.tfjsLayersMs).toFixed(2),
      'tfjs-layers, stock wasm kernels, ms': row.tfjsLayersStockWasmMs.toFixed(1),
      'ours / tfjs-layers on stock wasm': (row.oursMs / row.tfjsLayersStockWasmMs).toFixed(2),
    };
  }
  console.table(table);
  console.log(
    '(both run on @plasticity/backend-wasm, whose kernel fixes speed up tfjs-layers too; "stock wasm" gives tfjs-layers ' +
      "tfjs-backend-wasm's own matMul, Identity and Conv2DBackpropInput, keeping our Conv2DBackpropFilter and MaxPoolGrad, which stock wasm lacks or gets wrong)",
  );
}

console.log(
  '\nTransfer learning: a new head on a frozen CNN base (wasm), through the base every step vs cached features',
);
{
  const { stdout } = await run(process.execPath, [transferChild], { timeout: 600_000, maxBuffer: 1 << 20 });
  const row = JSON.parse(stdout) as FeatureCacheRow;
  console.table({
    [`${row.samples} images × ${row.epochs} epochs`]: {
      'through base s': (row.throughBaseMs / 1000).toFixed(1),
      'cached features s (incl. one extraction)': (row.cachedMs / 1000).toFixed(1),
      'of which extraction s': (row.extractMs / 1000).toFixed(1),
      'speed-up': `${(row.throughBaseMs / row.cachedMs).toFixed(1)}×`,
    },
  });
}
await startupBench();
if (!process.argv.includes('--no-recommenders')) await recommendersBench();
console.log(
  '\nImplicit/neural top-N on MovieLens (precision@10, NDCG@10, fit and serving times): pnpm bench --only=recommenders-implicit',
);
