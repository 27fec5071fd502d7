import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../scripts/lazy-cpu-check.mjs', import.meta.url));

describe('wasm backend start-up in a fresh Node process', () => {
  it('loads tfjs-backend-cpu only when a kernel bridged from the CPU first runs', async () => {
    const { stdout } = await run(process.execPath, [script], { timeout: 120_000 });
    expect(JSON.parse(stdout)).toEqual({
      afterImport: false,
      afterLoad: false,
      afterBridgedKernel: true,
      backend: 'wasm', // the bridged kernel ran on wasm; loading the CPU bundle did not switch backends
      values: [2, 4],
    });
  });
});
