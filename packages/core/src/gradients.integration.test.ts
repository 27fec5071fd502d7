import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

// Minimizes a loss built from div, mean, softmax and matMul by plain gradient descent, in a fresh
// plain-Node ESM process (built package, no test runner, no bundler).
const script = (importCore: boolean): string => `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
${importCore ? "import { useBackend } from '@plasticity/core';\nawait useBackend('cpu');" : "await tf.setBackend('cpu');"}
const x = tf.tensor2d([[1, 2], [3, 4], [-1, 0.5]]);
const target = tf.tensor2d([[1, 0], [0, 1], [1, 0]]);
const w = tf.variable(tf.tensor2d([[0.1, -0.1], [0.2, 0.3]]));
const loss = () => tf.mean(tf.div(tf.square(tf.sub(tf.softmax(tf.matMul(x, w)), target)), 2));
const losses = [];
for (let i = 0; i < 200; i++) {
  const { value, grads } = tf.variableGrads(loss);
  losses.push(value.dataSync()[0]);
  w.assign(tf.sub(w, tf.mul(grads[w.name], 2)));
}
console.log(JSON.stringify({ first: losses[0], last: losses.at(-1) }));
`;

async function runScript(importCore: boolean): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--input-type=module', '-e', script(importCore)], { cwd: packageDir, timeout: 60_000 });
}

describe('gradients in a fresh Node ESM process', () => {
  it('minimize a div/mean/softmax/matMul loss once @plasticity/core is imported', async () => {
    const { stdout } = await runScript(true);
    const { first, last } = JSON.parse(stdout) as { first: number; last: number };
    expect(last).toBeLessThan(first / 4);
  });

  it('work when @plasticity/core is imported before tfjs-core (one engine, tensor methods intact)', async () => {
    const code = `
import { useBackend } from '@plasticity/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
await useBackend('cpu');
const w = tf.variable(tf.tensor1d([1, 2]));
const { grads } = tf.variableGrads(() => tf.sum(tf.square(w)).clone());
console.log(JSON.stringify(Array.from(grads[w.name].dataSync())));
`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], {
      cwd: packageDir,
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual([2, 4]);
  });

  it('fail without it (tfjs-core alone registers no gradients)', async () => {
    await expect(runScript(false)).rejects.toThrow(/gradient function not found for/);
  });
});
