/**
 * The startup row of `pnpm bench` (`pnpm bench --only=startup` runs it alone): time to first
 * prediction in a fresh Node process, ours (`@plasticity/core` + `backend-wasm` + `layers`, a
 * two-layer Dense model) against stock `@tensorflow/tfjs-core` + `@tensorflow/tfjs-backend-wasm`
 * running the same forward pass. Each run is a new process (module caches cold in V8, warm in the
 * OS), the two variants alternate so that load on the machine hits both alike, and each phase is
 * the median over the runs.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { StartupRow } from './startup-child.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./startup-child.js', import.meta.url));

/** Median of each phase over the runs of one variant, in milliseconds. */
export interface StartupSummary {
  importMs: number;
  initMs: number;
  predictMs: number;
  /** The median of the per-run totals (not the sum of the phase medians). */
  totalMs: number;
  /** The median CPU time (user + system) of the runs. */
  cpuMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function once(variant: 'ours' | 'stock'): Promise<StartupRow> {
  const { stdout } = await run(process.execPath, [child, variant], { timeout: 120_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as StartupRow;
}

/** Summarizes each variant's runs: the median of every phase and of the totals. */
export function summarizeStartup(rows: readonly StartupRow[], variant: 'ours' | 'stock'): StartupSummary {
  const mine = rows.filter((r) => r.variant === variant);
  return {
    importMs: median(mine.map((r) => r.importMs)),
    initMs: median(mine.map((r) => r.initMs)),
    predictMs: median(mine.map((r) => r.predictMs)),
    totalMs: median(mine.map((r) => r.importMs + r.initMs + r.predictMs)),
    cpuMs: median(mine.map((r) => r.cpuMs)),
  };
}

/** Runs `runs` fresh processes per variant, alternated (ours, stock, ours, …), and prints the table and ratio. */
export async function startupBench(runs = 7): Promise<{ ours: StartupSummary; stock: StartupSummary }> {
  console.log(
    `\nTime to first prediction in a fresh Node process, median of ${runs} alternated runs per variant ` +
      '(Dense 32→64→10, batch 8, wasm 1 thread)',
  );
  const rows: StartupRow[] = [];
  await once('ours'); // one untimed run of each, so that both start with the files in the OS cache
  await once('stock');
  for (let i = 0; i < runs; i++) {
    rows.push(await once(i % 2 === 0 ? 'ours' : 'stock'));
    rows.push(await once(i % 2 === 0 ? 'stock' : 'ours'));
  }
  const ours = summarizeStartup(rows, 'ours');
  const stock = summarizeStartup(rows, 'stock');
  const format = (s: StartupSummary): Record<string, string> => ({
    'import ms': s.importMs.toFixed(0),
    'backend init ms': s.initMs.toFixed(0),
    'first prediction ms': s.predictMs.toFixed(0),
    'total ms': s.totalMs.toFixed(0),
    'CPU ms': s.cpuMs.toFixed(0),
  });
  console.table({
    '@plasticity (core, backend-wasm, layers)': format(ours),
    'stock tfjs-core + tfjs-backend-wasm': format(stock),
  });
  console.log(
    `startup ours / stock: ${(ours.totalMs / stock.totalMs).toFixed(2)}× ` +
      `(import ${(ours.importMs / stock.importMs).toFixed(2)}×, backend init ${(ours.initMs / stock.initMs).toFixed(2)}×, ` +
      `first prediction ${(ours.predictMs / stock.predictMs).toFixed(2)}×; CPU time ${(ours.cpuMs / stock.cpuMs).toFixed(2)}×)`,
  );
  return { ours, stock };
}
