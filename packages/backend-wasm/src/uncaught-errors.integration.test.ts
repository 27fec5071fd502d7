import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../scripts/uncaught-check.mjs', import.meta.url));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs scripts/uncaught-check.mjs in a fresh Node process (it needs dist/: `pnpm build` first). */
function inFreshProcess(mode: string, threads = 1, order = 'plugin'): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [script, mode, String(threads), order],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') reject(error);
        else resolve({ code: child.exitCode, stdout, stderr });
      },
    );
  });
}

/** What Node prints for an uncaught error by itself: the throwing line, the message, a stack. */
function expectNodeDefaultReport(outcome: Outcome, message: string): void {
  expect(outcome.stdout).toContain('sum 6'); // the backend had loaded and run
  expect(outcome.code).toBe(1); // not 7: no uncaughtException listener rethrew it
  expect(outcome.stderr).toContain(`Error: ${message}`);
  expect(outcome.stderr).toContain('uncaught-check.mjs');
  expect(outcome.stderr).not.toContain('tf-backend-wasm'); // no line of the tfjs bundle
  expect(outcome.stderr.length).toBeLessThan(2000);
}

describe('uncaught errors after the wasm backend loaded', () => {
  it('a thrown error is reported by Node with its own stack and exit code 1', async () => {
    expectNodeDefaultReport(await inFreshProcess('throw'), 'plasticity-check: thrown on purpose');
  });

  it('an unhandled rejection is reported by Node with its own stack and exit code 1', async () => {
    expectNodeDefaultReport(await inFreshProcess('reject'), 'plasticity-check: rejected on purpose');
  });

  it('the same with the threaded build (2 threads)', async () => {
    expectNodeDefaultReport(await inFreshProcess('throw', 2), 'plasticity-check: thrown on purpose');
    expectNodeDefaultReport(await inFreshProcess('reject', 2), 'plasticity-check: rejected on purpose');
  });

  it('the same when tfjs started the backend before the plugin loaded (tf.setBackend first)', async () => {
    expectNodeDefaultReport(await inFreshProcess('throw', 1, 'tfjs-first'), 'plasticity-check: thrown on purpose');
  });

  it('a real WebAssembly trap in tfjs-backend-wasm is still reported, with its wasm frames', async () => {
    const outcome = await inFreshProcess('trap');
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('RuntimeError: memory access out of bounds');
    expect(outcome.stderr).toMatch(/wasm-function\[\d+\]/);
    expect(outcome.stderr).toContain('uncaught-check.mjs');
  });
});
