import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import { wasmBackend } from '@plasticity/backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE_DIR, loadFashion } from './data.js';
import { runTransfer } from './experiment.js';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'fashion-transfer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fashion-transfer CLI on the committed subset (built)', () => {
  it('prints the four methods with accuracies and writes an SVG learning-curve chart', async () => {
    const chart = join(tmp, 'curves.svg');
    const { stdout } = await run(
      process.execPath,
      [
        main,
        ...['--data', FIXTURE_DIR, '--shots', '5', '--seeds', '1', '--pretrain-images', '400'],
        ...['--pretrain-epochs', '1', '--epochs', '3', '--val-images', '100', '--test-images', '200'],
        ...['--chart', chart],
      ],
      { timeout: 240_000 },
    );
    expect(stdout).toMatch(/Fashion-MNIST \(given\) .*: 3000 train, 1000 test images; backend wasm/);
    for (const method of ['from scratch', 'frozen base \\+ new head', 'staged fine-tune', 'LoRA \\(merged\\)']) {
      const row = new RegExp(`^\\| 5 +\\| ${method} +\\| (\\d+\\.\\d) +\\| (\\d+\\.\\d) +\\| (\\d+) +\\|`, 'm').exec(
        stdout,
      );
      expect(row, method).not.toBeNull();
      const test = Number(row![2]);
      expect(test).toBeGreaterThanOrEqual(0);
      expect(test).toBeLessThanOrEqual(100);
    }
    // Frozen base + new head trains only the head: 64 features × 5 classes + 5 biases.
    expect(stdout).toMatch(/\| frozen base \+ new head +\| [\d.]+ +\| [\d.]+ +\| 325 +\|/);
    const svg = readFileSync(chart, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect([...svg.matchAll(/aria-roledescription="line mark"/g)]).toHaveLength(4);
  }, 300_000);

  it('rejects a bad option naming it', async () => {
    await expect(run(process.execPath, [main, '--shots', 'ten'], { timeout: 60_000 })).rejects.toThrow(
      /--shots must be a positive integer; got "ten"/,
    );
  }, 60_000);
});

describe('runTransfer', () => {
  it('leaks no tensors and records one curve point per epoch per method', async () => {
    registerBackendPlugin(wasmBackend);
    await useBackend('wasm');
    const data = await loadFashion(FIXTURE_DIR);
    const before = tf.memory().numTensors;
    const result = await runTransfer(data, {
      methods: ['scratch', 'frozen', 'finetune', 'lora'],
      shots: [2],
      seeds: [1],
      pretrainImages: 100,
      pretrainEpochs: 1,
      epochs: 2,
      validationImages: 20,
      testImages: 50,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.rows.map((r) => r.method)).toEqual(['scratch', 'frozen', 'finetune', 'lora']);
    expect(result.curves).toHaveLength(4 * 2);
    expect(result.pretrain.images).toBe(100);
  }, 300_000);
});
