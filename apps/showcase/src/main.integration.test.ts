import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FIXTURE_DIR } from '@plasticity/app-fashion-transfer';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'showcase-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('showcase CLI (built, as npm start runs it) with tiny budgets', () => {
  it('compares recommenders and transfer methods on the default backend and prints the results table', async () => {
    const chart = join(tmp, 'curves.svg');
    const { stdout } = await run(
      process.execPath,
      [
        main,
        ...['--data', 'generated', '--rating', 'NormalPredictor,BaselineOnly,SlopeOne'],
        ...['--fashion-data', FIXTURE_DIR, '--shots', '5', '--epochs', '2', '--pretrain-images', '300'],
        ...['--pretrain-epochs', '1', '--test-images', '200', '--chart', chart],
      ],
      { timeout: 240_000 },
    );
    expect(stdout).toMatch(/^backend chosen: wasm$/m);
    const results = stdout.slice(stdout.indexOf('=== Results ==='));
    const rmse = (name: string): number =>
      Number(new RegExp(`^\\| ${name} +\\| ([\\d.]+) +\\|`, 'm').exec(results)![1]);
    // The generated ratings follow a bias + latent-factor model: biases beat random draws.
    expect(rmse('BaselineOnly')).toBeLessThan(rmse('NormalPredictor'));
    expect(rmse('SlopeOne')).toBeLessThan(rmse('NormalPredictor'));
    expect(results).toMatch(/^\| Popularity +\| +\| +\| 0\.\d{4} +\|/m);
    for (const method of ['from scratch', 'frozen base \\+ new head', 'staged fine-tune', 'LoRA \\(merged\\)']) {
      expect(results).toMatch(new RegExp(`^\\| 5 +\\| ${method} +\\| \\d+\\.\\d +\\| \\d+\\.\\d +\\|`, 'm'));
    }
    expect(readFileSync(chart, 'utf8').startsWith('<svg')).toBe(true);
  }, 300_000);

  it('names a bad option', async () => {
    await expect(run(process.execPath, [main, '--skip', 'everything'], { timeout: 60_000 })).rejects.toThrow(
      /--skip takes 'recommenders' or 'transfer'; got "everything"/,
    );
  }, 60_000);
});
