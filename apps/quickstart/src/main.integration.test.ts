import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('quickstart CLI (built, as npm start runs it)', () => {
  it('prints the backend it chose and a falling loss', async () => {
    const { stdout } = await run(process.execPath, [main, '--epochs', '5'], { timeout: 120_000 });
    expect(stdout).toMatch(/^backend chosen: wasm$/m);
    const epochs = [...stdout.matchAll(/quickstart epoch (\d+)\/5 loss=([\d.]+)/g)].map((m) => Number(m[2]));
    expect(epochs).toHaveLength(5);
    expect(epochs.at(-1)!).toBeLessThan(epochs[0]!);
    expect(stdout).toMatch(/train loss: [\d.]+ \(epoch 1\) -> [\d.]+ \(epoch 5\)/);
  });

  it('reports a backend that cannot be used instead of falling back', async () => {
    const attempt = run(process.execPath, [main, '--backend', 'webgpu', '--epochs', '1'], { timeout: 60_000 });
    await expect(attempt).rejects.toThrow(
      /No usable backend for "webgpu": webgpu: no backend plugin named "webgpu" is registered/,
    );
  });
});
