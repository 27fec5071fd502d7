import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../scripts/thread-check.mjs', import.meta.url));

interface Result {
  threads: number;
  matMul: number[];
  conv: number[];
  loss: number;
  grad: number[];
  adam: number[][];
}

async function inFreshProcess(threads: number): Promise<Result> {
  // The process must also exit by itself: pthread workers may not keep it alive.
  const { stdout } = await run(process.execPath, [script, String(threads)], {
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Result;
}

describe('wasm threads in Node', () => {
  it('runs two threads and gives bit-identical results to one thread', async () => {
    const one = await inFreshProcess(1);
    const two = await inFreshProcess(2);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(two.matMul).toEqual(one.matMul);
    expect(two.conv).toEqual(one.conv);
    expect(two.loss).toBe(one.loss);
    expect(two.grad).toEqual(one.grad);
    expect(one.adam).toHaveLength(3);
    expect(two.adam).toEqual(one.adam);
  });
});
